// Nothing is lost when the server dies: `mawjly serve` is SIGKILLed while deliveries are failing
// (and a channel_vacated is still held); the next start sends all of it — SQLite and PostgreSQL.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { openStore } from '../../src/storage/open-store.js';
import type { PusherJS } from '../support/pusher-js.js';
import { clientSdk, once, waitForState } from '../support/server.js';
import { prepareApp, spawnServe } from '../support/webhook-process.js';
import { startReceiver } from '../support/webhook-receiver.js';
import { eventually, newDatabase } from '../support/webhook-stack.js';

describe('webhooks survive SIGKILL', { concurrency: true }, () => {
  for (const kind of ['sqlite', 'postgres'] as const) {
    test(`${kind}: pending deliveries and held events of a killed server are sent after restart`, async () => {
      const db = await newDatabase(kind);
      const { app, addEndpoint } = await prepareApp(db);
      const receiver = await startReceiver({ id: app.id, key: app.key, secret: app.secrets[0]! });
      await addEndpoint(receiver.url, ['channel_occupied', 'channel_vacated']);
      receiver.mode = 'reset';
      const first = await spawnServe(db);
      let second: Awaited<ReturnType<typeof spawnServe>> | undefined;
      let client: PusherJS | undefined;
      const peek = await openStore({ dataDir: db.dataDir, databaseUrl: db.databaseUrl });
      try {
        client = clientSdk(first.target, app);
        await waitForState(client, 'connected');
        for (const c of ['k1', 'k2', 'k3']) await once(client.subscribe(c), 'pusher:subscription_succeeded');
        client.unsubscribe('k1');
        // Wait until the batch is failing (in the durable log), then kill with the vacated still held.
        const [endpoint] = await peek.webhooks.listEndpoints(app.id);
        await eventually(
          async () => (await peek.webhooks.listDeliveries(endpoint!.id)).some((d) => d.attempts >= 1),
          30_000,
          'a failing delivery',
        );
        await first.kill();
        client.disconnect();
        assert.ok(receiver.accepted().length === 0);
        receiver.mode = 'ok';
        second = await spawnServe(db);
        await receiver.waitFor(
          (r) => r.events().length >= 4,
          30_000,
          'occupied k1..k3 and vacated k1 after the restart',
        );
        const got = receiver.events().map((e) => `${String(e.name)}:${String(e.channel)}`);
        assert.deepEqual(got.filter((n) => n.startsWith('channel_occupied')).sort(), [
          'channel_occupied:k1',
          'channel_occupied:k2',
          'channel_occupied:k3',
        ]);
        assert.ok(got.indexOf('channel_vacated:k1') > got.indexOf('channel_occupied:k1'), got.join(' '));
        assert.equal(got.length, 4, got.join(' '));
        assert.ok(receiver.accepted().every((r) => r.valid));
      } finally {
        client?.disconnect();
        await first.kill();
        await second?.stop();
        await peek.close();
        await receiver.close();
        await db.drop();
      }
    });
  }
});
