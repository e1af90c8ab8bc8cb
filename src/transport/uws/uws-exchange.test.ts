import assert from 'node:assert/strict';
import type { TemplatedApp } from 'uWebSockets.js';
import { test } from 'node:test';
import { runExchangeContract } from '../../../test/contracts/http-exchange-contract.js';
import { serveUwsExchange } from './uws-exchange.js';
import { loadUws } from './uws-loader.js';
import type { AnswerHolder } from './uws-response.js';
import { UwsFanOut } from './uws-connection.js';
import { createGuard } from '../guard.js';
import { silentLogger } from '../../core/ports/logger.js';

// The exchange contract (test/contracts/http-exchange-contract.ts) on uWebSockets.js; skipped where
// its native module does not load.
const loaded = loadUws();

/** Listens on 127.0.0.1 at a free port; `close` stops listening and closes the app. */
function listen(app: TemplatedApp): Promise<{ port: number; close: () => void }> {
  if (!loaded.ok) throw new Error('uWebSockets.js did not load');
  const { uws } = loaded;
  return new Promise((resolve, reject) => {
    app.listen('127.0.0.1', 0, (socket) => {
      if (!socket) {
        reject(new Error('could not listen'));
        return;
      }
      resolve({
        port: uws.us_socket_local_port(socket),
        close: () => {
          uws.us_listen_socket_close(socket);
          (app as { close?: () => void }).close?.();
        },
      });
    });
  });
}

/**
 * A holder that holds every answer to the next turn (UwsFanOut holds only an idle turn's, after a
 * publish): a held answer must keep the whole contract.
 */
const holdEveryAnswer: AnswerHolder = {
  holdAnswer: (send) => {
    setImmediate(send);
    return true;
  },
};

for (const [name, holder] of [
  ['uWebSockets.js', undefined],
  ['uWebSockets.js, every answer held', holdEveryAnswer],
] as const)
  runExchangeContract(
    name,
    async (handler) => {
      if (!loaded.ok) throw new Error('uWebSockets.js did not load');
      const { uws } = loaded;
      const app = uws.App().any('/*', (res, req) => {
        serveUwsExchange(res, req, false, handler, holder);
      });
      return listen(app);
    },
    { skip: !loaded.ok },
  );

test(
  'a held answer that throws is logged by the guard, cuts its own connection, and the next still go',
  { skip: !loaded.ok },
  async () => {
    if (!loaded.ok) return;
    const errors: string[] = [];
    const logger = {
      ...silentLogger,
      error: (fields: object, message: string) => {
        errors.push(`${message} ${String((fields as { err?: unknown }).err)}`);
      },
    };
    // A WebSocket route, as the server always has: uWS keeps no topic tree without one, and a
    // publish then crashes the process.
    const app = loaded.uws.App().ws('/*', {});
    const fanOut = new UwsFanOut(app);
    fanOut.guardWith(createGuard(logger));
    app.any('/*', (res, req) => {
      serveUwsExchange(
        res,
        req,
        false,
        (request, response) => {
          // One delivery queued on an idle turn: this answer is held to the turn's end.
          fanOut.publish('held-topic', { text: 'x' }, undefined, 1);
          const bad = request.path === '/bad';
          // A header value that is neither a string nor a list throws inside the held send.
          response.send(200, bad ? { 'x-bad': {} as unknown as string[] } : {}, 'fine');
        },
        fanOut,
      );
    });
    const { port, close } = await listen(app);
    try {
      await assert.rejects(
        fetch(`http://127.0.0.1:${String(port)}/bad`, { signal: AbortSignal.timeout(5000) }),
      );
      assert.equal(errors.length, 1, errors.join('\n'));
      assert.match(errors[0] ?? '', /unexpected error in a held HTTP answer/);
      // Idle again (5 ms later): held, and answered.
      await new Promise((resolve) => setTimeout(resolve, 20));
      const ok = await fetch(`http://127.0.0.1:${String(port)}/ok`, { signal: AbortSignal.timeout(5000) });
      assert.equal(await ok.text(), 'fine');
    } finally {
      close();
    }
  },
);

test(
  'answers are held only on an idle turn that queued deliveries, and not past 256 of them',
  { skip: !loaded.ok },
  async () => {
    if (!loaded.ok) return;
    let now = 1_000;
    const fanOut = new UwsFanOut(loaded.uws.App().ws('/*', {}), () => now);
    const turnEnd = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
    const sent: string[] = [];
    const hold = (name: string): boolean => fanOut.holdAnswer(() => sent.push(name));

    assert.equal(hold('nothing queued'), false, 'a turn that published nothing holds nothing');
    fanOut.publish('t', { text: 'x' }, undefined, 1);
    assert.equal(hold('idle'), true, 'the first publishing turn is idle');
    assert.deepEqual(sent, [], 'held until the turn ends');
    await turnEnd();
    assert.deepEqual(sent, ['idle']);

    now += 4; // the next publishing turn begins 4 ms after the last: busy
    fanOut.publish('t', { text: 'x' }, undefined, 1);
    assert.equal(hold('busy'), false);
    await turnEnd();

    now += 5; // 5 ms after the last: idle again
    fanOut.publish('t', { text: 'x' }, undefined, 256);
    assert.equal(hold('256 deliveries'), true);
    fanOut.publish('t', { text: 'x' }, undefined, 1);
    assert.equal(hold('257 deliveries'), false, 'a turn past 256 deliveries answers at once');
    await turnEnd();
    assert.deepEqual(sent, ['idle', '256 deliveries']);
  },
);
