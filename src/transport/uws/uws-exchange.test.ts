import { runExchangeContract } from '../../../test/contracts/http-exchange-contract.js';
import { serveUwsExchange } from './uws-exchange.js';
import { loadUws } from './uws-loader.js';

// The exchange contract (test/contracts/http-exchange-contract.ts) on uWebSockets.js; skipped where
// its native module does not load.
const loaded = loadUws();

runExchangeContract(
  'uWebSockets.js',
  async (handler) => {
    if (!loaded.ok) throw new Error('uWebSockets.js did not load');
    const { uws } = loaded;
    const app = uws.App().any('/*', (res, req) => {
      serveUwsExchange(res, req, false, handler);
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
