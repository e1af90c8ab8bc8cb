// Issue 8, findings 2–4 and the role/scope rules of docs/security.md, at the public boundary: the
// management API over real HTTP with real tokens and dashboard sessions (SQLite store).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { Role } from '../../src/management/store.js';
import {
  startManagementHarness,
  type ApiResponse,
  type ManagementHarness,
} from '../support/management-harness.js';

function assertError(res: ApiResponse, status: number, code: string): void {
  assert.equal(res.status, status, res.text);
  assert.equal(res.json?.error?.code, code, res.text);
}

describe('roles, scopes, sign-in limit, plan changes (issue 8)', () => {
  let h: ManagementHarness;
  before(async () => {
    h = await startManagementHarness('sqlite');
  });
  after(async () => {
    await h.close();
  });

  const PASSWORD = 'correct horse battery';

  /** A new account, an operator token with every scope, and a member per given role. */
  async function team(roles: Role[]): Promise<{
    accountId: string;
    token: string;
    members: { id: string; email: string; role: Role }[];
  }> {
    const { account, token } = await h.account('startup');
    const members: { id: string; email: string; role: Role }[] = [];
    for (const role of roles) {
      const email = `${role}-${randomBytes(4).toString('hex')}@example.com`;
      const user = await h.management.team.create(account.id, { email, password: PASSWORD, role }, 'test');
      members.push({ id: user.id, email, role });
    }
    return { accountId: account.id, token, members };
  }

  interface Session {
    readonly cookie: string;
    readonly csrf: string;
    call(method: string, path: string, body?: unknown): Promise<ApiResponse>;
  }

  async function signIn(email: string, password = PASSWORD): Promise<Session> {
    const res = await h.request('POST', '/api/v1/session', { body: { email, password } });
    assert.equal(res.status, 200, res.text);
    const cookie = (res.headers.get('set-cookie') ?? '').split(';')[0]!;
    const csrf = res.json.csrf_token as string;
    return {
      cookie,
      csrf,
      call: (method, path, body) =>
        h.request(method, `/api/v1${path}`, {
          headers: { cookie, 'x-csrf-token': csrf },
          ...(body !== undefined ? { body } : {}),
        }),
    };
  }

  function withToken(token: string) {
    return (method: string, path: string, body?: unknown): Promise<ApiResponse> =>
      h.request(method, `/api/v1${path}`, { token, ...(body !== undefined ? { body } : {}) });
  }

  describe('finding 2: the sign-in limit holds under parallel requests', () => {
    test('40 parallel wrong passwords for one email: at most 5 get 401, the rest 429', async () => {
      const { members } = await team(['developer']);
      const email = members[0]!.email;
      const results = await Promise.all(
        Array.from({ length: 40 }, (_, i) =>
          h.request('POST', '/api/v1/session', { body: { email, password: `wrong password ${i}` } }),
        ),
      );
      const statuses = results.map((r) => r.status);
      const unauthorized = statuses.filter((s) => s === 401).length;
      const limited = statuses.filter((s) => s === 429).length;
      assert.equal(unauthorized + limited, 40, `only 401 and 429: ${statuses.join(',')}`);
      assert.ok(unauthorized <= 5, `${unauthorized} attempts reached the password check`);
      assert.ok(limited >= 35);
      for (const r of results.filter((x) => x.status === 429)) assertError(r, 429, 'rate_limited');
    });

    test('59 wrong passwords and the right one in parallel: the right one does not sign in', async () => {
      const { members } = await team(['admin']);
      const email = members[0]!.email;
      const wrong = Array.from({ length: 59 }, (_, i) =>
        h.request('POST', '/api/v1/session', { body: { email, password: `wrong password ${i}` } }),
      );
      const right = h.request('POST', '/api/v1/session', { body: { email, password: PASSWORD } });
      const [rightResult, ...wrongResults] = await Promise.all([right, ...wrong]);
      assert.ok(wrongResults.filter((r) => r.status === 401).length <= 5);
      assertError(rightResult, 429, 'rate_limited');
      assert.equal(rightResult.headers.get('set-cookie'), null, 'no session cookie');
      // Once the window has passed, the right password works again.
      h.clock.advance(15 * 60_000 + 1);
      await signIn(email);
    });
  });

  describe('finding 3: nobody grants a role or a scope they do not hold', () => {
    test('a token holding only account:write cannot create an owner (or any member), sign in as it or mint tokens', async () => {
      const { account, token: full } = await h.account('startup');
      const narrow = (
        await withToken(full)('POST', '/tokens', { name: 'team only', scopes: ['account:write'] })
      ).json.token as string;
      const email = `climber-${randomBytes(4).toString('hex')}@example.com`;
      for (const role of ['owner', 'admin', 'developer', 'viewer']) {
        assertError(
          await withToken(narrow)('POST', '/team', { email, password: PASSWORD, role }),
          403,
          'insufficient_role',
        );
      }
      assertError(
        await h.request('POST', '/api/v1/session', { body: { email, password: PASSWORD } }),
        401,
        'invalid_credentials',
      );
      assert.equal((await h.management.team.list(account.id)).length, 0);
    });

    test('an admin (session, or a token it minted with every scope) cannot create an owner; an owner can', async () => {
      const { token, members } = await team(['owner', 'admin']);
      const [owner, admin] = members;
      const adminSession = await signIn(admin!.email);
      const email = () => `new-${randomBytes(4).toString('hex')}@example.com`;
      assertError(
        await adminSession.call('POST', '/team', { email: email(), password: PASSWORD, role: 'owner' }),
        403,
        'insufficient_role',
      );
      const minted = await adminSession.call('POST', '/tokens', { name: 'admin all' });
      assert.equal(minted.status, 201);
      assert.equal(minted.json.scopes.length, 9, 'an admin holds every scope');
      assertError(
        await withToken(minted.json.token)('POST', '/team', {
          email: email(),
          password: PASSWORD,
          role: 'owner',
        }),
        403,
        'insufficient_role',
      );
      // A token minted by that token acts for the admin too.
      const child = await withToken(minted.json.token)('POST', '/tokens', { name: 'child' });
      assert.equal(child.status, 201);
      assertError(
        await withToken(child.json.token)('POST', '/team', {
          email: email(),
          password: PASSWORD,
          role: 'owner',
        }),
        403,
        'insufficient_role',
      );
      // An admin may add admins and below.
      assert.equal(
        (await adminSession.call('POST', '/team', { email: email(), password: PASSWORD, role: 'admin' }))
          .status,
        201,
      );
      const ownerSession = await signIn(owner!.email);
      assert.equal(
        (await ownerSession.call('POST', '/team', { email: email(), password: PASSWORD, role: 'owner' }))
          .status,
        201,
      );
      // The operator (CLI, or its tokens) is bound by nothing.
      assert.equal(
        (await withToken(token)('POST', '/team', { email: email(), password: PASSWORD, role: 'owner' }))
          .status,
        201,
      );
    });

    test('a token can mint and revoke only tokens within its own scopes', async () => {
      const { token: full } = await h.account('startup');
      const manager = (
        await withToken(full)('POST', '/tokens', {
          name: 'token manager',
          scopes: ['tokens:write', 'account:read'],
        })
      ).json.token as string;
      assertError(
        await withToken(manager)('POST', '/tokens', { name: 'x', scopes: ['apps:secrets'] }),
        403,
        'insufficient_scope',
      );
      const defaulted = await withToken(manager)('POST', '/tokens', { name: 'default scopes' });
      assert.deepEqual([...defaulted.json.scopes].sort(), ['account:read', 'tokens:write']);
      const reader = await withToken(manager)('POST', '/tokens', { name: 'r', scopes: ['account:read'] });
      assert.equal(reader.status, 201);
      const fullId = (await withToken(full)('GET', '/tokens')).json.tokens.find(
        (t: { name: string }) => t.name === 'test',
      ).id as string;
      const refused = await withToken(manager)('DELETE', `/tokens/${fullId}`);
      assertError(refused, 403, 'insufficient_scope');
      assert.match(refused.json.error.message, /apps:secrets/);
      assert.equal((await withToken(full)('GET', '/account')).status, 200, 'the full token still works');
      assert.equal((await withToken(manager)('DELETE', `/tokens/${reader.json.id}`)).status, 204);
    });
  });

  describe('finding 4: only owners manage owners; the last owner stays', () => {
    test('an admin cannot make itself owner, nor demote or remove the owner', async () => {
      const { accountId, members } = await team(['owner', 'admin']);
      const [owner, admin] = members;
      const adminSession = await signIn(admin!.email);
      assertError(
        await adminSession.call('PATCH', `/team/${admin!.id}`, { role: 'owner' }),
        403,
        'insufficient_role',
      );
      for (const role of ['admin', 'developer', 'viewer']) {
        assertError(
          await adminSession.call('PATCH', `/team/${owner!.id}`, { role }),
          403,
          'insufficient_role',
        );
      }
      assertError(await adminSession.call('DELETE', `/team/${owner!.id}`), 403, 'insufficient_role');
      const roles = new Map((await h.management.team.list(accountId)).map((u) => [u.id, u.role]));
      assert.equal(roles.get(owner!.id), 'owner');
      assert.equal(roles.get(admin!.id), 'admin');
    });

    test('an owner promotes and demotes owners; the last owner can be neither removed nor demoted', async () => {
      const { members } = await team(['owner', 'admin', 'developer']);
      const [owner, admin, developer] = members;
      const ownerSession = await signIn(owner!.email);
      assertError(await ownerSession.call('PATCH', `/team/${owner!.id}`, { role: 'admin' }), 409, 'conflict');
      assertError(await ownerSession.call('DELETE', `/team/${owner!.id}`), 409, 'conflict');
      assert.equal((await ownerSession.call('PATCH', `/team/${admin!.id}`, { role: 'owner' })).status, 200);
      // Now two owners: the first may step down.
      assert.equal((await ownerSession.call('PATCH', `/team/${owner!.id}`, { role: 'admin' })).status, 200);
      // A developer session cannot touch the team at all.
      const devSession = await signIn(developer!.email);
      assertError(
        await devSession.call('PATCH', `/team/${developer!.id}`, { role: 'admin' }),
        403,
        'insufficient_scope',
      );
    });
  });

  describe('tokens of removed and demoted members', () => {
    test('removing a member revokes every token it holds, including tokens minted by its tokens', async () => {
      const { token: operator, members } = await team(['owner', 'admin']);
      const [, admin] = members;
      const adminSession = await signIn(admin!.email);
      const t1 = await adminSession.call('POST', '/tokens', { name: 'ci' });
      const t2 = await withToken(t1.json.token)('POST', '/tokens', {
        name: 'minted by ci',
        scopes: ['apps:read'],
      });
      assert.equal((await withToken(t2.json.token)('GET', '/apps')).status, 200);
      assert.equal((await withToken(operator)('DELETE', `/team/${admin!.id}`)).status, 204);
      for (const t of [t1, t2]) {
        assertError(await withToken(t.json.token)('GET', '/apps'), 401, 'unauthorized');
      }
      assertError(await adminSession.call('GET', '/apps'), 401, 'unauthorized');
      const names = (await withToken(operator)('GET', '/tokens')).json.tokens.map(
        (t: { name: string }) => t.name,
      );
      assert.deepEqual(names, ['test']);
      const audit = (await withToken(operator)('GET', '/audit-log?limit=100')).json.entries as {
        action: string;
        details: { reason?: string };
      }[];
      assert.equal(
        audit.filter((e) => e.action === 'token.revoked' && e.details.reason === 'member_removed').length,
        2,
      );
    });

    test('demoting a member revokes its tokens that exceed the new role; tokens within it keep working', async () => {
      const { token: operator, members } = await team(['owner', 'admin']);
      const [owner, admin] = members;
      const adminSession = await signIn(admin!.email);
      const all = await adminSession.call('POST', '/tokens', { name: 'all' });
      const read = await adminSession.call('POST', '/tokens', {
        name: 'read',
        scopes: ['apps:read', 'account:read'],
      });
      const ownerSession = await signIn(owner!.email);
      assert.equal((await ownerSession.call('PATCH', `/team/${admin!.id}`, { role: 'viewer' })).status, 200);
      assertError(await withToken(all.json.token)('GET', '/apps'), 401, 'unauthorized');
      assert.equal((await withToken(read.json.token)('GET', '/apps')).status, 200);
      // The session follows the new role at once.
      assertError(await adminSession.call('POST', '/apps', {}), 403, 'insufficient_scope');
      const names = (await withToken(operator)('GET', '/tokens')).json.tokens.map(
        (t: { name: string }) => t.name,
      );
      assert.deepEqual(names.sort(), ['read', 'test']);
    });

    test('a token whose member vanished outside the API (database edit) is refused', async () => {
      const { members } = await team(['admin']);
      const session = await signIn(members[0]!.email);
      const t = await session.call('POST', '/tokens', { name: 'orphan' });
      assert.equal((await withToken(t.json.token)('GET', '/account')).status, 200);
      await h.store.accounts.deleteUser(members[0]!.id);
      assertError(await withToken(t.json.token)('GET', '/account'), 401, 'unauthorized');
    });
  });

  describe('plan changes are an operator action', () => {
    test('PATCH /account {"plan"} answers 403 operator_only and changes nothing', async () => {
      const { account, token } = await h.account('free');
      const res = await withToken(token)('PATCH', '/account', { plan: 'business' });
      assertError(res, 403, 'operator_only');
      assert.match(res.json.error.message, /mawjly accounts set-plan/);
      assert.equal((await withToken(token)('GET', '/account')).json.plan, 'free');
      assert.equal((await h.management.accounts.get(account.id)).plan, 'free');
      assertError(await withToken(token)('PATCH', '/account', { plan: 'gold' }), 422, 'validation_failed');
      const { members } = await team(['owner']);
      const owner = await signIn(members[0]!.email);
      assertError(await owner.call('PATCH', '/account', { plan: 'business' }), 403, 'operator_only');
    });
  });

  describe('POST /team does not tell whether an email exists in another account', () => {
    test('an email taken in another account gets the same answer as one taken here; refusals are bounded', async () => {
      const other = await team(['viewer']);
      const mine = await team(['viewer']);
      const post = (email: string) =>
        withToken(mine.token)('POST', '/team', { email, password: PASSWORD, role: 'viewer' });
      const elsewhere = await post(other.members[0]!.email);
      const here = await post(mine.members[0]!.email);
      assertError(elsewhere, 409, 'conflict');
      assert.equal(elsewhere.text, here.text);
      assert.doesNotMatch(elsewhere.text, /another account|already exists/);
      for (let i = 2; i < 10; i++) assertError(await post(other.members[0]!.email), 409, 'conflict');
      assertError(await post(other.members[0]!.email), 429, 'rate_limited');
      // New addresses still work.
      assert.equal((await post(`fresh-${randomBytes(4).toString('hex')}@example.com`)).status, 201);
    });
  });
});
