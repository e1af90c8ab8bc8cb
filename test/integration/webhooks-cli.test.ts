// `mawjly webhooks list|add|remove|test --app ID` as an operator runs it, against a data directory.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { startReceiver } from '../support/webhook-receiver.js';
import { runCli as mawjly } from '../support/cli.js';

test('mawjly webhooks: add, list, test (signed, verified by the SDK), remove; --json; private targets', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'mawjly-wh-cli-'));
  const env = { MAWJLY_DATA_DIR: dir };
  try {
    assert.equal((await mawjly(['--init', 'accounts', 'create', 'Hooks', '--plan', 'free'], env)).code, 0);
    const app = JSON.parse((await mawjly(['apps', 'create', '--account', 'Hooks', '--json'], env)).stdout);
    const receiver = await startReceiver({ id: app.id, key: app.key, secret: app.secret });
    try {
      const refused = await mawjly(['webhooks', 'add', '--app', app.id, '--url', receiver.url], env);
      assert.equal(refused.code, 1);
      assert.match(refused.stderr, /not a public address/);
      const allowed = { ...env, MAWJLY_WEBHOOKS_ALLOW_PRIVATE_TARGETS: 'true' };
      const added = await mawjly(
        [
          'webhooks',
          'add',
          '--app',
          app.id,
          '--url',
          receiver.url,
          '--events',
          'member_added,member_removed',
          '--header',
          'X-Token: abcdef',
          '--json',
        ],
        allowed,
      );
      assert.equal(added.code, 0, added.stderr);
      const w = JSON.parse(added.stdout);
      assert.deepEqual(w.event_types, ['member_added', 'member_removed']);
      assert.deepEqual(w.headers, { 'X-Token': '••••cdef' });
      const second = await mawjly(['webhooks', 'add', '--app', app.id, '--url', receiver.url], allowed);
      assert.equal(second.code, 1, 'the Free plan allows one endpoint per app');
      assert.match(second.stderr, /free plan allows 1 webhook endpoint/);

      const list = await mawjly(['webhooks', 'list', '--app', app.id], env);
      assert.match(
        list.stdout,
        new RegExp(
          `${String(w.id)}\\s+${receiver.url.replace(/[.]/g, '\\.')}\\s+member_added,member_removed\\s+yes`,
        ),
      );

      const tested = await mawjly(['webhooks', 'test', '--app', app.id, w.id, '--json'], allowed);
      assert.equal(tested.code, 0, tested.stderr);
      assert.equal(JSON.parse(tested.stdout).status, 200);
      assert.equal(receiver.requests.length, 1);
      assert.equal(receiver.requests[0]!.valid, true);
      assert.equal(receiver.requests[0]!.headers['x-token'], 'abcdef');
      receiver.mode = 'fail';
      const failing = await mawjly(['webhooks', 'test', '--app', app.id, w.id], allowed);
      assert.equal(failing.code, 1);
      assert.match(failing.stdout, /failed: HTTP 503/);

      assert.equal((await mawjly(['webhooks', 'remove', '--app', app.id, w.id], env)).code, 0);
      assert.equal(
        JSON.parse((await mawjly(['webhooks', 'list', '--app', app.id, '--json'], env)).stdout).webhooks
          .length,
        0,
      );
    } finally {
      await receiver.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
