// The management API against a real store (SQLite and PostgreSQL) over real HTTP.
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { encryptionKeyFingerprint, parseEncryptionKeyBase64 } from '../../src/management/encryption-key.js';
import {
  startManagementHarness,
  type ManagementHarness,
  type StoreKind,
} from '../support/management-harness.js';

async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await filesUnder(path)));
    else out.push(path);
  }
  return out;
}

function assertError(res: { status: number; json: unknown }, status: number, code: string): void {
  assert.equal(res.status, status, JSON.stringify(res.json));
  const body = res.json as { error?: { code?: unknown; message?: unknown } };
  assert.equal(body.error?.code, code);
  assert.equal(typeof body.error.message, 'string');
}

for (const kind of ['sqlite', 'postgres'] as StoreKind[]) {
  describe(`management API (${kind})`, () => {
    let h: ManagementHarness;
    before(async () => {
      h = await startManagementHarness(kind);
    });
    after(async () => {
      await h.close();
    });

    test('no or bad credentials: 401 with the JSON error shape; unknown paths 404; wrong method 405', async () => {
      assertError(await h.request('GET', '/api/v1/account'), 401, 'unauthorized');
      assertError(await h.request('GET', '/api/v1/account', { token: 'mjly_nope' }), 401, 'unauthorized');
      assertError(
        await h.request('GET', '/api/v1/account', { token: `mjly_${'A'.repeat(43)}` }),
        401,
        'unauthorized',
      );
      const { token } = await h.account('free');
      assertError(await h.request('GET', '/api/v1/nothing-here', { token }), 404, 'not_found');
      const wrong = await h.request('PUT', '/api/v1/apps', { token });
      assertError(wrong, 405, 'method_not_allowed');
      assert.match(wrong.headers.get('allow') ?? '', /GET/);
      const other = await fetch(`${h.url}/not-api`);
      assert.equal(other.status, 404, 'paths outside /api/v1 are not handled');
    });

    test('account, plans and usage', async () => {
      const { account, token } = await h.account('startup');
      const me = await h.request('GET', '/api/v1/account', { token });
      assert.equal(me.status, 200);
      assert.equal(me.json.id, account.id);
      assert.equal(me.json.plan, 'startup');
      assert.equal(me.json.limits.max_connections, 500);
      assert.equal(me.json.limits.encrypted_channels, true);
      const plans = await h.request('GET', '/api/v1/plans', { token });
      assert.deepEqual(
        plans.json.plans.map((p: { name: string }) => p.name),
        ['free', 'startup', 'pro', 'business'],
      );
      assert.equal(plans.json.plans[0].encrypted_channels, false);
      const usage = await h.request('GET', '/api/v1/usage', { token });
      assert.equal(usage.status, 200);
      assert.match(usage.json.day, /^\d{4}-\d{2}-\d{2}$/);
      assert.equal(usage.json.messages, 0);
      assert.equal(usage.json.message_quota, 1_000_000);
      assert.equal(usage.json.connection_quota, 500);
      assert.deepEqual(usage.json.warnings, []);
      // A plan change is the operator's (`mawjly accounts set-plan`), not the account's own.
      assertError(
        await h.request('PATCH', '/api/v1/account', { token, body: { plan: 'pro' } }),
        403,
        'operator_only',
      );
      await h.management.accounts.setPlan(account.id, 'pro', 'cli');
      assert.equal((await h.request('GET', '/api/v1/account', { token })).json.plan, 'pro');
      assertError(
        await h.request('PATCH', '/api/v1/account', { token, body: { plan: 'gold' } }),
        422,
        'validation_failed',
      );
    });

    test('apps: create (secret once, no-store), get (masked), update settings, secret, rotate, delete', async () => {
      const { account, token } = await h.account('startup');
      const created = await h.request('POST', '/api/v1/apps', { token, body: { name: 'shop' } });
      assert.equal(created.status, 201);
      assert.equal(created.headers.get('cache-control'), 'no-store');
      const app = created.json;
      assert.match(app.id, /^\d{7}$/);
      assert.match(app.key, /^[0-9a-f]{20}$/);
      assert.match(app.secret, /^[0-9a-f]{20,}$/);
      assert.equal(app.cluster, 'sa');
      assert.equal(app.account, account.id);
      assert.deepEqual(app.settings, {
        enabled: true,
        client_events: true,
        encrypted_client_events: false,
        user_authentication: true,
        subscription_count: false,
        authorized_connections: false,
        allowed_origins: ['*'],
        history: null,
      });
      const live = h.management.directory.findByKey(app.key);
      assert.deepEqual(live?.secrets, [app.secret], 'the directory knows the app at once');

      const got = await h.request('GET', `/api/v1/apps/${app.id}`, { token });
      assert.equal(got.status, 200);
      assert.equal(got.json.secret, `••••${app.secret.slice(-4)}`);
      assert.ok(!got.text.includes(app.secret));
      const list = await h.request('GET', '/api/v1/apps', { token });
      assert.equal(list.json.apps.length, 1);
      assert.ok(!list.text.includes(app.secret));

      const patched = await h.request('PATCH', `/api/v1/apps/${app.id}`, {
        token,
        body: { name: 'shop2', settings: { enabled: false, allowed_origins: ['https://shop.example'] } },
      });
      assert.equal(patched.status, 200);
      assert.equal(patched.json.name, 'shop2');
      assert.equal(patched.json.settings.enabled, false);
      assert.equal(patched.json.settings.user_authentication, true, 'omitted keys keep their values');
      assert.equal(
        h.management.directory.findById(app.id)?.settings.enabled,
        false,
        'directory updated at once',
      );
      assertError(
        await h.request('PATCH', `/api/v1/apps/${app.id}`, { token, body: { settings: { enabled: 'no' } } }),
        422,
        'validation_failed',
      );
      assertError(
        await h.request('PATCH', `/api/v1/apps/${app.id}`, {
          token,
          body: { settings: { allowed_origins: ['ftp://x'] } },
        }),
        422,
        'validation_failed',
      );
      assertError(
        await h.request('PATCH', `/api/v1/apps/${app.id}`, { token, body: { settings: { nope: true } } }),
        422,
        'validation_failed',
      );
      assertError(
        await h.request('POST', '/api/v1/apps', {
          token,
          rawBody: '{"name":',
          headers: { 'content-type': 'application/json' },
        }),
        400,
        'invalid_json',
      );
      assertError(await h.request('POST', '/api/v1/apps', { token, body: [1, 2] }), 400, 'invalid_request');
      assertError(
        await h.request('POST', '/api/v1/apps', { token, body: { name: 'x'.repeat(70_000) } }),
        413,
        'body_too_large',
      );

      const secret = await h.request('GET', `/api/v1/apps/${app.id}/secret`, { token });
      assert.equal(secret.json.secret, app.secret);
      assert.equal(secret.headers.get('cache-control'), 'no-store');

      const rotated = await h.request('POST', `/api/v1/apps/${app.id}/rotate-secret`, {
        token,
        body: { grace_period_seconds: 60 },
      });
      assert.equal(rotated.status, 200);
      assert.equal(rotated.headers.get('cache-control'), 'no-store');
      assert.notEqual(rotated.json.secret, app.secret);
      assert.equal(Date.parse(rotated.json.previous_valid_until), h.clock.now() + 60_000);
      assert.deepEqual(h.management.directory.findById(app.id)?.secrets, [rotated.json.secret, app.secret]);
      h.clock.advance(60_001);
      assert.deepEqual(
        h.management.directory.findByKey(app.key)?.secrets,
        [rotated.json.secret],
        'grace ends',
      );
      assertError(
        await h.request('POST', `/api/v1/apps/${app.id}/rotate-secret`, {
          token,
          body: { grace_period_seconds: 86_401 },
        }),
        422,
        'validation_failed',
      );
      const again = await h.request('POST', `/api/v1/apps/${app.id}/rotate-secret`, { token });
      assert.equal(again.json.previous_valid_until, null);
      assert.deepEqual(h.management.directory.findById(app.id)?.secrets, [again.json.secret]);

      const { token: otherToken } = await h.account('startup');
      assertError(await h.request('GET', `/api/v1/apps/${app.id}`, { token: otherToken }), 404, 'not_found');
      assertError(
        await h.request('GET', `/api/v1/apps/${app.id}/secret`, { token: otherToken }),
        404,
        'not_found',
      );
      assertError(await h.request('GET', '/api/v1/apps/notanumber', { token }), 404, 'not_found');

      const deleted = await h.request('DELETE', `/api/v1/apps/${app.id}`, { token });
      assert.equal(deleted.status, 204);
      assert.equal(h.management.directory.findById(app.id), undefined);
      assertError(await h.request('GET', `/api/v1/apps/${app.id}`, { token }), 404, 'not_found');

      const audit = await h.request('GET', '/api/v1/audit-log', { token });
      const actions = audit.json.entries.map((e: { action: string }) => e.action);
      for (const action of [
        'app.created',
        'app.updated',
        'app.secret_revealed',
        'app.secret_rotated',
        'app.deleted',
      ]) {
        assert.ok(actions.includes(action), action);
      }
      for (const s of [app.secret, rotated.json.secret, again.json.secret])
        assert.ok(!audit.text.includes(s));
      assert.match(audit.json.entries[0].actor, /^token:mjly_/);
    });

    test('the plan caps apps (403 plan_limit_reached); a plan change reaches every app at once', async () => {
      const { account, token } = await h.account('free');
      const a = await h.request('POST', '/api/v1/apps', { token, body: {} });
      const b = await h.request('POST', '/api/v1/apps', { token, body: { name: 'b' } });
      assert.equal(a.status, 201);
      assert.equal(b.status, 201);
      assert.equal(
        a.json.settings.client_events,
        false,
        'client events default off where the plan lacks them',
      );
      assertError(await h.request('POST', '/api/v1/apps', { token, body: {} }), 403, 'plan_limit_reached');
      assertError(
        await h.request('PATCH', `/api/v1/apps/${a.json.id}`, {
          token,
          body: { settings: { client_events: true } },
        }),
        403,
        'plan_feature_unavailable',
      );
      assert.equal(h.management.directory.findById(a.json.id)?.plan.name, 'free');
      const announced: string[] = [];
      const stop = h.management.directory.onLocalChange((id) => announced.push(id));
      await h.management.accounts.setPlan(account.id, 'pro', 'test');
      stop();
      assert.equal(h.management.directory.findById(a.json.id)?.plan.name, 'pro');
      assert.equal(h.management.directory.findById(b.json.id)?.plan.maxConnections, 2000);
      assert.deepEqual(announced.sort(), [a.json.id, b.json.id].sort());
      assert.equal((await h.request('POST', '/api/v1/apps', { token, body: {} })).status, 201);
    });

    test('encryption key: generate once, 409, rotate needs confirm, status never shows the key, retire', async () => {
      const { token } = await h.account('startup');
      const app = (await h.request('POST', '/api/v1/apps', { token, body: {} })).json;
      const none = await h.request('GET', `/api/v1/apps/${app.id}/encryption-key`, { token });
      assert.equal(none.status, 200);
      assert.equal(none.json.status, 'none');
      assert.deepEqual(none.json.history, []);
      assertError(
        await h.request('POST', `/api/v1/apps/${app.id}/encryption-key/rotate`, {
          token,
          body: { confirm: true },
        }),
        404,
        'no_key',
      );

      const gen = await h.request('POST', `/api/v1/apps/${app.id}/encryption-key`, { token });
      assert.equal(gen.status, 201);
      assert.equal(gen.headers.get('cache-control'), 'no-store');
      assert.deepEqual(Object.keys(gen.json).sort(), ['created_at', 'fingerprint', 'key_base64', 'version']);
      assert.equal(gen.json.key_base64.length, 44);
      assert.equal(Buffer.from(gen.json.key_base64, 'base64').length, 32);
      assert.equal(
        gen.json.fingerprint,
        encryptionKeyFingerprint(parseEncryptionKeyBase64(gen.json.key_base64)),
      );
      assert.match(gen.json.fingerprint, /^([0-9a-f]{4}:){7}[0-9a-f]{4}$/);
      assert.equal(gen.json.version, 1);

      assertError(
        await h.request('POST', `/api/v1/apps/${app.id}/encryption-key`, { token }),
        409,
        'key_exists',
      );
      assertError(
        await h.request('POST', `/api/v1/apps/${app.id}/encryption-key/rotate`, { token }),
        400,
        'confirmation_required',
      );
      assertError(
        await h.request('POST', `/api/v1/apps/${app.id}/encryption-key/rotate`, {
          token,
          body: { confirm: 'yes' },
        }),
        400,
        'confirmation_required',
      );
      const rot = await h.request('POST', `/api/v1/apps/${app.id}/encryption-key/rotate`, {
        token,
        body: { confirm: true },
      });
      assert.equal(rot.status, 200);
      assert.equal(rot.headers.get('cache-control'), 'no-store');
      assert.equal(rot.json.previous_fingerprint, gen.json.fingerprint);
      assert.equal(rot.json.version, 2);
      assert.notEqual(rot.json.key_base64, gen.json.key_base64);
      assert.equal(
        rot.json.fingerprint,
        encryptionKeyFingerprint(parseEncryptionKeyBase64(rot.json.key_base64)),
      );

      const status = await h.request('GET', `/api/v1/apps/${app.id}/encryption-key`, { token });
      assert.equal(status.json.status, 'active');
      assert.equal(status.json.fingerprint, rot.json.fingerprint);
      assert.equal(status.json.version, 2);
      assert.match(status.json.created_by, /^token:mjly_/);
      assert.equal(status.json.history.length, 2);
      assert.equal(status.json.history[1].fingerprint, gen.json.fingerprint);
      assert.notEqual(status.json.history[1].retired_at, null);
      for (const k of [gen.json.key_base64, rot.json.key_base64]) assert.ok(!status.text.includes(k));

      assert.equal(
        (await h.request('DELETE', `/api/v1/apps/${app.id}/encryption-key`, { token })).status,
        204,
      );
      const retired = await h.request('GET', `/api/v1/apps/${app.id}/encryption-key`, { token });
      assert.equal(retired.json.status, 'none');
      assert.ok(retired.json.history.every((k: { retired_at: unknown }) => k.retired_at !== null));
      assertError(
        await h.request('DELETE', `/api/v1/apps/${app.id}/encryption-key`, { token }),
        404,
        'no_key',
      );
      const again = await h.request('POST', `/api/v1/apps/${app.id}/encryption-key`, { token });
      assert.equal(again.json.version, 3);

      const audit = await h.request('GET', '/api/v1/audit-log?limit=100', { token });
      const actions = audit.json.entries.map((e: { action: string }) => e.action);
      for (const a of ['encryption_key.generated', 'encryption_key.rotated', 'encryption_key.retired']) {
        assert.ok(actions.includes(a), a);
      }
      for (const k of [gen.json.key_base64, rot.json.key_base64, again.json.key_base64])
        assert.ok(!audit.text.includes(k));
    });

    test('encryption key rotation window: previous until <time>, one window at a time, finish, audited', async () => {
      const { token } = await h.account('startup');
      const app = (await h.request('POST', '/api/v1/apps', { token, body: {} })).json;
      const base = `/api/v1/apps/${app.id}/encryption-key`;
      const gen = await h.request('POST', base, { token });
      assertError(await h.request('POST', `${base}/finish-rotation`, { token }), 409, 'no_rotation_window');
      for (const window_seconds of [-1, 1.5, 'x', 30 * 86_400 + 1]) {
        assertError(
          await h.request('POST', `${base}/rotate`, { token, body: { confirm: true, window_seconds } }),
          422,
          'validation_failed',
        );
      }
      const before = h.clock.now();
      const rot = await h.request('POST', `${base}/rotate`, {
        token,
        body: { confirm: true, window_seconds: 3600 },
      });
      assert.equal(rot.status, 200);
      assert.equal(rot.json.previous_fingerprint, gen.json.fingerprint);
      assert.equal(rot.json.previous_version, 1);
      const until = Date.parse(rot.json.previous_until);
      assert.equal(until, before + 3_600_000, rot.json.previous_until);

      const status = await h.request('GET', base, { token });
      assert.equal(status.json.version, 2);
      assert.deepEqual(status.json.previous, {
        fingerprint: gen.json.fingerprint,
        version: 1,
        until: rot.json.previous_until,
      });
      assert.equal(status.json.history[1].previous_until, rot.json.previous_until);
      for (const k of [gen.json.key_base64, rot.json.key_base64]) assert.ok(!status.text.includes(k));
      // A second rotation would drop the previous key while clients may still hold it.
      assertError(
        await h.request('POST', `${base}/rotate`, { token, body: { confirm: true, window_seconds: 60 } }),
        409,
        'rotation_in_progress',
      );

      const finished = await h.request('POST', `${base}/finish-rotation`, { token });
      assert.equal(finished.status, 200);
      assert.equal(finished.json.previous_fingerprint, gen.json.fingerprint);
      assert.equal(Date.parse(finished.json.previous_until), h.clock.now());
      const after = await h.request('GET', base, { token });
      assert.equal(after.json.previous, null);
      assert.equal(after.json.history[1].previous_until, finished.json.previous_until);
      assertError(await h.request('POST', `${base}/finish-rotation`, { token }), 409, 'no_rotation_window');
      // Without a window the old key is retired at once, as before.
      const plain = await h.request('POST', `${base}/rotate`, { token, body: { confirm: true } });
      assert.equal(plain.json.previous_until, null);
      assert.equal((await h.request('GET', base, { token })).json.previous, null);

      const audit = await h.request('GET', '/api/v1/audit-log?limit=100', { token });
      const mine = audit.json.entries.filter((e: { target: string }) => e.target === `app:${app.id}`);
      const rotated = mine.find(
        (e: { action: string; details: { window_seconds?: number } }) =>
          e.action === 'encryption_key.rotated' && e.details.window_seconds === 3600,
      );
      assert.ok(rotated, 'rotation with a window audited');
      assert.equal(rotated.details.previous_fingerprint, gen.json.fingerprint);
      assert.equal(rotated.details.previous_until, rot.json.previous_until);
      const finish = mine.find((e: { action: string }) => e.action === 'encryption_key.rotation_finished');
      assert.ok(finish, 'finish audited');
      assert.equal(finish.details.previous_fingerprint, gen.json.fingerprint);
      assert.equal(finish.details.planned_until, rot.json.previous_until);
      for (const k of [gen.json.key_base64, rot.json.key_base64]) assert.ok(!audit.text.includes(k));
    });

    test('Free: generating a key is 403 plan_feature_unavailable and audited as generate_denied', async () => {
      const { token } = await h.account('free');
      const app = (await h.request('POST', '/api/v1/apps', { token, body: {} })).json;
      const denied = await h.request('POST', `/api/v1/apps/${app.id}/encryption-key`, { token });
      assertError(denied, 403, 'plan_feature_unavailable');
      assert.match(denied.json.error.message, /Startup/);
      const audit = await h.request('GET', '/api/v1/audit-log', { token });
      const entry = audit.json.entries.find(
        (e: { action: string }) => e.action === 'encryption_key.generate_denied',
      );
      assert.ok(entry, 'audit entry written');
      assert.equal(entry.target, `app:${app.id}`);
      assert.equal(entry.details.plan, 'free');
      const status = await h.request('GET', `/api/v1/apps/${app.id}/encryption-key`, { token });
      assert.equal(status.json.status, 'none');
    });

    test('the key is never stored: not in the database files, the database rows, or the logs', async () => {
      const { token } = await h.account('business');
      const keys: string[] = [];
      let fingerprint = '';
      for (let i = 0; i < 3; i++) {
        const app = (await h.request('POST', '/api/v1/apps', { token, body: {} })).json;
        const generated = (await h.request('POST', `/api/v1/apps/${app.id}/encryption-key`, { token })).json;
        keys.push(generated.key_base64);
        fingerprint = generated.fingerprint;
        keys.push(
          (
            await h.request('POST', `/api/v1/apps/${app.id}/encryption-key/rotate`, {
              token,
              body: { confirm: true },
            })
          ).json.key_base64,
        );
      }
      assert.equal(new Set(keys).size, 6);
      const needles = keys.flatMap((k) => {
        const raw = Buffer.from(k, 'base64');
        return [
          Buffer.from(k),
          raw,
          Buffer.from(raw.toString('hex')),
          Buffer.from(raw.toString('base64url')),
        ];
      });
      let haystacks: Buffer[];
      if (h.kind === 'sqlite') {
        const files = await filesUnder(h.dataDir);
        assert.ok(
          files.some((f) => f.endsWith('mawjly.db')),
          'the SQLite file is searched',
        );
        haystacks = await Promise.all(files.map((f) => readFile(f)));
      } else {
        const dump = await h.dumpPostgres();
        assert.ok(dump.includes('encryption_key.generated'), 'the dump holds the audit rows');
        haystacks = [Buffer.from(dump)];
      }
      assert.ok(
        haystacks.some((hay) => hay.includes(fingerprint)),
        'positive control: the stored fingerprint is found by the same search',
      );
      const logs = Buffer.from(h.logs.join(''));
      assert.ok(logs.includes('encryption master key issued'), 'the log capture works');
      for (const needle of needles) {
        for (const hay of [...haystacks, logs]) assert.equal(hay.indexOf(needle), -1, 'key material found');
      }
    });

    test('every scope is enforced: a token without it gets 403 insufficient_scope naming it', async () => {
      const { token: full } = await h.account('startup');
      const app = (await h.request('POST', '/api/v1/apps', { token: full, body: {} })).json;
      const cases: [string, string, string, unknown?][] = [
        ['GET', '/api/v1/account', 'account:read'],
        ['GET', '/api/v1/plans', 'account:read'],
        ['GET', '/api/v1/usage', 'account:read'],
        ['GET', '/api/v1/audit-log', 'account:read'],
        ['GET', '/api/v1/team', 'account:read'],
        ['GET', '/api/v1/tokens', 'account:read'],
        ['PATCH', '/api/v1/account', 'account:write', { plan: 'pro' }],
        [
          'POST',
          '/api/v1/team',
          'account:write',
          { email: 'x@example.com', password: 'longpassword', role: 'viewer' },
        ],
        ['PATCH', '/api/v1/team/x', 'account:write', { role: 'viewer' }],
        ['DELETE', '/api/v1/team/x', 'account:write'],
        ['GET', '/api/v1/apps', 'apps:read'],
        ['GET', `/api/v1/apps/${app.id}`, 'apps:read'],
        ['GET', `/api/v1/apps/${app.id}/encryption-key`, 'apps:read'],
        ['GET', `/api/v1/apps/${app.id}/usage`, 'apps:read'],
        ['GET', `/api/v1/apps/${app.id}/channels`, 'apps:read'],
        ['GET', `/api/v1/apps/${app.id}/channels/presence-x/users`, 'apps:read'],
        ['POST', '/api/v1/apps', 'apps:write', {}],
        ['PATCH', `/api/v1/apps/${app.id}`, 'apps:write', { name: 'y' }],
        ['DELETE', `/api/v1/apps/${app.id}`, 'apps:write'],
        ['GET', `/api/v1/apps/${app.id}/secret`, 'apps:secrets'],
        ['POST', `/api/v1/apps/${app.id}/rotate-secret`, 'apps:secrets', {}],
        ['POST', `/api/v1/apps/${app.id}/encryption-key`, 'keys:write'],
        ['POST', `/api/v1/apps/${app.id}/encryption-key/rotate`, 'keys:write', { confirm: true }],
        ['DELETE', `/api/v1/apps/${app.id}/encryption-key`, 'keys:write'],
        ['POST', '/api/v1/tokens', 'tokens:write', { name: 't' }],
        ['DELETE', '/api/v1/tokens/x', 'tokens:write'],
        ['POST', `/api/v1/apps/${app.id}/events`, 'events:write', { name: 'e', channel: 'c', data: '{}' }],
        ['GET', `/api/v1/apps/${app.id}/debug`, 'debug:read'],
      ];
      const all = (await h.request('GET', '/api/v1/tokens', { token: full })).json.tokens[0]
        .scopes as string[];
      const scoped = new Map<string, string>();
      for (const scope of new Set(cases.map((c) => c[2]))) {
        const created = await h.request('POST', '/api/v1/tokens', {
          token: full,
          body: { name: `without ${scope}`, scopes: all.filter((s) => s !== scope) },
        });
        assert.equal(created.status, 201);
        scoped.set(scope, created.json.token);
      }
      for (const [method, path, scope, body] of cases) {
        const res = await h.request(method, path, {
          token: scoped.get(scope)!,
          ...(body !== undefined ? { body } : {}),
        });
        assertError(res, 403, 'insufficient_scope');
        assert.ok(
          res.json.error.message.includes(`'${scope}'`),
          `${method} ${path}: ${res.json.error.message}`,
        );
      }
      assert.equal(h.management.directory.findById(app.id)?.name, app.name, 'nothing changed');
    });

    test('endpoints that need the engine answer 503 when this node has none', async () => {
      const { token } = await h.account('startup');
      const app = (await h.request('POST', '/api/v1/apps', { token, body: {} })).json;
      const usage = await h.request('GET', `/api/v1/apps/${app.id}/usage`, { token });
      assert.deepEqual(usage.json, { connections: 0, messages_today: 0, account_messages_today: 0 });
      assertError(
        await h.request('GET', `/api/v1/apps/${app.id}/channels`, { token }),
        503,
        'realtime_unavailable',
      );
      assertError(
        await h.request('POST', `/api/v1/apps/${app.id}/events`, {
          token,
          body: { name: 'e', channel: 'c', data: {} },
        }),
        503,
        'realtime_unavailable',
      );
      assertError(
        await h.request('POST', `/api/v1/apps/${app.id}/events`, { token, body: { name: 'e', data: {} } }),
        422,
        'validation_failed',
      );
      assertError(
        await h.request('GET', `/api/v1/apps/${app.id}/channels/private-x/users`, { token }),
        400,
        'not_presence_channel',
      );
    });

    test('tokens: shown once, listed without the secret part, revocable, expiring', async () => {
      const { token } = await h.account('startup');
      const created = await h.request('POST', '/api/v1/tokens', {
        token,
        body: { name: 'ci', scopes: ['apps:read'], expires_in_days: 1 },
      });
      assert.equal(created.status, 201);
      assert.equal(created.headers.get('cache-control'), 'no-store');
      assert.match(created.json.token, /^mjly_[A-Za-z0-9_-]{43}$/);
      assert.deepEqual(created.json.scopes, ['apps:read']);
      assert.ok(created.json.token.startsWith(created.json.prefix));
      const list = await h.request('GET', '/api/v1/tokens', { token });
      assert.equal(list.json.tokens.length, 2);
      assert.deepEqual(
        list.json.tokens.find((t: { id: string }) => t.id !== created.json.id).scopes.length,
        9,
      );
      assert.ok(!list.text.includes(created.json.token));
      const ci = created.json.token as string;
      assert.equal((await h.request('GET', '/api/v1/apps', { token: ci })).status, 200);
      const listed = (await h.request('GET', '/api/v1/tokens', { token })).json.tokens.find(
        (t: { id: string }) => t.id === created.json.id,
      );
      assert.notEqual(listed.last_used_at, null, 'last use recorded');
      assertError(
        await h.request('POST', '/api/v1/tokens', { token, body: { name: 'x', scopes: ['root'] } }),
        422,
        'validation_failed',
      );
      const limited = await h.request('POST', '/api/v1/tokens', {
        token,
        body: { name: 'limited', scopes: ['tokens:write', 'apps:read'] },
      });
      const escalation = await h.request('POST', '/api/v1/tokens', {
        token: limited.json.token,
        body: { name: 'escalate', scopes: ['apps:secrets'] },
      });
      assertError(escalation, 403, 'insufficient_scope');
      assert.match(escalation.json.error.message, /'apps:secrets'/);
      const inherited = await h.request('POST', '/api/v1/tokens', {
        token: limited.json.token,
        body: { name: 'child' },
      });
      assert.deepEqual(
        [...inherited.json.scopes].sort(),
        ['apps:read', 'tokens:write'],
        'default: the caller’s scopes',
      );
      h.clock.advance(86_400_001);
      assertError(await h.request('GET', '/api/v1/apps', { token: ci }), 401, 'unauthorized');
      assert.equal((await h.request('DELETE', `/api/v1/tokens/${created.json.id}`, { token })).status, 204);
      assertError(
        await h.request('DELETE', `/api/v1/tokens/${created.json.id}`, { token }),
        404,
        'not_found',
      );
      const audit = await h.request('GET', '/api/v1/audit-log', { token });
      const actions = audit.json.entries.map((e: { action: string }) => e.action);
      assert.ok(actions.includes('token.created') && actions.includes('token.revoked'));
      assert.ok(!audit.text.includes(ci));
    });

    test('team and dashboard sessions: cookie, CSRF, roles, rate limit', async () => {
      const { account, token } = await h.account('startup');
      const email = `Owner-${account.id.slice(0, 6)}@Example.com`;
      const owner = await h.request('POST', '/api/v1/team', {
        token,
        body: { email, password: 'owner password 1', role: 'owner' },
      });
      assert.equal(owner.status, 201);
      assert.equal(owner.json.email, email.toLowerCase());
      assertError(
        await h.request('POST', '/api/v1/team', {
          token,
          body: { email, password: 'another password', role: 'viewer' },
        }),
        409,
        'conflict',
      );
      assertError(
        await h.request('POST', '/api/v1/team', {
          token,
          body: { email: 'not-an-email', password: 'longpassword', role: 'viewer' },
        }),
        422,
        'validation_failed',
      );
      const viewerEmail = `viewer-${account.id.slice(0, 6)}@example.com`;
      const viewer = await h.request('POST', '/api/v1/team', {
        token,
        body: { email: viewerEmail, password: 'viewer password', role: 'viewer' },
      });
      assert.equal(viewer.status, 201);
      assertError(
        await h.request('PATCH', `/api/v1/team/${owner.json.id}`, { token, body: { role: 'admin' } }),
        409,
        'conflict',
      );
      const members = await h.request('GET', '/api/v1/team', { token });
      assert.equal(members.json.members.length, 2);
      assert.ok(!members.text.includes('scrypt'));

      const login = await h.request('POST', '/api/v1/session', {
        body: { email, password: 'owner password 1' },
      });
      assert.equal(login.status, 200);
      const setCookie = login.headers.get('set-cookie') ?? '';
      assert.match(setCookie, /^mawjly_session=[A-Za-z0-9_-]{43};/);
      assert.match(setCookie, /HttpOnly/);
      assert.match(setCookie, /SameSite=Strict/);
      assert.doesNotMatch(setCookie, /Secure/, 'plain HTTP: no Secure flag');
      const cookie = setCookie.split(';')[0]!;
      const csrf = login.json.csrf_token as string;
      assert.equal(login.json.user.role, 'owner');

      const session = await h.request('GET', '/api/v1/session', { headers: { cookie } });
      assert.equal(session.json.account.id, account.id);
      assert.equal(session.json.csrf_token, csrf);
      assert.equal((await h.request('GET', '/api/v1/apps', { headers: { cookie } })).status, 200);
      assertError(
        await h.request('POST', '/api/v1/apps', { headers: { cookie }, body: {} }),
        403,
        'csrf_invalid',
      );
      assertError(
        await h.request('POST', '/api/v1/apps', { headers: { cookie, 'x-csrf-token': 'wrong' }, body: {} }),
        403,
        'csrf_invalid',
      );
      const app = await h.request('POST', '/api/v1/apps', {
        headers: { cookie, 'x-csrf-token': csrf },
        body: {},
      });
      assert.equal(app.status, 201);

      const vLogin = await h.request('POST', '/api/v1/session', {
        body: { email: viewerEmail, password: 'viewer password' },
      });
      const vCookie = (vLogin.headers.get('set-cookie') ?? '').split(';')[0]!;
      const vCsrf = vLogin.json.csrf_token as string;
      const vApp = await h.request('GET', `/api/v1/apps/${app.json.id}`, { headers: { cookie: vCookie } });
      assert.equal(vApp.status, 200);
      assert.ok(!vApp.text.includes(app.json.secret), 'viewers never see a secret');
      const vSecret = await h.request('GET', `/api/v1/apps/${app.json.id}/secret`, {
        headers: { cookie: vCookie },
      });
      assertError(vSecret, 403, 'insufficient_scope');
      assert.match(vSecret.json.error.message, /viewer/);
      assertError(
        await h.request('POST', `/api/v1/apps/${app.json.id}/encryption-key`, {
          headers: { cookie: vCookie, 'x-csrf-token': vCsrf },
        }),
        403,
        'insufficient_scope',
      );

      assertError(
        await h.request('POST', '/api/v1/session', { body: { email: 'nobody@example.com', password: 'x' } }),
        401,
        'invalid_credentials',
      );
      for (let i = 0; i < 5; i++) {
        assertError(
          await h.request('POST', '/api/v1/session', {
            body: { email: viewerEmail, password: `wrong ${i}` },
          }),
          401,
          'invalid_credentials',
        );
      }
      assertError(
        await h.request('POST', '/api/v1/session', {
          body: { email: viewerEmail, password: 'viewer password' },
        }),
        429,
        'rate_limited',
      );
      h.clock.advance(15 * 60_000 + 1);
      assert.equal(
        (
          await h.request('POST', '/api/v1/session', {
            body: { email: viewerEmail, password: 'viewer password' },
          })
        ).status,
        200,
      );

      assertError(await h.request('DELETE', '/api/v1/session', { headers: { cookie } }), 403, 'csrf_invalid');
      const out = await h.request('DELETE', '/api/v1/session', { headers: { cookie, 'x-csrf-token': csrf } });
      assert.equal(out.status, 204);
      assert.match(out.headers.get('set-cookie') ?? '', /Max-Age=0/);
      assertError(await h.request('GET', '/api/v1/session', { headers: { cookie } }), 401, 'unauthorized');
      assertError(await h.request('GET', '/api/v1/apps', { headers: { cookie } }), 401, 'unauthorized');

      assert.equal(
        (await h.request('PATCH', `/api/v1/team/${viewer.json.id}`, { token, body: { role: 'developer' } }))
          .json.role,
        'developer',
      );
      assert.equal((await h.request('DELETE', `/api/v1/team/${viewer.json.id}`, { token })).status, 204);
      assertError(await h.request('DELETE', `/api/v1/team/${owner.json.id}`, { token }), 409, 'conflict');
      const audit = await h.request('GET', '/api/v1/audit-log?limit=200', { token });
      const actions = audit.json.entries.map((e: { action: string }) => e.action);
      for (const a of ['user.created', 'user.role_changed', 'user.deleted'])
        assert.ok(actions.includes(a), a);
      for (const p of ['owner password 1', 'viewer password']) assert.ok(!audit.text.includes(p));
      const logs = h.logs.join('');
      for (const p of ['owner password 1', 'viewer password', csrf]) assert.ok(!logs.includes(p));
    });

    test('audit log paging with limit and before', async () => {
      const { token } = await h.account('pro');
      for (let i = 0; i < 3; i++) await h.request('POST', '/api/v1/apps', { token, body: { name: `a${i}` } });
      const first = await h.request('GET', '/api/v1/audit-log?limit=2', { token });
      assert.equal(first.json.entries.length, 2);
      const next = await h.request('GET', `/api/v1/audit-log?limit=2&before=${first.json.entries[1].id}`, {
        token,
      });
      assert.ok(next.json.entries.length >= 1);
      const firstIds = new Set((first.json.entries as { id: string }[]).map((e) => e.id));
      assert.ok(!(next.json.entries as { id: string }[]).some((e) => firstIds.has(e.id)));
      assertError(await h.request('GET', '/api/v1/audit-log?limit=0', { token }), 422, 'validation_failed');
    });
  });
}
