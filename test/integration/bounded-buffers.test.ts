// The bounded-buffer rule on every outbound path, at the public boundary: a WebSocket that stops
// reading is closed with 4100 whatever fills its queue (fan-out is covered in connection.test.ts;
// here the direct replies: cache replays, presence member lists), the debug console's SSE stream to a
// reader that stops reading is cut with `over_capacity`, and the per-connection subscription caps.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import { loadConfig } from '../../src/config/config.js';
import { silentLogger } from '../../src/core/ports/logger.js';
import { startServer, type RunningServer } from '../../src/server/server.js';
import { subscribeRaw } from '../support/raw-session.js';
import {
  makeApp,
  rawClient,
  serverSdk,
  startTestServer,
  type RawClient,
  type TestServer,
} from '../support/server.js';

const LIMIT = 64 * 1024;

/** ws's own pause/resume of the TCP socket: the client stops (and restarts) reading. */
function pause(client: RawClient): void {
  client.ws.pause();
}
function resume(client: RawClient): void {
  client.ws.resume();
}

/**
 * Resolves once the server dropped the socket (its `disconnection` debug event), resuming the
 * client's reading at that very moment so that it can read the close frame within the grace period.
 */
function droppedAndResumed(server: TestServer, appId: string, socketId: string, client: RawClient) {
  const state = { dropped: false };
  const stop = server.engine.onDebugEvent(appId, (event) => {
    if (event.type === 'disconnection' && event.socketId === socketId) {
      state.dropped = true;
      stop();
      resume(client);
    }
  });
  return { state, stop };
}

async function closedWithin(client: RawClient, ms = 15_000): Promise<{ code: number; reason: string }> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      client.closed,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          reject(new Error('socket not closed in time'));
        }, ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

function dataOf(frame: RawClient['frames'][number] | undefined): unknown {
  if (!frame) return undefined;
  return typeof frame.data === 'string' ? (JSON.parse(frame.data) as unknown) : frame.data;
}

function errorCode(frame: RawClient['frames'][number] | undefined): unknown {
  return (dataOf(frame) as { code?: unknown } | undefined)?.code;
}

describe('bounded buffers: direct replies on a WebSocket', () => {
  let server: TestServer;
  const app = makeApp({ plan: 'pro' });
  before(async () => {
    server = await startTestServer({ apps: [app], config: { maxBufferedBytes: LIMIT } });
  });
  after(async () => {
    await server.close();
  });

  test('subscribe/unsubscribe pairs on a cache channel by a socket that never reads end in 4100', async () => {
    const sdk = serverSdk(server, app);
    await sdk.trigger('cache-big', 'snapshot', 'c'.repeat(95 * 1024));
    const client = rawClient(server, app.key);
    try {
      const socketId = await client.socketId;
      const { state, stop } = droppedAndResumed(server, app.id, socketId, client);
      pause(client);
      // Bounded: each pair asks the server for ~95 KB; 800 pairs would queue ~76 MB without the rule.
      let pairs = 0;
      while (!state.dropped && pairs < 800) {
        for (let i = 0; i < 20; i++) {
          client.send({ event: 'pusher:subscribe', data: { channel: 'cache-big' } });
          client.send({ event: 'pusher:unsubscribe', data: { channel: 'cache-big' } });
        }
        pairs += 20;
        await sleep(5);
      }
      const deadline = Date.now() + 15_000;
      while (!state.dropped && Date.now() < deadline) await sleep(20);
      stop();
      assert.ok(state.dropped, `socket still open after ${pairs} subscribe/unsubscribe pairs`);
      const { code } = await closedWithin(client);
      assert.equal(code, 4100);
      assert.equal(errorCode(client.frames.findLast((f) => f.event === 'pusher:error')), 4100);
      const replays = client.frames.filter((f) => f.event === 'snapshot').length;
      assert.ok(replays < pairs, `${replays} replays of ${pairs} asked: the queue was cut`);
      assert.equal(server.engine.sessionCount, 0);
    } finally {
      client.ws.terminate();
    }
  });

  test('repeated presence subscribes by a socket that never reads end in 4100', async () => {
    const channel = 'presence-room';
    const bigInfo = { bio: 'b'.repeat(9 * 1024) };
    const members: RawClient[] = [];
    const client = rawClient(server, app.key);
    try {
      for (let i = 0; i < 5; i++) {
        const member = rawClient(server, app.key);
        members.push(member);
        await subscribeRaw(member, app, channel, { userId: `member-${i}`, userInfo: bigInfo });
      }
      const socketId = await client.socketId;
      const first = await subscribeRaw(client, app, channel, { userId: 'reader', userInfo: bigInfo });
      const again = first.data as string;
      assert.ok(again.length > 50 * 1024, 'the member list is ~55 KB');
      // The same signed subscribe, repeated: each is answered with the whole member list again.
      const auth = serverSdk(server, app).authorizeChannel(socketId, channel, {
        user_id: 'reader',
        user_info: bigInfo,
      });
      const frame = {
        event: 'pusher:subscribe',
        data: { channel, auth: auth.auth, channel_data: auth.channel_data },
      };
      const { state, stop } = droppedAndResumed(server, app.id, socketId, client);
      pause(client);
      let sent = 0;
      while (!state.dropped && sent < 1200) {
        for (let i = 0; i < 20; i++) client.send(frame);
        sent += 20;
        await sleep(5);
      }
      const deadline = Date.now() + 15_000;
      while (!state.dropped && Date.now() < deadline) await sleep(20);
      stop();
      assert.ok(state.dropped, `socket still open after ${sent} repeated presence subscribes`);
      const { code } = await closedWithin(client);
      assert.equal(code, 4100);
      // The other members are unaffected.
      assert.ok(members.every((m) => m.ws.readyState === m.ws.OPEN));
    } finally {
      client.ws.terminate();
      for (const m of members) m.ws.terminate();
    }
  });
});

describe('subscription caps per connection', () => {
  let server: TestServer;
  const app = makeApp({ plan: 'pro' });
  before(async () => {
    server = await startTestServer({ apps: [app] });
  });
  after(async () => {
    await server.close();
  });

  async function subscribeResult(client: RawClient, channel: string) {
    const old = new Set(client.frames);
    client.send({ event: 'pusher:subscribe', data: { channel } });
    return client.next(
      (f) =>
        !old.has(f) &&
        f.channel === channel &&
        (f.event === 'pusher_internal:subscription_succeeded' || f.event === 'pusher:subscription_error'),
    );
  }

  test('the 101st channel of a socket is refused with subscription_error 403; unsubscribing frees a slot', async () => {
    const client = rawClient(server, app.key);
    try {
      await client.socketId;
      for (let i = 0; i < 100; i++) client.send({ event: 'pusher:subscribe', data: { channel: `ch-${i}` } });
      await client.next(
        () =>
          client.frames.filter((f) => f.event === 'pusher_internal:subscription_succeeded').length === 100,
      );
      const refused = await subscribeResult(client, 'ch-100');
      assert.equal(refused.event, 'pusher:subscription_error');
      const data = dataOf(refused) as { type: string; error: string; status: number };
      assert.equal(data.status, 403);
      assert.equal(data.type, 'LimitReached');
      assert.match(data.error, /Too many subscriptions on this connection \(maximum 100\)/);
      // Resubscribing to a channel it holds is still acknowledged.
      assert.equal((await subscribeResult(client, 'ch-5')).event, 'pusher_internal:subscription_succeeded');
      client.send({ event: 'pusher:unsubscribe', data: { channel: 'ch-0' } });
      assert.equal((await subscribeResult(client, 'ch-100')).event, 'pusher_internal:subscription_succeeded');
    } finally {
      client.ws.terminate();
    }
  });

  test('the 11th presence channel of a socket is refused; other channels still work', async () => {
    const client = rawClient(server, app.key);
    try {
      for (let i = 0; i < 10; i++) await subscribeRaw(client, app, `presence-p${i}`, { userId: 'u1' });
      await assert.rejects(
        subscribeRaw(client, app, 'presence-p10', { userId: 'u1' }),
        /Too many presence channels on this connection \(maximum 10\)/,
      );
      const refused = client.frames.findLast((f) => f.event === 'pusher:subscription_error');
      assert.equal((dataOf(refused) as { status: number }).status, 403);
      await subscribeRaw(client, app, 'public-after');
      client.send({ event: 'pusher:unsubscribe', data: { channel: 'presence-p0' } });
      await subscribeRaw(client, app, 'presence-p10', { userId: 'u1' });
    } finally {
      client.ws.terminate();
    }
  });
});

describe('bounded buffers: the debug console stream (SSE)', () => {
  let dataDir: string;
  let server: RunningServer;
  let token: string;
  let appId: string;

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'mawjly-sse-'));
    const config = loadConfig(
      {},
      { port: 0, metricsPort: 0, host: '127.0.0.1', dataDir, maxBufferedBytes: LIMIT },
    );
    server = await startServer({ config, logger: silentLogger });
    const management = server.management!;
    const account = await management.accounts.create({ name: 'sse', plan: 'pro' }, 'test');
    token = (await management.tokens.create(account.id, { name: 't' }, 'test')).token;
    const res = await fetch(`${server.url}/api/v1/apps`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'sse' }),
    });
    appId = ((await res.json()) as { id: string }).id;
  });
  after(async () => {
    await server.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  test('a reader that stops reading is cut with over_capacity; the server keeps no backlog', async () => {
    const socket: Socket = connect(server.port, '127.0.0.1');
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    // No 'data' listener: the socket is paused, nothing is read.
    socket.write(
      `GET /api/v1/apps/${appId}/debug HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${token}\r\n\r\n`,
    );
    const deadline = Date.now() + 10_000;
    while (!server.engine.isDebugged(appId) && Date.now() < deadline) await sleep(20);
    assert.ok(server.engine.isDebugged(appId), 'debug stream did not start');

    // Each publish puts its ~50 KB of data into the debug stream.
    const data = JSON.stringify({ blob: 'd'.repeat(50 * 1024) });
    let published = 0;
    while (server.engine.isDebugged(appId) && published < 1500) {
      await Promise.all(
        Array.from({ length: 10 }, () =>
          fetch(`${server.url}/api/v1/apps/${appId}/events`, {
            method: 'POST',
            headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
            body: JSON.stringify({ name: 'big', channel: 'sse-flood', data }),
          }).then((r) => r.arrayBuffer()),
        ),
      );
      published += 10;
    }
    const stillOpen = server.engine.isDebugged(appId);
    let received = 0;
    const chunks: Buffer[] = [];
    const ended = new Promise<void>((resolve) => {
      socket.on('data', (chunk: Buffer) => {
        received += chunk.length;
        chunks.push(chunk.subarray(-200));
      });
      socket.once('close', () => {
        resolve();
      });
    });
    try {
      assert.ok(!stillOpen, `debug stream still open after ${published} publishes (~${published * 50} KB)`);
      await Promise.race([
        ended,
        sleep(15_000).then(() => {
          throw new Error('stream not ended');
        }),
      ]);
      const tail = Buffer.concat(chunks.slice(-2)).toString('utf8');
      assert.match(tail, /event: error\ndata: \{"code":"over_capacity"/);
      assert.ok(received < published * 50 * 1024, `read ${received} bytes of ${published} events`);
    } finally {
      socket.destroy();
    }
  });
});
