// Messages are counted as Pusher counts them: one per channel an API publish names, plus one per
// delivery to a client. The daily quota is checked against this count.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  clientSdk,
  once,
  serverSdk,
  startTestServer,
  waitForState,
  type TestServer,
} from '../support/server.js';

let server: TestServer;
before(async () => {
  server = await startTestServer();
});
after(async () => {
  await server.close();
});

test('a publish counts once per channel it names, plus once per delivery', async () => {
  const { app, usage } = server;
  const sdk = serverSdk(server, app);
  const start = usage.messagesToday(app.accountId);
  await sdk.trigger(['empty-a', 'empty-b', 'empty-c'], 'tick', {});
  assert.equal(usage.messagesToday(app.accountId) - start, 3);

  const client = clientSdk(server, app);
  try {
    await waitForState(client, 'connected');
    const channel = client.subscribe('watched');
    await once(channel, 'pusher:subscription_succeeded');
    const received = once(channel, 'tick');
    await sdk.trigger(['watched', 'empty-a'], 'tick', {});
    await received;
    assert.equal(usage.messagesToday(app.accountId) - start, 3 + 2 + 1, '2 channels + 1 delivery');
  } finally {
    client.disconnect();
  }
});
