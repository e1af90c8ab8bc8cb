import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import {
  encryptionKeyFingerprint,
  generateEncryptionKey,
  InvalidEncryptionKeyError,
  parseEncryptionKeyBase64,
} from './encryption-key.js';

const key = Buffer.from('000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f', 'hex');

function grouped(hex: string): string {
  return (hex.slice(0, 32).match(/.{4}/g) ?? []).join(':');
}

test('fingerprint is SHA-256 of the domain string, a NUL and the key: first 16 bytes, grouped by 4', () => {
  const expected = createHash('sha256')
    .update(Buffer.concat([Buffer.from('mawjly-encryption-key-fingerprint-v1\0', 'utf8'), key]))
    .digest('hex');
  const fp = encryptionKeyFingerprint(key);
  assert.equal(fp, grouped(expected));
  assert.match(fp, /^[0-9a-f]{4}(:[0-9a-f]{4}){7}$/);
  assert.equal(encryptionKeyFingerprint(Buffer.from(key)), fp, 'deterministic');
  const other = Buffer.from(key);
  other[31] = 0xff;
  assert.notEqual(encryptionKeyFingerprint(other), fp);
});

test('fingerprint is domain-separated from every channel shared secret SHA-256(channel ‖ key)', () => {
  const fp = encryptionKeyFingerprint(key);
  const bare = fp.replaceAll(':', '');
  for (const channel of [
    'private-encrypted-orders',
    'private-encrypted-',
    '',
    'mawjly-encryption-key-fingerprint-v1',
  ]) {
    const shared = createHash('sha256').update(channel, 'utf8').update(key).digest();
    assert.notEqual(fp, grouped(shared.toString('hex')), channel);
    assert.ok(!shared.toString('hex').startsWith(bare), channel);
    assert.notEqual(shared.toString('base64'), fp);
  }
  const plain = createHash('sha256').update(key).digest('hex');
  assert.notEqual(fp, grouped(plain), 'not the plain SHA-256 of the key');
});

test('generated keys are 32 random bytes in padded standard base64 (44 characters)', () => {
  const a = generateEncryptionKey();
  const b = generateEncryptionKey();
  assert.equal(a.keyBase64.length, 44);
  assert.match(a.keyBase64, /^[A-Za-z0-9+/]{43}=$/);
  assert.equal(Buffer.from(a.keyBase64, 'base64').length, 32);
  assert.notEqual(a.keyBase64, b.keyBase64);
  assert.equal(a.fingerprint, encryptionKeyFingerprint(parseEncryptionKeyBase64(a.keyBase64)));
});

test('parseEncryptionKeyBase64 accepts only strict padded base64 of exactly 32 bytes, without echoing input', () => {
  const good = key.toString('base64');
  assert.deepEqual(parseEncryptionKeyBase64(good), key);
  assert.deepEqual(parseEncryptionKeyBase64(`  ${good}\n`), key, 'surrounding whitespace is trimmed');
  const bad = [
    '',
    good.slice(0, -1), // no padding
    key.toString('base64url'),
    Buffer.alloc(31).toString('base64'),
    Buffer.alloc(33).toString('base64'),
    `${good.slice(0, 10)}*${good.slice(11)}`,
    key.toString('hex'),
  ];
  for (const value of bad) {
    assert.throws(
      () => parseEncryptionKeyBase64(value),
      (error: unknown) => {
        assert.ok(error instanceof InvalidEncryptionKeyError);
        if (value.length > 8)
          assert.ok(!error.message.includes(value.trim()), 'message never quotes the key');
        return true;
      },
    );
  }
});
