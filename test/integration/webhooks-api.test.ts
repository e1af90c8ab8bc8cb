// The webhook management API on the real server: shapes, validation, the plan cap, test sends,
// the delivery log with dead letters and manual retries, and the outbound guard (SSRF).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { RunningServer } from '../../src/server/server.js';
import type { PusherJS } from '../support/pusher-js.js';
import { clientSdk, once, waitForState } from '../support/server.js';
import { startReceiver, type Receiver } from '../support/webhook-receiver.js';
import {
  FAST_WEBHOOKS,
  eventually,
  newAccount,
  newDatabase,
  startNode,
  type Database,
} from '../support/webhook-stack.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type J = any;

describe('webhooks management API', { concurrency: true }, () => {
  let db: Database;
  let fast: RunningServer;
  let guardedDb: Database;
  let guarded: RunningServer;
  const receivers: Receiver[] = [];
  const clients: PusherJS[] = [];

  before(async () => {
    [db, guardedDb] = await Promise.all([newDatabase('sqlite'), newDatabase('sqlite')]);
    // Short retry window: failing deliveries are dead-lettered within ~2 s.
    fast = await startNode(db, {
      config: { ...FAST_WEBHOOKS, webhooksRetryForMs: 1500, webhooksTimeoutMs: 1000 },
    });
    // Default outbound settings: private targets refused.
    guarded = await startNode(guardedDb, { config: { webhooksRetryBaseMs: 200, webhooksPollMs: 100 } });
  });
  after(async () => {
    for (const c of clients) c.disconnect();
    for (const r of receivers) await r.close();
    await fast.close();
    await guarded.close();
    await db.drop();
    await guardedDb.drop();
  });

  test('create, list, read, patch and delete endpoints; plan cap; validation', async () => {
    const acct = await newAccount(fast, 'free');
    const app = await acct.newApp();
    const base = `/apps/${app.id}/webhooks`;
    const created = await acct.api('POST', base, {
      url: 'http://127.0.0.1:9/hook?token=abc',
      event_types: ['member_added', 'member_removed'],
      channel_prefix: 'presence-',
      headers: { Authorization: 'Bearer receiver-secret-1234' },
    });
    assert.equal(created.status, 201);
    const w: J = created.json;
    assert.match(w.id, /^wh_[0-9a-f]{24}$/);
    assert.deepEqual(
      { ...w, id: undefined, created_at: undefined, updated_at: undefined },
      {
        id: undefined,
        app_id: app.id,
        url: 'http://127.0.0.1:9/hook?token=abc',
        event_types: ['member_added', 'member_removed'],
        channel_prefix: 'presence-',
        headers: { Authorization: '••••1234' },
        enabled: true,
        created_at: undefined,
        updated_at: undefined,
        deliveries: { pending: 0, retrying: 0, dead: 0 },
        failing: false,
      },
    );
    // Free allows one endpoint per app.
    const over = await acct.api('POST', base, { url: 'http://127.0.0.1:9/b' });
    assert.equal(over.status, 403);
    assert.equal(over.json.error.code, 'webhook_limit_reached');
    assert.match(over.json.error.message, /free plan allows 1 webhook endpoint/);

    const list = await acct.api('GET', base);
    assert.deepEqual(
      list.json.webhooks.map((x: J) => String(x.id)),
      [w.id],
    );
    assert.equal((await acct.api('GET', `${base}/${String(w.id)}`)).json.url, w.url);
    const patched = await acct.api('PATCH', `${base}/${String(w.id)}`, {
      enabled: false,
      channel_prefix: null,
      event_types: ['client_event'],
    });
    assert.equal(patched.status, 200);
    assert.equal(patched.json.enabled, false);
    assert.equal(patched.json.channel_prefix, null);
    assert.deepEqual(patched.json.event_types, ['client_event']);
    assert.deepEqual(patched.json.headers, { Authorization: '••••1234' });

    for (const [body, field] of [
      [{ url: 'ftp://x.example.com/' }, 'url'],
      [{ url: 'not a url' }, 'url'],
      [{ url: 'https://user:pw@x.example.com/' }, 'url'],
      [{ url: 'https://x.example.com/', event_types: ['nope'] }, 'event_types'],
      [{ url: 'https://x.example.com/', event_types: [] }, 'event_types'],
      [{ url: 'https://x.example.com/', headers: { 'X-Pusher-Signature': 'x' } }, 'headers'],
      [{ url: 'https://x.example.com/', headers: { 'X-A': 'a\r\nb' } }, 'headers'],
      [{ url: 'https://x.example.com/', extra: 1 }, 'body'],
    ] as const) {
      const bad = await acct.api('PATCH', `${base}/${String(w.id)}`, body);
      assert.equal(bad.status, 422, JSON.stringify(body));
      assert.equal(bad.json.error.code, 'validation_failed');
      assert.match(bad.json.error.message, new RegExp(field === 'body' ? 'extra|body' : field));
    }
    assert.equal((await acct.api('GET', `${base}/wh_nope`)).status, 404);
    const other = await newAccount(fast, 'pro');
    assert.equal(
      (await other.api('GET', `${base}/${String(w.id)}`)).status,
      404,
      'another account sees nothing',
    );

    const audit = await acct.api('GET', '/audit-log');
    const actions = audit.json.entries.map((e: J) => String(e.action));
    assert.ok(actions.includes('webhook.created') && actions.includes('webhook.updated'));
    assert.ok(!JSON.stringify(audit.json).includes('receiver-secret'), 'no header value in the audit log');
    assert.ok(!JSON.stringify(audit.json).includes('token=abc'), 'no query string in the audit log');

    assert.equal((await acct.api('DELETE', `${base}/${String(w.id)}`)).status, 204);
    assert.equal((await acct.api('GET', `${base}/${String(w.id)}`)).status, 404);
    assert.equal((await acct.api('POST', base, { url: 'http://127.0.0.1:9/c' })).status, 201, 'room again');
  });

  test('test send: a signed sample batch at once, with the receiver status and latency', async () => {
    const acct = await newAccount(fast, 'pro');
    const app = await acct.newApp();
    const receiver = await startReceiver({ id: app.id, key: app.key, secret: app.secrets[0]! });
    receivers.push(receiver);
    const w = (
      await acct.api('POST', `/apps/${app.id}/webhooks`, { url: receiver.url, headers: { 'X-Extra': 'yes' } })
    ).json;
    const res = await acct.api('POST', `/apps/${app.id}/webhooks/${String(w.id)}/test`);
    assert.equal(res.status, 200);
    assert.equal(res.json.ok, true);
    assert.equal(res.json.status, 200);
    assert.equal(typeof res.json.latency_ms, 'number');
    assert.equal(res.json.error, null);
    assert.equal(receiver.requests.length, 1);
    const got = receiver.requests[0]!;
    assert.equal(got.valid, true);
    assert.equal(got.rawBody, res.json.body);
    assert.equal(got.headers['x-extra'], 'yes');
    assert.deepEqual(
      got.events.map((e: J) => String(e.name)),
      ['channel_occupied'],
    );
    receiver.mode = 'fail';
    const failed = await acct.api('POST', `/apps/${app.id}/webhooks/${String(w.id)}/test`);
    assert.equal(failed.json.ok, false);
    assert.equal(failed.json.status, 503);
    assert.match(failed.json.error, /HTTP 503/);
    receiver.mode = 'hang';
    const slow = await acct.api('POST', `/apps/${app.id}/webhooks/${String(w.id)}/test`);
    assert.equal(slow.json.ok, false);
    assert.equal(slow.json.status, null);
    assert.match(slow.json.error, /timeout/);
    assert.ok(slow.json.latency_ms >= 900);
  });

  test('dead letter after the retry window, kept in the log, delivered again on retry', async () => {
    const acct = await newAccount(fast, 'pro');
    const app = await acct.newApp();
    const receiver = await startReceiver({ id: app.id, key: app.key, secret: app.secrets[0]! });
    receivers.push(receiver);
    receiver.mode = 'fail';
    const w = (
      await acct.api('POST', `/apps/${app.id}/webhooks`, {
        url: receiver.url,
        event_types: ['channel_occupied'],
      })
    ).json;
    const client = clientSdk(fast, app);
    clients.push(client);
    await waitForState(client, 'connected');
    await once(client.subscribe('doomed'), 'pusher:subscription_succeeded');
    const log = `/apps/${app.id}/webhooks/${String(w.id)}/deliveries`;
    let dead: J;
    await eventually(
      async () => {
        dead = (await acct.api('GET', log)).json.deliveries[0];
        return dead?.state === 'dead';
      },
      20_000,
      'a dead-lettered delivery',
    );
    assert.ok(dead.attempts >= 2);
    assert.equal(dead.last_status, 503);
    assert.equal(dead.next_attempt_at, null);
    assert.deepEqual(dead.events, ['channel_occupied']);
    assert.deepEqual(dead.channels, ['doomed']);
    assert.equal(JSON.parse(dead.body).events[0].channel, 'doomed');
    const listed = (await acct.api('GET', `/apps/${app.id}/webhooks`)).json.webhooks[0];
    assert.equal(listed.failing, true);
    assert.equal(listed.deliveries.dead, 1);
    assert.equal((await acct.api('GET', `${log}?state=dead`)).json.deliveries.length, 1);
    assert.equal((await acct.api('GET', `${log}?limit=0`)).status, 422);

    receiver.mode = 'ok';
    const retried = await acct.api('POST', `${log}/${String(dead.id)}/retry`);
    assert.equal(retried.status, 202);
    assert.equal(retried.json.state, 'pending');
    await receiver.waitFor((r) => r.accepted().length === 1, 10_000, 'the replayed delivery');
    assert.equal(receiver.accepted()[0]!.deliveryId, dead.id, 'same delivery id');
    assert.equal(receiver.accepted()[0]!.rawBody, dead.body, 'same bytes');
    await eventually(
      async () => (await acct.api('GET', log)).json.deliveries[0].state === 'delivered',
      10_000,
      'delivered',
    );
    const again = await acct.api('POST', `${log}/${String(dead.id)}/retry`);
    assert.equal(again.status, 409);
    assert.equal(again.json.error.code, 'delivery_not_retryable');
    assert.equal((await acct.api('POST', `${log}/nope/retry`)).status, 404);

    // Per-app metrics: queued, attempts by outcome, latency histogram, nothing left in flight.
    const metrics = await (await fetch(`http://127.0.0.1:${String(fast.metricsPort)}/metrics`)).text();
    const value = (name: string, labels: string): number => {
      const line = metrics.split('\n').find((l) => l.startsWith(`${name}{`) && l.includes(labels));
      return line === undefined ? Number.NaN : Number(line.split(' ').at(-1));
    };
    const appLabel = `app_id="${app.id}"`;
    assert.equal(value('mawjly_webhook_events_queued_total', appLabel), 1);
    assert.equal(value('mawjly_webhook_attempts_total', `${appLabel},outcome="dead_lettered"`), 1);
    assert.equal(value('mawjly_webhook_attempts_total', `${appLabel},outcome="delivered"`), 1);
    assert.equal(
      value('mawjly_webhook_attempts_total', `${appLabel},outcome="failed"`),
      Number(dead.attempts) - 1,
    );
    assert.equal(value('mawjly_webhook_request_duration_seconds_count', appLabel), Number(dead.attempts) + 1);
    assert.equal(value('mawjly_webhook_requests_in_flight', appLabel), 0);
  });

  test('outbound guard: internal targets are refused by default, at registration and at send time', async () => {
    const acct = await newAccount(guarded, 'pro');
    const app = await acct.newApp();
    const receiver = await startReceiver({ id: app.id, key: app.key, secret: app.secrets[0]! });
    receivers.push(receiver);
    for (const url of [
      `http://127.0.0.1:${String(receiver.port)}/`,
      'http://10.1.2.3/',
      'http://169.254.169.254/latest/meta-data/',
      'http://[::1]/',
      'http://[::ffff:127.0.0.1]/',
      'http://[fd00:ec2::254]/',
      'http://0.0.0.0/',
    ]) {
      const res = await acct.api('POST', `/apps/${app.id}/webhooks`, { url });
      assert.equal(res.status, 422, url);
      assert.equal(res.json.error.code, 'webhook_target_forbidden', url);
    }
    // A name is checked where it resolves, each time a request is made: localhost → 127.0.0.1.
    const w = (
      await acct.api('POST', `/apps/${app.id}/webhooks`, {
        url: `http://localhost:${String(receiver.port)}/hook`,
      })
    ).json;
    assert.ok(w.id, JSON.stringify(w));
    const test1 = await acct.api('POST', `/apps/${app.id}/webhooks/${String(w.id)}/test`);
    assert.equal(test1.json.ok, false);
    assert.match(test1.json.error, /refused: localhost → (127\.0\.0\.1|::1) is not a public address/);
    const client = clientSdk(guarded, app);
    clients.push(client);
    await waitForState(client, 'connected');
    await once(client.subscribe('internal'), 'pusher:subscription_succeeded');
    const log = `/apps/${app.id}/webhooks/${String(w.id)}/deliveries`;
    await eventually(
      async () => {
        const d = (await acct.api('GET', log)).json.deliveries[0];
        return d?.attempts >= 1 && /refused/.test(String(d.last_error));
      },
      20_000,
      'a refused delivery attempt',
    );
    assert.equal(receiver.requests.length, 0, 'the receiver was never contacted');
  });
});
