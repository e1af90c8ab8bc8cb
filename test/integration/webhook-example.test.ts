// docs/webhooks.md's Node receiver (examples/webhook-receiver/receiver.mjs, copied into the doc
// exactly) run as written against a real server: a presence join and leave from pusher-js reach it
// as verified events, and a replayed delivery is printed only once.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { App } from '../../src/core/app.js';
import type { RunningServer } from '../../src/server/server.js';
import { spawnLines, type LineProcess } from '../support/child-process.js';
import { repoRoot } from '../support/client-build.js';
import { clientSdk, once, waitForState } from '../support/server.js';
import {
  FAST_WEBHOOKS,
  newAccount,
  newDatabase,
  startNode,
  type Database,
} from '../support/webhook-stack.js';

describe('the documented webhook receiver', () => {
  let db: Database;
  let server: RunningServer;
  let receiver: LineProcess;
  let app: App;
  let url: string;

  before(async () => {
    db = await newDatabase('sqlite');
    server = await startNode(db, { config: { ...FAST_WEBHOOKS, webhooksHoldMs: 300 } });
    const account = await newAccount(server, 'pro');
    app = await account.newApp();
    receiver = spawnLines(process.execPath, ['examples/webhook-receiver/receiver.mjs'], {
      cwd: repoRoot,
      env: {
        ...process.env,
        MAWJLY_APP_ID: app.id,
        MAWJLY_APP_KEY: app.key,
        MAWJLY_APP_SECRET: app.secrets[0]!,
        EXAMPLE_PORT: '0',
      },
    });
    url = /on (http:\/\/\S+)/.exec(await receiver.waitForLine(/^webhook receiver on /, 20_000))![1]!;
    const created = await account.api('POST', `/apps/${app.id}/webhooks`, {
      url,
      event_types: ['member_added', 'member_removed'],
    });
    assert.equal(created.status, 201, JSON.stringify(created.json));
  });
  after(async () => {
    await receiver.stop();
    await server.close();
    await db.drop();
  });

  test('prints the verified member events of a pusher-js join and leave, each once', async () => {
    const client = clientSdk(server, app, { userId: 'alice' });
    await waitForState(client, 'connected');
    const channel = client.subscribe('presence-room');
    await once(channel, 'pusher:subscription_succeeded');
    const added = JSON.parse(await receiver.waitForLine(/"member_added"/, 20_000)) as Record<string, unknown>;
    assert.deepEqual(added, { name: 'member_added', channel: 'presence-room', user_id: 'alice' });
    client.disconnect();
    const removed = JSON.parse(await receiver.waitForLine(/"member_removed"/, 20_000)) as Record<
      string,
      unknown
    >;
    assert.deepEqual(removed, { name: 'member_removed', channel: 'presence-room', user_id: 'alice' });
  });

  test('a delivery sent again (same X-Mawjly-Delivery-Id) is printed once', async () => {
    const post = (id: string, user: string): Promise<Response> => {
      const body = JSON.stringify({
        time_ms: Date.now(),
        events: [{ name: 'member_added', channel: 'presence-replay', user_id: user }],
      });
      const signature = createHmac('sha256', app.secrets[0]!).update(body).digest('hex');
      return fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-pusher-key': app.key,
          'x-pusher-signature': signature,
          'x-mawjly-delivery-id': id,
        },
        body,
      });
    };
    assert.equal((await post('dlv_replay_1', 'bob')).status, 200);
    assert.equal((await post('dlv_replay_1', 'bob')).status, 200);
    assert.equal((await post('dlv_replay_2', 'carol')).status, 200);
    await receiver.waitForLine(/"carol"/, 10_000);
    assert.equal(receiver.lines.filter((line) => line.includes('"bob"')).length, 1);
  });

  test('a request not signed with the app secret is refused with 401', async () => {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-pusher-key': app.key, 'x-pusher-signature': '00' },
      body: JSON.stringify({ time_ms: Date.now(), events: [] }),
    });
    assert.equal(res.status, 401);
  });
});
