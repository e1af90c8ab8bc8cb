// The dashboard's browser cryptography (dashboard/src/crypto.ts, run here on Node's WebCrypto) against
// the vectors captured from the official SDKs and the server's own fingerprint function. (The
// dashboard has its own tsconfig, so its unit tests live here rather than next to the file.)
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import {
  channelKey,
  decryptEnvelope,
  keyFingerprint,
  KeyFormatError,
  parseMasterKey,
  readEnvelope,
} from '../../dashboard/src/crypto.js';
import { encryptionKeyFingerprint } from '../../src/management/encryption-key.js';

interface Vectors {
  inputs: { encryption_master_key_base64: string };
  encryption: { channel_name: string; shared_secret_base64: string; plaintext: string; data_field: string };
}
const vectors = JSON.parse(
  readFileSync(new URL('../fixtures/protocol-vectors.json', import.meta.url), 'utf8'),
) as Vectors;
const masterKey = parseMasterKey(vectors.inputs.encryption_master_key_base64);
const { channel_name: channel } = vectors.encryption;

describe('dashboard crypto', () => {
  test('the channel key is the SDKs’ shared_secret', async () => {
    const key = await channelKey(channel, masterKey);
    assert.equal(Buffer.from(key).toString('base64'), vectors.encryption.shared_secret_base64);
  });

  test('decrypts the event data the pusher SDK produced', async () => {
    const envelope = readEnvelope(vectors.encryption.data_field);
    assert.ok(envelope);
    const result = await decryptEnvelope(channel, envelope, masterKey);
    assert.ok(result.ok);
    assert.equal(result.text, vectors.encryption.plaintext);
    assert.deepEqual(result.json, { orderId: '12345' });
  });

  test('another key, another channel or tampered ciphertext do not decrypt', async () => {
    const envelope = readEnvelope(vectors.encryption.data_field);
    assert.ok(envelope);
    assert.equal((await decryptEnvelope(channel, envelope, new Uint8Array(32))).ok, false);
    assert.equal((await decryptEnvelope(`${channel}x`, envelope, masterKey)).ok, false);
    const bytes = Buffer.from(envelope.ciphertext, 'base64');
    bytes[0] = (bytes[0] ?? 0) ^ 1;
    const tampered = { nonce: envelope.nonce, ciphertext: bytes.toString('base64') };
    assert.equal((await decryptEnvelope(channel, tampered, masterKey)).ok, false);
    assert.equal(
      (await decryptEnvelope(channel, { nonce: 'AAAA', ciphertext: envelope.ciphertext }, masterKey)).ok,
      false,
    );
  });

  test('the fingerprint equals the server’s, as grouped hex', async () => {
    for (let i = 0; i < 20; i++) {
      const key = randomBytes(32);
      const fingerprint = await keyFingerprint(key);
      assert.match(fingerprint, /^[0-9a-f]{4}(:[0-9a-f]{4}){7}$/);
      assert.equal(fingerprint, encryptionKeyFingerprint(key));
    }
  });

  test('a pasted key must be strict base64 of 32 bytes', () => {
    const good = vectors.inputs.encryption_master_key_base64;
    assert.deepEqual(parseMasterKey(`  ${good}\n`), masterKey);
    for (const bad of [
      '',
      good.slice(0, -1),
      good.replace('=', ''),
      `${good}AAAA`,
      randomBytes(31).toString('base64'),
      '!'.repeat(44),
    ]) {
      assert.throws(() => parseMasterKey(bad), KeyFormatError, JSON.stringify(bad));
    }
  });

  test('reads an envelope from a JSON string or an object, nothing else', () => {
    assert.deepEqual(readEnvelope({ nonce: 'a', ciphertext: 'b' }), { nonce: 'a', ciphertext: 'b' });
    assert.deepEqual(readEnvelope('{"nonce":"a","ciphertext":"b"}'), { nonce: 'a', ciphertext: 'b' });
    for (const value of ['plain text', '{"nonce":1,"ciphertext":"b"}', null, 42, ['a']]) {
      assert.equal(readEnvelope(value), undefined);
    }
  });
});
