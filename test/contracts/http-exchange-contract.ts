// One contract both HTTP exchange adapters pass (node:http in src/transport/http/node-exchange.ts,
// uWebSockets.js in src/transport/uws/uws-exchange.ts and uws-response.ts): each adapter's test only
// starts a server.
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { connect } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { MawjlyError } from '../../src/protocol/errors.js';
import type { HttpRequest, HttpResponse } from '../../src/transport/http/exchange.js';

export type ExchangeHandler = (req: HttpRequest, res: HttpResponse) => void;
/** Listens on 127.0.0.1 at a free port with `handler` behind the adapter. */
export type ExchangeListen = (
  handler: ExchangeHandler,
) => Promise<{ port: number; close: () => Promise<void> | void }>;

export function runExchangeContract(
  name: string,
  listen: ExchangeListen,
  options: { skip?: boolean } = {},
): void {
  describe(`the ${name} exchange adapter`, { skip: options.skip ?? false }, () => {
    let close: (() => Promise<void> | void) | undefined;
    let port: number;
    let lastStream: { res: HttpResponse; closed: Promise<void> } | undefined;
    const current = (): typeof lastStream => lastStream;

    const handlers: Record<string, ExchangeHandler> = {
      '/echo': (req, res) => {
        req.readBody(16, (error, body) => {
          if (error instanceof MawjlyError) res.send(error.httpStatus, {}, error.code);
          else res.send(200, { 'x-path': req.path, 'x-query': req.query }, body);
        });
      },
      '/stream': (_req, res) => {
        res.start(200, { 'content-type': 'text/plain' });
        const closed = new Promise<void>((resolve) => {
          res.onClose(resolve);
        });
        lastStream = { res, closed };
        // Write until the transport pushes back, then once more after it drained.
        const chunk = Buffer.alloc(64 * 1024, 'x');
        while (res.write(chunk));
        res.onWritable(() => {
          res.end('done');
        });
      },
      '/flood': (_req, res) => {
        // More than loopback's socket buffers take: the rest stays queued while the reader does not read.
        res.start(200, { 'content-type': 'text/plain' });
        const closed = new Promise<void>((resolve) => {
          res.onClose(resolve);
        });
        lastStream = { res, closed };
        const chunk = Buffer.alloc(64 * 1024, 'x');
        for (let i = 0; i < 256; i++) res.write(chunk);
      },
      '/late-headers': (req, res) => {
        // Read after the handler returned: the adapter must have kept them.
        req.readBody(64, () => {
          res.send(200, {}, req.headers['x-test'] ?? 'none');
        });
      },
      '/ignored-headers': (req, res) => {
        // Said first, as the REST route says it: a read before the handler returns still works.
        req.ignoreHeaders?.();
        const early = req.headers['x-test'] ?? 'none';
        req.readBody(64, (_error, body) => {
          res.send(200, {}, `${early} ${body.toString()}`);
        });
      },
      '/ignored-then-read': (req, res) => {
        req.ignoreHeaders?.();
        req.readBody(64, () => {
          let seen: string;
          try {
            seen = req.headers['x-test'] ?? 'absent';
          } catch (error) {
            seen = `threw: ${(error as Error).message}`;
          }
          res.send(200, {}, seen);
        });
      },
      '/answered': (_req, res) => {
        // One answer per request: whatever an endpoint does after send() is not written.
        res.send(200, { 'x-answer': 'first' }, 'first');
        res.write('written after send');
        res.end('ended after send');
        res.send(500, { 'x-answer': 'second' }, 'second');
      },
      '/headers': (req, res) => {
        const { headers } = req;
        res.send(
          200,
          {},
          JSON.stringify({
            constructor: headers['constructor'] ?? null,
            absent: headers['x-absent'] ?? null,
            repeated: headers['x-twice'] ?? null,
          }),
        );
      },
      '/info': (req, res) => {
        res.send(
          200,
          {},
          JSON.stringify({
            method: req.method,
            secure: req.secure,
            remote: req.remoteAddress,
            target: req.target,
            query: req.query,
          }),
        );
      },
    };

    before(async () => {
      if (options.skip) return;
      const listening = await listen((req, res) => {
        handlers[req.path]?.(req, res);
      });
      port = listening.port;
      close = listening.close;
    });
    after(async () => {
      await close?.();
    });

    test('copies the request and answers in one call with Content-Length', async () => {
      const res = await fetch(`http://127.0.0.1:${String(port)}/echo?a=1&b`, {
        method: 'POST',
        body: 'hello',
      });
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('x-path'), '/echo');
      assert.equal(res.headers.get('x-query'), 'a=1&b');
      assert.equal(res.headers.get('content-length'), '5');
      assert.equal(await res.text(), 'hello');
      const info = (await (await fetch(`http://127.0.0.1:${String(port)}/info`)).json()) as Record<
        string,
        unknown
      >;
      // No `?` in the target: the query is '' (uWS itself gives undefined).
      assert.deepEqual(info, {
        method: 'GET',
        secure: false,
        remote: '127.0.0.1',
        target: '/info',
        query: '',
      });
    });

    test('after send(), nothing more is written: write, end and a second send are ignored', async () => {
      const res = await fetch(`http://127.0.0.1:${String(port)}/answered`);
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('x-answer'), 'first');
      assert.equal(await res.text(), 'first');
      // The connection still serves the next request (nothing stray was left on it).
      assert.equal(await (await fetch(`http://127.0.0.1:${String(port)}/answered`)).text(), 'first');
    });

    test('request headers are data: a name of an Object.prototype member comes through as sent', async () => {
      const res = await fetch(`http://127.0.0.1:${String(port)}/headers`, {
        headers: [
          ['constructor', 'a'],
          ['x-twice', '1'],
          ['x-twice', '2'],
        ],
      });
      assert.deepEqual(await res.json(), { constructor: 'a', absent: null, repeated: '1, 2' });
    });

    test('headers stay readable after the handler returns, unless the endpoint ignored them', async () => {
      const late = await fetch(`http://127.0.0.1:${String(port)}/late-headers`, {
        method: 'POST',
        headers: { 'x-test': 'kept' },
        body: 'x',
      });
      assert.equal(await late.text(), 'kept');
      const ignored = await fetch(`http://127.0.0.1:${String(port)}/ignored-headers`, {
        method: 'POST',
        headers: { 'x-test': 'read-early' },
        body: 'body',
      });
      assert.equal(await ignored.text(), 'read-early body');
    });

    test('headers ignored, then read after the handler returned: as sent, or an error, never absent', async () => {
      const res = await fetch(`http://127.0.0.1:${String(port)}/ignored-then-read`, {
        method: 'POST',
        headers: { 'x-test': 'sent' },
        body: 'body',
      });
      const seen = await res.text();
      // node:http keeps every header anyway; uWS has dropped them and says so.
      assert.ok(seen === 'sent' || /^threw: .*ignoreHeaders/.test(seen), seen);
    });

    test('a body over the limit is 413 body_too_large, announced or sent', async () => {
      const sent = await fetch(`http://127.0.0.1:${String(port)}/echo`, {
        method: 'POST',
        body: 'x'.repeat(17),
      });
      assert.equal(sent.status, 413);
      assert.equal(await sent.text(), 'body_too_large');
      // Only announced: answered without waiting for bytes that never come.
      const status = await new Promise<number | undefined>((resolve, reject) => {
        const req = request({
          port,
          host: '127.0.0.1',
          path: '/echo',
          method: 'POST',
          headers: { 'content-length': '1000000' },
        });
        req.on('response', (res) => {
          res.resume();
          resolve(res.statusCode);
          req.destroy();
        });
        req.on('error', reject);
        req.flushHeaders();
      });
      assert.equal(status, 413);
    });

    test('streaming: write pushes back, onWritable resumes, a gone peer aborts the response', async () => {
      // A reader that takes everything: the stream completes.
      const full = await fetch(`http://127.0.0.1:${String(port)}/stream`);
      assert.match(await full.text(), /done$/);
      // A reader that never reads and then leaves: the response is aborted and closed.
      const socket = connect(port, '127.0.0.1');
      lastStream = undefined;
      socket.pause();
      socket.write('GET /flood HTTP/1.1\r\nHost: x\r\n\r\n');
      let stream = current();
      while (stream === undefined) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        stream = current();
      }
      assert.ok(stream.res.bufferedBytes > 0);
      assert.equal(stream.res.aborted, false);
      socket.destroy();
      await stream.closed;
      assert.equal(stream.res.aborted, true);
      assert.equal(stream.res.closed, true);
      stream.res.end('ignored');
    });
  });
}
