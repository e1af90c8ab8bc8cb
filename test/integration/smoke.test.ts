import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  clientSdk,
  once,
  serverSdk,
  startTestServer,
  waitForState,
  type TestServer,
} from '../support/server.js';

describe('smoke: pusher-js and the pusher SDK against the server', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(async () => {
    await server.close();
  });

  test('public channel event published over REST reaches pusher-js', async () => {
    const client = clientSdk(server, server.app);
    try {
      await waitForState(client, 'connected');
      assert.match(client.connection.socket_id, /^\d+\.\d+$/);
      const channel = client.subscribe('my-channel');
      await once(channel, 'pusher:subscription_succeeded');
      const received = once<{ hello: string }>(channel, 'greet');
      await serverSdk(server, server.app).trigger('my-channel', 'greet', { hello: 'world' });
      assert.deepEqual(await received, { hello: 'world' });
    } finally {
      client.disconnect();
    }
  });
});
