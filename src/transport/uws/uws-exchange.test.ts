import { runExchangeContract } from '../../../test/contracts/http-exchange-contract.js';
import { serveUwsExchange } from './uws-exchange.js';
import { loadUws } from './uws-loader.js';
import type { AnswerHolder } from './uws-response.js';

// The exchange contract (test/contracts/http-exchange-contract.ts) on uWebSockets.js; skipped where
// its native module does not load.
const loaded = loadUws();

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
    },
    { skip: !loaded.ok },
  );
