// Issue 8, "remove the class": every request, upgrade and socket handler runs inside one guard
// (src/transport/guard.ts). Throwing handlers are injected through the guard's own seam (it wraps
// handler values; here they throw) and through the WebSocket gateway's SessionHost port on the real
// server; each failure is answered with the catalogue's JSON error, logged through the project
// logger, and the process (an uncaught exception would be recorded) keeps serving.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { pino } from 'pino';
import WebSocket from 'ws';
import type { Logger } from '../../src/core/ports/logger.js';
import { MawjlyError } from '../../src/protocol/errors.js';
import { createGuard } from '../../src/transport/guard.js';
import { rawHttp } from '../support/raw-http.js';
import {
  clientSdk,
  once,
  rawClient,
  serverSdk,
  startTestServer,
  waitForState,
  type TestServer,
} from '../support/server.js';

function capturingLogger(): { logger: Logger; lines: () => { level: number; msg: string; err?: unknown }[] } {
  const raw: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      raw.push(chunk.toString('utf8'));
      done();
    },
  });
  return {
    logger: pino({ level: 'debug' }, sink),
    lines: () => raw.map((l) => JSON.parse(l) as { level: number; msg: string; err?: unknown }),
  };
}

function watchCrashes(): { crashes: unknown[]; stop(): void } {
  const crashes: unknown[] = [];
  const record = (error: unknown): void => {
    crashes.push(error);
  };
  process.on('uncaughtException', record);
  process.on('unhandledRejection', record);
  return {
    crashes,
    stop: () => {
      process.off('uncaughtException', record);
      process.off('unhandledRejection', record);
    },
  };
}

const UPGRADE_HEADERS =
  'Host: a\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n' +
  'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n';

describe('the handler guard, with throwing handlers injected', () => {
  const { logger, lines } = capturingLogger();
  const watch = watchCrashes();
  let server: Server;
  let port: number;

  before(async () => {
    const guard = createGuard(logger);
    const handlers: Record<string, Parameters<typeof guard.request>[0]> = {
      '/sync': () => {
        throw new Error('secret detail of a sync bug');
      },
      '/async': async () => {
        await new Promise((resolve) => setImmediate(resolve));
        throw new TypeError('secret detail of an async bug');
      },
      '/refusal': () => {
        throw new MawjlyError('invalid_request', 'That request is not acceptable');
      },
      '/midway': (_req, res) => {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.write('partial');
        throw new Error('failed after the headers');
      },
      '/ok': (_req, res) => {
        res.end('fine');
      },
    };
    server = createServer(guard.request((req, res) => handlers[req.url ?? '']?.(req, res)));
    server.on(
      'upgrade',
      guard.upgrade(async (req) => {
        if (req.url === '/upgrade-async') await new Promise((resolve) => setImmediate(resolve));
        throw new Error('upgrade handler bug');
      }),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  after(async () => {
    watch.stop();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  test('a throwing request handler answers 500 internal, logged, without leaking the error', async () => {
    for (const path of ['/sync', '/async']) {
      const response = await fetch(`http://127.0.0.1:${port}${path}`);
      assert.equal(response.status, 500, path);
      const text = await response.text();
      assert.deepEqual(JSON.parse(text), { error: { code: 'internal', message: 'Internal server error' } });
      assert.doesNotMatch(text, /secret detail/);
    }
    const logged = lines().filter(
      (l) => l.level === 50 && l.msg === 'unexpected error in an HTTP request handler',
    );
    assert.equal(logged.length, 2);
    assert.match(JSON.stringify(logged), /secret detail of a sync bug/);
    assert.match(JSON.stringify(logged), /secret detail of an async bug/);
  });

  test('a catalogue error thrown by a handler keeps its status and code', async () => {
    const response = await fetch(`http://127.0.0.1:${port}/refusal`);
    assert.equal(response.status, 400);
    assert.deepEqual(await response.json(), {
      error: { code: 'invalid_request', message: 'That request is not acceptable' },
    });
  });

  test('a throw after the headers went out cuts that connection only', async () => {
    const response = await rawHttp(port, 'GET /midway HTTP/1.1\r\nHost: a\r\n\r\n', { timeoutMs: 3000 });
    // Whatever part of the 200 made it out, the connection is closed rather than left hanging.
    assert.ok(response.status === undefined || response.status === 200, response.head);
    assert.equal(response.timedOut, false, 'the broken response must be cut, not left hanging');
    const next = await fetch(`http://127.0.0.1:${port}/ok`);
    assert.equal(await next.text(), 'fine');
  });

  test('a throwing upgrade handler answers 500 on the raw socket, sync or async', async () => {
    for (const path of ['/upgrade-sync', '/upgrade-async']) {
      const response = await rawHttp(port, `GET ${path} HTTP/1.1\r\n${UPGRADE_HEADERS}`, {
        halfClose: false,
        timeoutMs: 3000,
      });
      assert.equal(response.status, 500, path);
      assert.equal((JSON.parse(response.body) as { error: { code: string } }).error.code, 'internal');
    }
    assert.equal(
      lines().filter((l) => l.msg === 'unexpected error in a WebSocket upgrade handler').length,
      2,
    );
  });

  test('nothing escaped to the process', () => {
    assert.deepEqual(watch.crashes, []);
  });
});

describe('the real server, with throwing session handlers injected through the gateway', () => {
  const { logger, lines } = capturingLogger();
  const watch = watchCrashes();
  let server: TestServer;

  before(async () => {
    server = await startTestServer({ logger });
  });
  after(async () => {
    watch.stop();
    await server.close();
  });

  async function stillServing(): Promise<void> {
    const client = clientSdk(server, server.app);
    try {
      await waitForState(client, 'connected');
      const channel = client.subscribe('after-fault');
      await once(channel, 'pusher:subscription_succeeded');
      const received = once<{ n: number }>(channel, 'tick');
      await serverSdk(server, server.app).trigger('after-fault', 'tick', { n: 1 });
      assert.deepEqual(await received, { n: 1 });
    } finally {
      client.disconnect();
    }
  }

  test('a message handler that throws: the client gets an error frame, the socket stays usable', async () => {
    const engine = server.engine;
    const original = engine.handleMessage.bind(engine);
    const client = rawClient(server, server.app.key);
    try {
      await client.socketId;
      engine.handleMessage = (session, text) => {
        if (text.includes('boom')) throw new Error('message handler bug');
        original(session, text);
      };
      client.sendRaw('{"event":"boom","data":{}}');
      const error = await client.next((f) => f.event === 'pusher:error');
      assert.equal((error.data as { message: string }).message, 'Internal server error');
      client.send({ event: 'pusher:ping', data: {} });
      await client.next((f) => f.event === 'pusher:pong');
    } finally {
      engine.handleMessage = original;
      client.close();
    }
    assert.ok(
      lines().some((l) => l.level === 50 && l.msg === 'unexpected error in a WebSocket message handler'),
    );
  });

  test('a close handler that throws is logged and nothing else happens', async () => {
    const engine = server.engine;
    const original = engine.closeSession.bind(engine);
    const client = rawClient(server, server.app.key);
    await client.socketId;
    let thrown = false;
    engine.closeSession = (session) => {
      engine.closeSession = original;
      thrown = true;
      original(session);
      throw new Error('close handler bug');
    };
    client.close();
    await client.closed;
    const deadline = Date.now() + 10_000;
    while (!lines().some((l) => l.msg === 'unexpected error in a WebSocket close handler')) {
      if (Date.now() > deadline) throw new Error('the close handler failure was not logged');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    assert.ok(thrown);
  });

  test('an upgrade whose session cannot be opened is dropped, not fatal', async () => {
    const engine = server.engine;
    const original = engine.openSession.bind(engine);
    engine.openSession = () => {
      throw new Error('open session bug');
    };
    try {
      const ws = new WebSocket(`ws://127.0.0.1:${server.port}/app/${server.app.key}?protocol=7`);
      ws.on('error', () => undefined);
      const code = await new Promise<number>((resolve) => ws.on('close', resolve));
      // ws opens the session inside its upgrade handler and drops the socket (1006); uWS opens it
      // once the socket is open, so it can close it properly with 1011 (internal error).
      assert.equal(code, server.transport === 'uws' ? 1011 : 1006);
    } finally {
      engine.openSession = original;
    }
    const where = server.transport === 'uws' ? 'open' : 'upgrade';
    assert.ok(lines().some((l) => l.msg === `unexpected error in a WebSocket ${where} handler`));
    await stillServing();
  });

  test('nothing escaped to the process', () => {
    assert.deepEqual(watch.crashes, []);
  });
});
