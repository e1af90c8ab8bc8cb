// A server that cannot bind its metrics port fails with a readable error and releases everything it
// had opened, including its already-bound main port.
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { test } from 'node:test';
import { startTestServer } from '../support/server.js';
import { freePort } from '../support/ports.js';

function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => {
      resolve(false);
    });
    probe.listen(port, '127.0.0.1', () => {
      probe.close(() => {
        resolve(true);
      });
    });
  });
}

test('a taken metrics port: readable error, and the main port is released again', async () => {
  const first = await startTestServer();
  try {
    const port = await freePort();
    await assert.rejects(
      startTestServer({ config: { port, metricsPort: first.metricsPort } }),
      (error: Error) => /METRICS_PORT/.test(error.message) && /in use/.test(error.message),
    );
    assert.equal(await canBind(port), true, 'the failed server left its main port bound');
  } finally {
    await first.close();
  }
});
