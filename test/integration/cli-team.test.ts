// The operator's team and token commands (`mawjly users list|set-role|remove`, `mawjly tokens
// list|revoke`) as a user runs them, against a data directory the management API also serves: the
// operator is bound by no role rule but the last owner, and removing or demoting a member revokes
// its tokens (docs/security.md). Setup goes through the management services in-process; only the
// commands under test are spawned, to keep the file quick on a loaded machine.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startManagementHarness, type ManagementHarness } from '../support/management-harness.js';
import { runCli as mawjly } from '../support/cli.js';

describe('mawjly users and tokens commands', () => {
  let dir: string;
  let env: Record<string, string>;
  let h: ManagementHarness;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mawjly-cli-team-'));
    env = { MAWJLY_DATA_DIR: dir };
    h = await startManagementHarness('sqlite', { dataDir: dir });
  });
  after(async () => {
    await h.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('set-role (any role, the last owner kept), remove (revoking tokens), tokens list and revoke', async () => {
    const m = h.management;
    const account = await m.accounts.create({ name: 'Team Co' }, 'cli');
    await m.team.create(
      account.id,
      { email: 'boss@team.test', password: 'a long password', role: 'owner' },
      'cli',
    );
    await m.team.create(
      account.id,
      { email: 'ops@team.test', password: 'a long password', role: 'admin' },
      'cli',
    );
    const login = await h.request('POST', '/api/v1/session', {
      body: { email: 'ops@team.test', password: 'a long password' },
    });
    assert.equal(login.status, 200);
    const headers = {
      cookie: (login.headers.get('set-cookie') ?? '').split(';')[0]!,
      'x-csrf-token': login.json.csrf_token as string,
    };
    const adminToken = await h.request('POST', '/api/v1/tokens', { headers, body: { name: 'ops ci' } });
    assert.equal(adminToken.status, 201);

    const listed = await mawjly(['tokens', 'list', '--account', 'Team Co', '--json'], env);
    assert.equal(listed.code, 0, listed.stderr);
    assert.deepEqual(
      JSON.parse(listed.stdout).tokens.map((t: { name: string }) => t.name),
      ['ops ci'],
    );
    assert.ok(!listed.stdout.includes(adminToken.json.token), 'lists never show a token');

    // The operator may make anyone owner (how an account that lost its owner is recovered).
    const promoted = await mawjly(
      ['users', 'set-role', '--account', 'Team Co', '--email', 'OPS@team.test', '--role', 'owner', '--json'],
      env,
    );
    assert.equal(promoted.code, 0, promoted.stderr);
    assert.equal(JSON.parse(promoted.stdout).role, 'owner');
    const removed = await mawjly(
      ['users', 'remove', '--account', 'Team Co', '--email', 'boss@team.test'],
      env,
    );
    assert.equal(removed.code, 0, removed.stderr);
    const members = await mawjly(['users', 'list', '--account', 'Team Co'], env);
    assert.match(members.stdout, /ops@team\.test\s+owner/);
    assert.doesNotMatch(members.stdout, /boss@team\.test/);
    // The last owner stays, even for the operator.
    const last = await mawjly(['users', 'remove', '--account', 'Team Co', '--email', 'ops@team.test'], env);
    assert.equal(last.code, 1);
    assert.match(last.stderr, /at least one owner/);

    // Demoting the member revokes its all-scope token.
    await m.team.create(
      account.id,
      { email: 'new@team.test', password: 'a long password', role: 'owner' },
      'cli',
    );
    assert.equal((await h.request('GET', '/api/v1/apps', { token: adminToken.json.token })).status, 200);
    const demoted = await mawjly(
      ['users', 'set-role', '--account', 'Team Co', '--email', 'ops@team.test', '--role', 'viewer'],
      env,
    );
    assert.equal(demoted.code, 0, demoted.stderr);
    assert.equal((await h.request('GET', '/api/v1/apps', { token: adminToken.json.token })).status, 401);

    const { record, token } = await m.tokens.create(account.id, { name: 'op' }, 'cli');
    assert.equal((await h.request('GET', '/api/v1/apps', { token })).status, 200);
    const revoked = await mawjly(['tokens', 'revoke', '--account', 'Team Co', record.id], env);
    assert.equal(revoked.code, 0, revoked.stderr);
    assert.equal((await h.request('GET', '/api/v1/apps', { token })).status, 401);
    const audit = await m.audit.list(account.id, { limit: 100 });
    assert.equal(audit.filter((e) => e.action === 'token.revoked' && e.actor === 'cli').length, 2);
  });
});
