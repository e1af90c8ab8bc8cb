// @mawjly/server against the real server, with the official SDKs: the key ring's authorization
// carries both channel secrets and fingerprints, stock pusher-js decrypts what it publishes, keys
// are validated without being quoted, and the built ESM and CJS entries load as documented.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { inspect } from 'node:util';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { PusherJS } from '../../../test/support/pusher-js.js';
import { authEndpointOptions, once, startTestServer, type TestServer } from '../../../test/support/server.js';
import * as implementation from './index.js';
import { MawjlyServer, deriveSharedSecret, keyFingerprint } from './index.js';
import type * as Published from './server-types.js';

// Checked by tsc: the hand-written declarations the package publishes (server-types.d.ts, the one
// source of its types) describe what the implementation exports.
const published: typeof Published = implementation;

const CHANNEL = 'private-encrypted-orders.42';
const packageDir = fileURLToPath(new URL('../', import.meta.url));
const newKey = (): string => randomBytes(32).toString('base64');

describe('@mawjly/server', () => {
  test('exports what its published declarations name', () => {
    assert.deepEqual(Object.keys(implementation).sort(), Object.keys(published).sort());
    for (const value of Object.values(published)) assert.equal(typeof value, 'function');
  });

  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(async () => {
    await server.close();
  });

  const make = (encryptionKeys?: { current: string; previous?: string }) =>
    new MawjlyServer({
      appId: server.app.id,
      key: server.app.key,
      secret: server.app.secrets[0] ?? '',
      host: server.host,
      port: String(server.port),
      useTLS: false,
      ...(encryptionKeys ? { encryptionKeys } : {}),
    });

  test('authorizeChannel: shared_secret and previous_shared_secret, with fingerprints', () => {
    const current = newKey();
    const previous = newKey();
    const auth = make({ current, previous }).authorizeChannel('1234.5678', CHANNEL);
    assert.equal(auth.shared_secret, deriveSharedSecret(CHANNEL, Buffer.from(current, 'base64')));
    assert.equal(auth.previous_shared_secret, deriveSharedSecret(CHANNEL, Buffer.from(previous, 'base64')));
    assert.equal(auth.key_fingerprint, keyFingerprint(Buffer.from(current, 'base64')));
    assert.equal(auth.previous_key_fingerprint, keyFingerprint(Buffer.from(previous, 'base64')));
    assert.match(auth.auth, new RegExp(`^${server.app.key}:[0-9a-f]{64}$`));
    // Without a previous key: no previous fields. Other channels: the SDK's answer unchanged.
    const single = make({ current }).authorizeChannel('1234.5678', CHANNEL);
    assert.deepEqual(Object.keys(single).sort(), ['auth', 'key_fingerprint', 'shared_secret']);
    const plain = make({ current, previous }).authorizeChannel('1234.5678', 'private-orders');
    assert.deepEqual(Object.keys(plain), ['auth']);
    // The deprecated alias answers the same.
    // eslint-disable-next-line @typescript-eslint/no-deprecated -- the alias must keep working
    assert.deepEqual(make({ current, previous }).authenticate('1234.5678', CHANNEL), auth);
  });

  test('publishes with the current key: stock pusher-js with the ring-authorized secret decrypts', async () => {
    const sdk = make({ current: newKey(), previous: newKey() });
    const client = new PusherJS(
      server.app.key,
      authEndpointOptions(server, (socketId, channelName) => sdk.authorizeChannel(socketId, channelName)),
    );
    try {
      const channel = client.subscribe(CHANNEL);
      await once(channel, 'pusher:subscription_succeeded');
      const got = once<{ orderId: string }>(channel, 'order.shipped');
      await sdk.trigger(CHANNEL, 'order.shipped', { orderId: '12345' });
      assert.deepEqual(await got, { orderId: '12345' });
    } finally {
      client.disconnect();
    }
  });

  test('bad keys are refused without quoting them; the instance never shows them', () => {
    const key = newKey();
    for (const [ring, pattern] of [
      [{ current: 'not base64!' }, /encryptionKeys\.current must be standard base64/],
      [{ current: randomBytes(16).toString('base64') }, /must decode to 32 bytes, not 16/],
      [{ current: key, previous: 'AAAA' }, /encryptionKeys\.previous must decode to 32 bytes/],
      [{ current: key, previous: key }, /previous must differ/],
    ] as const) {
      assert.throws(
        () => make(ring),
        (error: Error) => pattern.test(error.message) && !error.message.includes(ring.current),
      );
    }
    assert.throws(
      () =>
        new MawjlyServer({
          appId: '1',
          key: 'k',
          secret: 's',
          host: '127.0.0.1',
          encryptionMasterKeyBase64: key,
        } as never),
      /instead of encryptionMasterKeyBase64/,
    );
    const previous = newKey();
    const sdk = make({ current: key, previous });
    const shown = inspect(sdk, { depth: 6 }) + JSON.stringify(sdk.keyFingerprints);
    assert.ok(!shown.includes(previous), 'the previous key is not on the instance');
    assert.deepEqual(sdk.keyFingerprints, {
      current: keyFingerprint(Buffer.from(key, 'base64')),
      previous: keyFingerprint(Buffer.from(previous, 'base64')),
    });
  });

  test('the built package loads with import and require', () => {
    const build = spawnSync(process.execPath, ['build.mjs'], { cwd: packageDir, encoding: 'utf8' });
    assert.equal(build.status, 0, build.stderr);
    const key = newKey();
    const script = (load: string) => `${load}
      const sdk = new S({ appId: '1', key: 'k', secret: 's', host: '127.0.0.1', encryptionKeys: { current: '${key}', previous: '${newKey()}' } });
      const auth = sdk.authorizeChannel('1.2', '${CHANNEL}');
      console.log(JSON.stringify({ name: S.name, keys: Object.keys(auth).sort(), fn: typeof keyFingerprint }));`;
    const runs = [
      ['--input-type=module', '-e', script("import S, { keyFingerprint } from '@mawjly/server';")],
      ['-e', script("const S = require('@mawjly/server'); const { keyFingerprint } = S;")],
    ];
    for (const args of runs) {
      const run = spawnSync(process.execPath, args, { cwd: packageDir, encoding: 'utf8' });
      assert.equal(run.status, 0, run.stderr);
      assert.deepEqual(JSON.parse(run.stdout), {
        name: 'MawjlyServer',
        keys: [
          'auth',
          'key_fingerprint',
          'previous_key_fingerprint',
          'previous_shared_secret',
          'shared_secret',
        ],
        fn: 'function',
      });
    }
  });
});
