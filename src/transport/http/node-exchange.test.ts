import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { runExchangeContract } from '../../../test/contracts/http-exchange-contract.js';
import { nodeRequestListener } from './node-exchange.js';

// The exchange contract (test/contracts/http-exchange-contract.ts) on node:http.
runExchangeContract('node:http', async (handler) => {
  const server = createServer(nodeRequestListener(handler));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
});
