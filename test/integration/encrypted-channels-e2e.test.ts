// Issue 3 end to end: accounts and tokens from the CLI, apps and the encryption master key from the
// management API of the running server, then the official SDKs: `pusher` encrypts with
// `encryptionMasterKeyBase64`, the auth function (same SDK) returns the shared_secret, and pusher-js
// decrypts. On Free, generating a key is refused and audited.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import Pusher from 'pusher';
import { hmacSha256Hex, md5Hex, restStringToSign } from '../../src/protocol/signing.js';
import { loadConfig } from '../../src/config/config.js';
import { silentLogger } from '../../src/core/ports/logger.js';
import { startServer, type RunningServer } from '../../src/server/server.js';
import { clientSdk, once, serverSdk, waitForState } from '../support/server.js';
import { runCli } from '../support/cli.js';
import { managementRequest } from '../support/management-api.js';

const cli = (args: string[], dataDir: string) => runCli(args, { MAWJLY_DATA_DIR: dataDir });

async function accountToken(name: string, plan: string, dataDir: string): Promise<string> {
  const account = await cli(['--init', 'accounts', 'create', name, '--plan', plan], dataDir);
  assert.equal(account.code, 0, account.stderr);
  const token = await cli(['tokens', 'create', '--account', name], dataDir);
  assert.equal(token.code, 0, token.stderr);
  return token.stdout.trimEnd().split('\n').at(-1)!;
}

describe('encrypted channels end to end (CLI + management API + official SDKs)', () => {
  let dataDir: string;
  let server: RunningServer;
  let startupToken: string;
  let freeToken: string;

  const api = (method: string, path: string, token: string, body?: unknown) =>
    managementRequest(server.url, token, method, path, body);

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'mawjly-e2e-'));
    // The CLI works on the store before the server starts (it has no way to reach a running node).
    [startupToken, freeToken] = await Promise.all([
      accountToken('startup-co', 'startup', dataDir),
      accountToken('free-co', 'free', dataDir),
    ]);
    const config = loadConfig({}, { port: 0, metricsPort: 0, host: '127.0.0.1', dataDir });
    server = await startServer({ config, logger: silentLogger });
  });
  after(async () => {
    await server.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  test('Startup: generate a key, publish order.shipped encrypted, pusher-js receives it decrypted', async () => {
    const created = await api('POST', '/apps', startupToken, { name: 'shop' });
    assert.equal(created.status, 201);
    const key = await api('POST', `/apps/${created.json.id}/encryption-key`, startupToken);
    assert.equal(key.status, 201);
    const masterKey = key.json.key_base64 as string;

    const app = server.directory.findById(created.json.id);
    assert.ok(app, 'the running server knows the new app at once');
    const client = clientSdk(server, app, { masterKeyBase64: masterKey });
    try {
      await waitForState(client, 'connected');
      const channel = client.subscribe('private-encrypted-orders');
      await once(channel, 'pusher:subscription_succeeded');
      const received = once<{ orderId: string; trackingNumber: string }>(channel, 'order.shipped');
      const publisher = serverSdk(server, app, { encryptionMasterKeyBase64: masterKey });
      const payload = { orderId: 'ord_1001', trackingNumber: '1Z999AA10123456784' };
      await publisher.trigger('private-encrypted-orders', 'order.shipped', payload);
      assert.deepEqual(await received, payload);

      // Plaintext to an encrypted channel is refused by the server (the SDK would not even send it,
      // so this request is signed by hand).
      const body = JSON.stringify({
        name: 'order.shipped',
        channels: ['private-encrypted-orders'],
        data: JSON.stringify(payload),
      });
      const path = `/apps/${app.id}/events`;
      const params: Record<string, string> = {
        auth_key: app.key,
        auth_timestamp: String(Math.floor(Date.now() / 1000)),
        auth_version: '1.0',
        body_md5: md5Hex(body),
      };
      params.auth_signature = hmacSha256Hex(created.json.secret, restStringToSign('POST', path, params));
      const refused = await fetch(`${server.url}${path}?${new URLSearchParams(params).toString()}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      });
      assert.equal(refused.status, 400);

      // A secret rotation without grace takes effect at once on the running server.
      const rotated = await api('POST', `/apps/${created.json.id}/rotate-secret`, startupToken, {});
      assert.equal(rotated.status, 200);
      await assert.rejects(publisher.trigger('public-x', 'e', {}), (e: { status?: number }) => {
        assert.equal(e.status, 401);
        return true;
      });
      const fresh = new Pusher({
        appId: app.id,
        key: app.key,
        secret: rotated.json.secret,
        host: server.host,
        port: String(server.port),
        useTLS: false,
      });
      await fresh.trigger('public-x', 'e', {});
    } finally {
      client.disconnect();
    }
  });

  test('Free: generating a key is 403 plan_feature_unavailable and the refusal is in the audit log', async () => {
    const created = await api('POST', '/apps', freeToken, { name: 'free-shop' });
    assert.equal(created.status, 201);
    const denied = await api('POST', `/apps/${created.json.id}/encryption-key`, freeToken);
    assert.equal(denied.status, 403);
    assert.equal(denied.json.error.code, 'plan_feature_unavailable');
    const audit = await api('GET', '/audit-log', freeToken);
    const entry = audit.json.entries.find(
      (e: { action: string }) => e.action === 'encryption_key.generate_denied',
    );
    assert.ok(entry);
    assert.equal(entry.target, `app:${created.json.id}`);

    const app = server.directory.findById(created.json.id)!;
    // A key made locally: the auth endpoint can sign, the server still refuses the subscription.
    const client = clientSdk(server, app, { masterKeyBase64: randomBytes(32).toString('base64') });
    try {
      await waitForState(client, 'connected');
      const channel = client.subscribe('private-encrypted-orders');
      const error = await once<{ status: number }>(channel, 'pusher:subscription_error');
      assert.equal(error.status, 403);
    } finally {
      client.disconnect();
    }
  });
});
