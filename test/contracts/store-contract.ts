// The one contract every Store implementation passes (SQLite and PostgreSQL). Each run gets a fresh,
// migrated store; tests share it and stay independent by using unique names and ids.
import assert from 'node:assert/strict';
import { randomInt, randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { AppRecord, StoredAppSettings, Store } from '../../src/management/store.js';
import { MawjlyError, type ErrorCode } from '../../src/protocol/errors.js';
import { runStatsStoreContract } from './stats-store-contract.js';
import { runWebhookStoreContract } from './webhook-store-contract.js';

export type OpenStore = () => Promise<{
  store: Store;
  /** Another store on the same database (another process's connection); the caller closes it. */
  openPeer: () => Promise<Store>;
  cleanup: () => Promise<void>;
}>;

const SETTINGS: StoredAppSettings = {
  enabled: true,
  client_events: false,
  user_authentication: true,
  subscription_count: false,
  authorized_connections: false,
  allowed_origins: ['https://app.example.com', '*.example.org'],
};

function unique(prefix: string): string {
  return `${prefix}-${randomUUID()}`;
}

function appId(): string {
  return String(randomInt(1_000_000_000, 281_474_976_710_655));
}

async function rejectsWith(promise: Promise<unknown>, code: ErrorCode, message?: RegExp): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(err instanceof MawjlyError, `expected a MawjlyError, got ${String(err)}`);
    assert.equal(err.code, code);
    if (message) assert.match(err.message, message);
    return true;
  });
}

export function runStoreContract(name: string, open: OpenStore): void {
  describe(`Store contract: ${name}`, () => {
    let store: Store;
    let cleanup: (() => Promise<void>) | undefined;
    let openPeer: () => Promise<Store>;

    before(async () => {
      ({ store, cleanup, openPeer } = await open());
    });
    after(async () => {
      await cleanup?.();
    });

    async function newAccount(): Promise<string> {
      return (await store.accounts.createAccount({ name: unique('acct'), plan: 'free' })).id;
    }

    async function newApp(accountId: string, overrides: Partial<AppRecord> = {}): Promise<AppRecord> {
      return newAppIn(store, accountId, overrides);
    }

    async function newAppIn(
      target: Store,
      accountId: string,
      overrides: Partial<AppRecord> = {},
    ): Promise<AppRecord> {
      return target.apps.createApp({
        id: appId(),
        accountId,
        name: 'My app',
        key: unique('key'),
        secret: unique('secret'),
        previousSecret: null,
        previousSecretValidUntil: null,
        settings: SETTINGS,
        ...overrides,
      });
    }

    async function newUser(accountId: string): Promise<string> {
      const user = await store.accounts.createUser({
        accountId,
        email: `${unique('u')}@example.com`,
        passwordHash: 'scrypt$16384$8$1$salt$hash',
        role: 'developer',
      });
      return user.id;
    }

    test('accounts round trip, rename-free plan change and unique names', async () => {
      const t0 = Date.now();
      const name = unique('Acme');
      const account = await store.accounts.createAccount({ name, plan: 'startup' });
      assert.match(account.id, /^[0-9a-f-]{36}$/);
      assert.equal(account.name, name);
      assert.equal(account.plan, 'startup');
      assert.ok(account.createdAt >= t0 && account.createdAt <= Date.now());
      assert.deepEqual(await store.accounts.findAccount(account.id), account);
      assert.deepEqual(await store.accounts.findAccountByName(name), account);
      assert.equal(await store.accounts.findAccount(randomUUID()), undefined);
      assert.equal(await store.accounts.findAccountByName(unique('nobody')), undefined);
      assert.ok((await store.accounts.listAccounts()).some((a) => a.id === account.id && a.name === name));

      const upgraded = await store.accounts.setAccountPlan(account.id, 'pro');
      assert.deepEqual(upgraded, { ...account, plan: 'pro' });
      assert.equal((await store.accounts.findAccount(account.id))?.plan, 'pro');

      await rejectsWith(store.accounts.createAccount({ name, plan: 'free' }), 'conflict', /account.*name/i);
      await rejectsWith(store.accounts.setAccountPlan(randomUUID(), 'pro'), 'not_found');
    });

    test('users round trip, lowercase unique emails, roles and deletion', async () => {
      const accountId = await newAccount();
      const otherAccount = await newAccount();
      const local = unique('Ada');
      const user = await store.accounts.createUser({
        accountId,
        email: `${local}@Example.COM`,
        passwordHash: 'scrypt$16384$8$1$c2FsdA$aGFzaA',
        role: 'owner',
      });
      const email = `${local}@example.com`.toLowerCase();
      assert.equal(user.email, email);
      assert.equal(user.role, 'owner');
      assert.equal(user.passwordHash, 'scrypt$16384$8$1$c2FsdA$aGFzaA');
      assert.deepEqual(await store.accounts.findUser(user.id), user);
      assert.deepEqual(await store.accounts.findUserByEmail(email.toUpperCase()), user);
      assert.equal(await store.accounts.findUser(randomUUID()), undefined);
      assert.equal(await store.accounts.findUserByEmail('nobody@example.com'), undefined);

      const second = await store.accounts.createUser({
        accountId,
        email: `${unique('b')}@x.io`,
        passwordHash: 'h',
        role: 'viewer',
      });
      await store.accounts.createUser({
        accountId: otherAccount,
        email: `${unique('c')}@x.io`,
        passwordHash: 'h',
        role: 'admin',
      });
      assert.deepEqual(
        (await store.accounts.listUsers(accountId)).map((u) => u.id).sort(),
        [user.id, second.id].sort(),
      );

      await rejectsWith(
        store.accounts.createUser({
          accountId: otherAccount,
          email: email.toUpperCase(),
          passwordHash: 'h',
          role: 'viewer',
        }),
        'conflict',
        /email/i,
      );
      await rejectsWith(
        store.accounts.createUser({
          accountId: randomUUID(),
          email: `${unique('d')}@x.io`,
          passwordHash: 'h',
          role: 'viewer',
        }),
        'not_found',
        /account/i,
      );

      const admin = await store.accounts.updateUserRole(second.id, 'admin');
      assert.deepEqual(admin, { ...second, role: 'admin' });
      await rejectsWith(store.accounts.updateUserRole(randomUUID(), 'admin'), 'not_found');

      await store.accounts.deleteUser(second.id);
      assert.equal(await store.accounts.findUser(second.id), undefined);
      assert.deepEqual(
        (await store.accounts.listUsers(accountId)).map((u) => u.id),
        [user.id],
      );
      await rejectsWith(store.accounts.deleteUser(second.id), 'not_found');
    });

    test('apps round trip with JSON settings, nulls, lookups and listing by account', async () => {
      const accountId = await newAccount();
      const otherAccount = await newAccount();
      const t0 = Date.now();
      const app = await newApp(accountId);
      assert.deepEqual(app.settings, SETTINGS);
      assert.equal(app.previousSecret, null);
      assert.equal(app.previousSecretValidUntil, null);
      assert.ok(app.createdAt >= t0 && app.createdAt <= Date.now());
      const found = await store.apps.findApp(app.id);
      assert.deepEqual(found, app);
      assert.ok(Array.isArray(found.settings.allowed_origins));
      assert.equal(typeof found.settings.enabled, 'boolean');
      assert.deepEqual(await store.apps.findAppByKey(app.key), app);
      assert.equal(await store.apps.findApp(appId()), undefined);
      assert.equal(await store.apps.findAppByKey(unique('nokey')), undefined);

      const rotating = await newApp(accountId, {
        previousSecret: 'old-secret',
        previousSecretValidUntil: 1_900_000_000_000,
        settings: { ...SETTINGS, allowed_origins: [] },
      });
      assert.equal(rotating.previousSecret, 'old-secret');
      assert.equal(rotating.previousSecretValidUntil, 1_900_000_000_000);
      assert.deepEqual((await store.apps.findApp(rotating.id))?.settings.allowed_origins, []);
      const foreign = await newApp(otherAccount);

      assert.deepEqual(
        (await store.apps.listApps(accountId)).map((a) => a.id).sort(),
        [app.id, rotating.id].sort(),
      );
      assert.deepEqual(await store.apps.listApps(otherAccount), [foreign]);
      const all = (await store.apps.listApps()).map((a) => a.id);
      for (const id of [app.id, rotating.id, foreign.id]) assert.ok(all.includes(id));
      const createdAts = (await store.apps.listApps()).map((a) => a.createdAt);
      assert.deepEqual(
        createdAts,
        [...createdAts].sort((x, y) => x - y),
        'oldest first',
      );

      await rejectsWith(newApp(accountId, { id: app.id }), 'conflict', /app.*id/i);
      await rejectsWith(newApp(accountId, { key: app.key }), 'conflict', /app.*key/i);
      await rejectsWith(newApp(randomUUID()), 'not_found', /account/i);
    });

    test('updateApp patches name, settings, secret rotation and rejects conflicts', async () => {
      const accountId = await newAccount();
      const app = await newApp(accountId);
      const other = await newApp(accountId);

      const renamed = await store.apps.updateApp(app.id, { name: 'Renamed' });
      assert.deepEqual(renamed, { ...app, name: 'Renamed' });

      const settings: StoredAppSettings = {
        ...SETTINGS,
        enabled: false,
        client_events: true,
        allowed_origins: ['https://only.example'],
      };
      const reconfigured = await store.apps.updateApp(app.id, { settings });
      assert.deepEqual(reconfigured.settings, settings);
      assert.deepEqual((await store.apps.findApp(app.id))?.settings, settings);

      const validUntil = Date.now() + 86_400_000;
      const rotated = await store.apps.updateApp(app.id, {
        secret: 'new-secret',
        previousSecret: app.secret,
        previousSecretValidUntil: validUntil,
      });
      assert.deepEqual(rotated, {
        ...app,
        name: 'Renamed',
        settings,
        secret: 'new-secret',
        previousSecret: app.secret,
        previousSecretValidUntil: validUntil,
      });
      const expired = await store.apps.updateApp(app.id, {
        previousSecret: null,
        previousSecretValidUntil: null,
      });
      assert.equal(expired.previousSecret, null);
      assert.equal(expired.previousSecretValidUntil, null);
      assert.equal(expired.secret, 'new-secret');
      assert.deepEqual(await store.apps.findApp(app.id), expired);

      assert.deepEqual(await store.apps.updateApp(app.id, {}), expired);
      const newKey = unique('key');
      assert.equal((await store.apps.updateApp(app.id, { key: newKey })).key, newKey);
      assert.equal((await store.apps.findAppByKey(newKey))?.id, app.id);
      assert.equal(await store.apps.findAppByKey(app.key), undefined);

      await rejectsWith(store.apps.updateApp(app.id, { key: other.key }), 'conflict', /key/i);
      assert.equal((await store.apps.findApp(app.id))?.key, newKey);
      await rejectsWith(store.apps.updateApp(appId(), { name: 'x' }), 'not_found');
      await rejectsWith(store.apps.updateApp(appId(), {}), 'not_found');
    });

    test('deleteApp removes the app and its encryption key records', async () => {
      const accountId = await newAccount();
      const app = await newApp(accountId);
      await store.encryptionKeys.insertEncryptionKey({
        appId: app.id,
        version: 1,
        fingerprint: 'fp1',
        createdAt: Date.now(),
        createdBy: 'cli',
      });
      await store.apps.deleteApp(app.id);
      assert.equal(await store.apps.findApp(app.id), undefined);
      assert.equal(await store.apps.findAppByKey(app.key), undefined);
      assert.deepEqual(await store.encryptionKeys.listEncryptionKeys(app.id), []);
      await rejectsWith(store.apps.deleteApp(app.id), 'not_found');
      // The id and key are free again.
      assert.equal((await newApp(accountId, { id: app.id, key: app.key })).id, app.id);
    });

    test('API tokens: lookup by hash, scopes, touch, list and delete', async () => {
      const accountId = await newAccount();
      const hash = randomUUID().replaceAll('-', '').repeat(2);
      const t0 = Date.now();
      const token = await store.tokens.createToken({
        accountId,
        name: 'CI deploys',
        prefix: 'mjly_ab12cd',
        hash,
        scopes: ['apps:read', 'apps:write'],
        createdBy: 'user:ada@example.com',
        expiresAt: null,
      });
      assert.match(token.id, /^[0-9a-f-]{36}$/);
      assert.equal(token.lastUsedAt, null);
      assert.ok(token.createdAt >= t0 && token.createdAt <= Date.now());
      assert.deepEqual(token.scopes, ['apps:read', 'apps:write']);
      assert.deepEqual(await store.tokens.findTokenByHash(hash), token);
      assert.equal(await store.tokens.findTokenByHash('0'.repeat(64)), undefined);

      const expiring = await store.tokens.createToken({
        accountId,
        name: 'read only',
        prefix: 'mjly_ef34gh',
        hash: `${hash}-2`,
        scopes: [],
        createdBy: null,
        expiresAt: 1_900_000_000_000,
      });
      assert.deepEqual((await store.tokens.findTokenByHash(`${hash}-2`))?.scopes, []);
      assert.equal(expiring.createdBy, null);
      assert.equal(expiring.expiresAt, 1_900_000_000_000);
      assert.deepEqual(
        (await store.tokens.listTokens(accountId)).map((t) => t.id).sort(),
        [token.id, expiring.id].sort(),
      );
      assert.deepEqual(await store.tokens.listTokens(randomUUID()), []);

      await store.tokens.touchToken(token.id, 1_800_000_000_123);
      assert.deepEqual(await store.tokens.findTokenByHash(hash), { ...token, lastUsedAt: 1_800_000_000_123 });
      await rejectsWith(store.tokens.touchToken(randomUUID(), 1), 'not_found');

      await rejectsWith(
        store.tokens.createToken({
          accountId,
          name: 'dup',
          prefix: 'mjly_zz',
          hash,
          scopes: [],
          createdBy: null,
          expiresAt: null,
        }),
        'conflict',
        /token/i,
      );
      await store.tokens.deleteToken(token.id);
      assert.equal(await store.tokens.findTokenByHash(hash), undefined);
      await rejectsWith(store.tokens.deleteToken(token.id), 'not_found');
    });

    test('encryption keys: insert retires the previous one, newest first, retire', async () => {
      const accountId = await newAccount();
      const app = await newApp(accountId);
      assert.equal(await store.encryptionKeys.findActiveEncryptionKey(app.id), undefined);
      assert.deepEqual(await store.encryptionKeys.listEncryptionKeys(app.id), []);

      const k1 = await store.encryptionKeys.insertEncryptionKey({
        appId: app.id,
        version: 1,
        fingerprint: 'sha256:one',
        createdAt: 1_700_000_000_000,
        createdBy: 'user:ada@example.com',
      });
      assert.match(k1.id, /^[0-9a-f-]{36}$/);
      assert.equal(k1.retiredAt, null);
      assert.deepEqual(await store.encryptionKeys.findActiveEncryptionKey(app.id), k1);

      const k2 = await store.encryptionKeys.insertEncryptionKey({
        appId: app.id,
        version: 2,
        fingerprint: 'sha256:two',
        createdAt: 1_700_000_100_000,
        createdBy: 'cli',
      });
      assert.deepEqual(await store.encryptionKeys.findActiveEncryptionKey(app.id), k2);
      assert.deepEqual(await store.encryptionKeys.listEncryptionKeys(app.id), [
        k2,
        { ...k1, retiredAt: k2.createdAt },
      ]);

      // A failed insert leaves everything as it was (the retirement is rolled back with it).
      await rejectsWith(
        store.encryptionKeys.insertEncryptionKey({
          appId: app.id,
          version: 2,
          fingerprint: 'x',
          createdAt: 1_700_000_200_000,
          createdBy: 'cli',
        }),
        'conflict',
        /version/i,
      );
      assert.deepEqual(await store.encryptionKeys.findActiveEncryptionKey(app.id), k2);
      assert.equal((await store.encryptionKeys.listEncryptionKeys(app.id)).length, 2);
      await rejectsWith(
        store.encryptionKeys.insertEncryptionKey({
          appId: appId(),
          version: 1,
          fingerprint: 'x',
          createdAt: 1,
          createdBy: 'cli',
        }),
        'not_found',
        /app/i,
      );

      // Concurrent rotations still leave exactly one active key.
      await Promise.all(
        [3, 4, 5].map((version) =>
          store.encryptionKeys.insertEncryptionKey({
            appId: app.id,
            version,
            fingerprint: `sha256:${version}`,
            createdAt: 1_700_000_300_000 + version,
            createdBy: 'cli',
          }),
        ),
      );
      const keys = await store.encryptionKeys.listEncryptionKeys(app.id);
      assert.deepEqual(
        keys.map((k) => k.version),
        [5, 4, 3, 2, 1],
      );
      assert.equal(keys.filter((k) => k.retiredAt === null).length, 1);
      const active = await store.encryptionKeys.findActiveEncryptionKey(app.id);
      assert.ok(active);

      await store.encryptionKeys.retireEncryptionKey(app.id, 1_800_000_000_000);
      assert.equal(await store.encryptionKeys.findActiveEncryptionKey(app.id), undefined);
      const retired = await store.encryptionKeys.listEncryptionKeys(app.id);
      assert.ok(retired.every((k) => k.retiredAt !== null));
      assert.equal(retired.find((k) => k.id === active.id)?.retiredAt, 1_800_000_000_000);
      // Retiring with no active key is a no-op; an unknown app is not.
      await store.encryptionKeys.retireEncryptionKey(app.id, 1_900_000_000_000);
      assert.equal(
        (await store.encryptionKeys.listEncryptionKeys(app.id)).find((k) => k.id === active.id)?.retiredAt,
        1_800_000_000_000,
      );
      await rejectsWith(store.encryptionKeys.retireEncryptionKey(appId(), 1), 'not_found');

      const k6 = await store.encryptionKeys.insertEncryptionKey({
        appId: app.id,
        version: 6,
        fingerprint: 'sha256:six',
        createdAt: 1_900_000_000_001,
        createdBy: 'cli',
      });
      assert.deepEqual(await store.encryptionKeys.findActiveEncryptionKey(app.id), k6);
    });

    test('audit log: append, newest first, limit and paging with before', async () => {
      const accountId = await newAccount();
      const otherAccount = await newAccount();
      const appended = [];
      for (let i = 0; i < 7; i++) {
        appended.push(
          await store.auditLog.appendAudit({
            accountId,
            time: 1_700_000_000_000 + i,
            actor: i % 2 === 0 ? 'user:ada@example.com' : 'token:mjly_ab12cd',
            action: `app.update.${i}`,
            target: i === 3 ? null : `app:${i}`,
            details: { index: i, nested: { list: [1, 'two', null], flag: true } },
          }),
        );
        await store.auditLog.appendAudit({
          accountId: otherAccount,
          time: i,
          actor: 'system',
          action: 'noise',
          target: null,
          details: {},
        });
      }
      assert.equal(appended[3]?.target, null);
      assert.deepEqual(appended[2]?.details, { index: 2, nested: { list: [1, 'two', null], flag: true } });
      for (const entry of appended) assert.match(entry.id, /^\d+$/);
      const ids = appended.map((e) => Number(e.id));
      assert.ok(
        ids.every((id, i) => i === 0 || id > (ids[i - 1] ?? 0)),
        'ids increase',
      );

      const newestFirst = [...appended].reverse();
      assert.deepEqual(await store.auditLog.listAudit(accountId), newestFirst);
      assert.deepEqual(await store.auditLog.listAudit(accountId, { limit: 2 }), newestFirst.slice(0, 2));

      const paged = [];
      let before: string | undefined;
      for (;;) {
        const page = await store.auditLog.listAudit(
          accountId,
          before === undefined ? { limit: 3 } : { limit: 3, before },
        );
        if (page.length === 0) break;
        assert.ok(page.length <= 3);
        paged.push(...page);
        before = page.at(-1)?.id;
      }
      assert.deepEqual(paged, newestFirst);
      assert.deepEqual(await store.auditLog.listAudit(accountId, { before: appended[0]?.id ?? '' }), []);
      assert.deepEqual(await store.auditLog.listAudit(randomUUID()), []);
      assert.equal((await store.auditLog.listAudit(otherAccount)).length, 7);

      await rejectsWith(store.auditLog.listAudit(accountId, { limit: 0 }), 'invalid_request');
      await rejectsWith(store.auditLog.listAudit(accountId, { before: 'not-an-id' }), 'invalid_request');
    });

    test('usage: atomic upsert totals, getUsage and listUsage ranges', async () => {
      const accountId = await newAccount();
      const day = '2026-03-14';
      assert.equal(await store.usage.getUsage(accountId, day), 0);
      assert.equal(await store.usage.addUsage(accountId, day, 10), 10);
      assert.equal(await store.usage.addUsage(accountId, day, 5), 15);
      assert.equal(await store.usage.addUsage(accountId, day, 0), 15);

      // 50 concurrent increments of 1..50 on a fresh day: no lost update.
      const concurrentDay = '2026-03-15';
      const totals = await Promise.all(
        Array.from({ length: 50 }, (_, i) => store.usage.addUsage(accountId, concurrentDay, i + 1)),
      );
      assert.equal(await store.usage.getUsage(accountId, concurrentDay), 1275);
      assert.equal(Math.max(...totals), 1275);
      assert.equal(new Set(totals).size, 50, 'each call sees its own new total');

      await store.usage.addUsage(accountId, '2026-02-28', 7);
      await store.usage.addUsage(accountId, '2026-04-01', 9);
      await store.usage.addUsage(randomUUID(), '2026-03-14', 1000);
      assert.deepEqual(await store.usage.listUsage(accountId, '2026-03-01', '2026-03-31'), [
        { day: '2026-03-14', messages: 15 },
        { day: '2026-03-15', messages: 1275 },
      ]);
      assert.deepEqual(await store.usage.listUsage(accountId, '2026-02-28', '2026-04-01'), [
        { day: '2026-02-28', messages: 7 },
        { day: '2026-03-14', messages: 15 },
        { day: '2026-03-15', messages: 1275 },
        { day: '2026-04-01', messages: 9 },
      ]);
      assert.deepEqual(await store.usage.listUsage(accountId, '2026-05-01', '2026-05-31'), []);
      assert.equal(await store.usage.addUsage(accountId, '2026-04-01', 3_000_000_000), 3_000_000_009);

      await rejectsWith(store.usage.addUsage(accountId, '2026-3-14', 1), 'invalid_request');
      await rejectsWith(store.usage.addUsage(accountId, day, -1), 'invalid_request');
      await rejectsWith(store.usage.addUsage(accountId, day, 1.5), 'invalid_request');
      assert.equal(await store.usage.getUsage(accountId, day), 15);
    });

    test('sessions: create, find, delete, and removal with their user', async () => {
      const accountId = await newAccount();
      const userId = await newUser(accountId);
      const session = {
        idHash: randomUUID().replaceAll('-', ''),
        userId,
        csrfToken: 'csrf-token-value',
        expiresAt: 1_900_000_000_000,
        createdAt: 1_800_000_000_000,
      };
      await store.accounts.createSession(session);
      assert.deepEqual(await store.accounts.findSession(session.idHash), session);
      assert.equal(await store.accounts.findSession('missing'), undefined);
      await rejectsWith(store.accounts.createSession(session), 'conflict', /session/i);
      await rejectsWith(
        store.accounts.createSession({ ...session, idHash: 'other', userId: randomUUID() }),
        'not_found',
        /user/i,
      );

      await store.accounts.deleteSession(session.idHash);
      assert.equal(await store.accounts.findSession(session.idHash), undefined);
      await rejectsWith(store.accounts.deleteSession(session.idHash), 'not_found');

      const again = { ...session, idHash: randomUUID() };
      await store.accounts.createSession(again);
      await store.accounts.deleteUser(userId);
      assert.equal(await store.accounts.findSession(again.idHash), undefined);
    });

    test('migrate() again is harmless and keeps the data', async () => {
      const account = await store.accounts.createAccount({ name: unique('kept'), plan: 'business' });
      await store.migrate();
      await store.migrate();
      assert.deepEqual(await store.accounts.findAccount(account.id), account);
    });

    test('watchChanges reports changes committed by another connection, until stopped or closed', async () => {
      const peer = await openPeer();
      const other = await openPeer();
      const stops: (() => void)[] = [];
      try {
        /** A watch on `target` whose calls can be awaited (each wait within 3 s). */
        async function watch(target: Store) {
          let calls = 0;
          let wake: (() => void) | undefined;
          const stop = await target.watchChanges(() => {
            calls += 1;
            wake?.();
          });
          stops.push(stop);
          return {
            stop,
            calls: () => calls,
            /** Runs `write`, then resolves at the next call (rejects after 3 s). */
            async after(write: () => Promise<unknown>): Promise<void> {
              const seen = calls;
              const fired = new Promise<void>((resolve, reject) => {
                const timer = setTimeout(() => {
                  reject(new Error('watchChanges did not report the change within 3 s'));
                }, 3000);
                wake = () => {
                  if (calls === seen) return;
                  clearTimeout(timer);
                  wake = undefined;
                  resolve();
                };
              });
              await write();
              await fired;
            },
          };
        }
        const main = await watch(store);
        const stopped = await watch(store);
        const closed = await watch(other);

        let accountId = '';
        await main.after(async () => {
          accountId = (await peer.accounts.createAccount({ name: unique('watched'), plan: 'free' })).id;
        });
        await main.after(() => peer.accounts.setAccountPlan(accountId, 'pro'));
        let app: AppRecord | undefined;
        await main.after(async () => {
          app = await newAppIn(peer, accountId);
        });
        const appId = app?.id ?? '';
        await main.after(() => peer.apps.updateApp(appId, { settings: { ...SETTINGS, enabled: false } }));

        // A stopped watch and a watch of a closed store hear nothing more; `main` shows the change
        // was reported.
        stopped.stop();
        await other.close();
        const stoppedCalls = stopped.calls();
        const closedCalls = closed.calls();
        await main.after(() => peer.apps.deleteApp(appId));
        assert.equal(stopped.calls(), stoppedCalls);
        assert.equal(closed.calls(), closedCalls);
      } finally {
        for (const stop of stops) stop();
        await peer.close();
        await other.close();
      }
    });

    runWebhookStoreContract(() => ({ store, openPeer }));
    runStatsStoreContract(() => ({ store, openPeer }));
  });
}
