// The operator CLI as a user runs it: `node --import tsx src/cli/main.ts …` against a data directory,
// then the management API over the same store.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startManagementHarness } from '../support/management-harness.js';
import { runCli as mawjly } from '../support/cli.js';

describe('mawjly operator commands', () => {
  let dir: string;
  let env: Record<string, string>;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mawjly-cli-'));
    env = { MAWJLY_DATA_DIR: dir };
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('accounts, apps, tokens, users; the token is the last line; the API accepts it', async () => {
    const created = await mawjly(
      ['--init', 'accounts', 'create', 'Acme', '--plan', 'startup', '--json'],
      env,
    );
    assert.equal(created.code, 0, created.stderr);
    const account = JSON.parse(created.stdout);
    assert.equal(account.name, 'Acme');
    assert.equal(account.plan, 'startup');

    const dup = await mawjly(['accounts', 'create', 'Acme'], env);
    assert.equal(dup.code, 1);
    assert.match(dup.stderr, /already exists/);
    const badPlan = await mawjly(['accounts', 'create', 'Other', '--plan', 'gold'], env);
    assert.notEqual(badPlan.code, 0);
    assert.match(badPlan.stderr, /Unknown plan 'gold'/);
    const noAccount = await mawjly(['apps', 'create'], env);
    assert.equal(noAccount.code, 2);
    assert.match(noAccount.stderr, /--account NAME is required/);

    const app = await mawjly(['apps', 'create', '--account', 'Acme', '--name', 'shop', '--json'], env);
    assert.equal(app.code, 0, app.stderr);
    const appJson = JSON.parse(app.stdout);
    assert.match(appJson.id, /^\d{7}$/);
    assert.match(appJson.secret, /^[0-9a-f]{32}$/);

    const token = await mawjly(
      [
        'tokens',
        'create',
        '--account',
        'Acme',
        '--name',
        'deploy',
        '--scopes',
        'apps:read,keys:write,account:read',
      ],
      env,
    );
    assert.equal(token.code, 0, token.stderr);
    const lines = token.stdout.trimEnd().split('\n');
    const secretToken = lines.at(-1)!;
    assert.match(secretToken, /^mjly_[A-Za-z0-9_-]{43}$/);
    const badScope = await mawjly(['tokens', 'create', '--account', 'Acme', '--scopes', 'root'], env);
    assert.equal(badScope.code, 1);
    assert.match(badScope.stderr, /unknown 'root'/);

    const user = await mawjly(
      [
        'users',
        'create',
        '--account',
        'Acme',
        '--email',
        'Dev@Acme.test',
        '--password-stdin',
        '--role',
        'developer',
      ],
      env,
      'a long password\n',
    );
    assert.equal(user.code, 0, user.stderr);
    assert.match(user.stdout, /dev@acme\.test/);
    const badRole = await mawjly(
      [
        'users',
        'create',
        '--account',
        'Acme',
        '--email',
        'x@acme.test',
        '--password',
        'longpassword',
        '--role',
        'root',
      ],
      env,
    );
    assert.notEqual(badRole.code, 0);

    const rotated = await mawjly(
      ['apps', 'rotate-secret', appJson.id, '--grace-seconds', '60', '--json'],
      env,
    );
    assert.equal(rotated.code, 0, rotated.stderr);
    const rotation = JSON.parse(rotated.stdout);
    assert.notEqual(rotation.secret, appJson.secret);
    assert.notEqual(rotation.previous_valid_until, null);

    const list = await mawjly(['apps', 'list', '--account', 'Acme'], env);
    assert.equal(list.code, 0);
    assert.match(list.stdout, new RegExp(appJson.id));
    assert.ok(!list.stdout.includes(rotation.secret), 'lists never show a secret');
    assert.match(list.stdout, /\bAcme\b/, 'the ACCOUNT column shows the name --account takes');

    const version = await mawjly(['--version'], env);
    assert.equal(version.code, 0);
    assert.match(version.stdout, /^mawjly \d+\.\d+\.\d+\n$/);

    // The API over the same store: the CLI's token works, the key it generates has the CLI's fingerprint.
    const h = await startManagementHarness('sqlite', { dataDir: dir });
    try {
      const me = await h.request('GET', '/api/v1/account', { token: secretToken });
      assert.equal(me.status, 200);
      assert.equal(me.json.name, 'Acme');
      assert.equal((await h.request('GET', '/api/v1/tokens', { token: secretToken })).status, 200);
      assert.equal((await h.request('POST', '/api/v1/apps', { token: secretToken, body: {} })).status, 403);
      const gen = await h.request('POST', `/api/v1/apps/${appJson.id}/encryption-key`, {
        token: secretToken,
      });
      assert.equal(gen.status, 201);
      const key = gen.json.key_base64 as string;

      const fromEnv = await mawjly(['key', 'fingerprint'], { MAWJLY_ENCRYPTION_KEY: key });
      assert.equal(fromEnv.code, 0, fromEnv.stderr);
      assert.equal(fromEnv.stdout.trim(), gen.json.fingerprint);
      const fromStdin = await mawjly(['key', 'fingerprint', '--json'], {}, `${key}\n`);
      assert.equal(JSON.parse(fromStdin.stdout).fingerprint, gen.json.fingerprint);
      for (const run of [fromEnv, fromStdin])
        assert.ok(!`${run.stdout}${run.stderr}`.includes(key), 'never echoed');

      const bad = await mawjly(['key', 'fingerprint'], { MAWJLY_ENCRYPTION_KEY: key.slice(0, -2) });
      assert.equal(bad.code, 1);
      assert.match(bad.stderr, /Invalid encryption master key/);
      assert.ok(!bad.stderr.includes(key.slice(0, -2)));
      const asArgument = await mawjly(['key', 'fingerprint', key], {});
      assert.equal(asArgument.code, 2);
      assert.ok(!asArgument.stderr.includes(key));
    } finally {
      await h.close();
    }

    const setPlan = await mawjly(['accounts', 'set-plan', 'Acme', 'free'], env);
    assert.equal(setPlan.code, 0, setPlan.stderr);
    const accounts = await mawjly(['accounts', 'list', '--json'], env);
    assert.deepEqual(
      JSON.parse(accounts.stdout).accounts.map((a: { name: string; plan: string }) => [a.name, a.plan]),
      [['Acme', 'free']],
    );
    const unknown = await mawjly(['accounts', 'set-plan', 'Nobody', 'pro'], env);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /Unknown account 'Nobody'/);
  });
});
