import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import Pusher from 'pusher';
import { decodeMasterKey, deriveSharedSecret, isEncryptedChannel } from './master-key.js';

// PROTOCOL.md §3.4: master key bytes 0x00..0x1f.
const VECTOR_KEY = Uint8Array.from({ length: 32 }, (_, i) => i);
const VECTOR_KEY_BASE64 = 'AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=';
const VECTOR_CHANNEL = 'private-encrypted-orders.42';
const VECTOR_SHARED_SECRET = '1p2xOYUKMFi7esECwtVrgbYWw5p/Jyo0M/uighBM4/Y=';
const WRONG_ORDER_SHARED_SECRET = 'iDsb8kPxSz14r8CMoTxb+358gZpPYs8g4FddZGA/ROU=';

describe('deriveSharedSecret', () => {
  it('hashes the channel name first, then the master key (protocol vector)', () => {
    const secret = deriveSharedSecret(VECTOR_CHANNEL, VECTOR_KEY);
    assert.equal(secret, VECTOR_SHARED_SECRET);
    assert.notEqual(secret, WRONG_ORDER_SHARED_SECRET);
  });

  it('agrees with the pusher server SDK for random keys', () => {
    for (const channel of ['private-encrypted-a', 'private-encrypted-cache-x=y@z,;.', VECTOR_CHANNEL]) {
      const key = randomBytes(32);
      const sdk = new Pusher({
        appId: '1',
        key: 'app-key',
        secret: 'app-secret',
        host: '127.0.0.1',
        encryptionMasterKeyBase64: key.toString('base64'),
      });
      const expected = sdk.authorizeChannel('1234.5678', channel).shared_secret;
      assert.equal(deriveSharedSecret(channel, new Uint8Array(key)), expected);
    }
  });

  it('hashes the UTF-8 bytes of the channel name', () => {
    const channel = 'private-encrypted-ünïcødé-🔒';
    const expected = createHash('sha256').update(channel, 'utf8').update(VECTOR_KEY).digest('base64');
    assert.equal(deriveSharedSecret(channel, VECTOR_KEY), expected);
  });

  it('refuses a key that is not 32 bytes', () => {
    assert.throws(() => deriveSharedSecret(VECTOR_CHANNEL, new Uint8Array(31)), /32 bytes/);
  });
});

describe('decodeMasterKey', () => {
  it('accepts strict padded base64 of 32 bytes', () => {
    assert.deepEqual(decodeMasterKey(VECTOR_KEY_BASE64), VECTOR_KEY);
  });

  const rejected: [string, unknown, RegExp][] = [
    ['undefined', undefined, /must be a string, got undefined/],
    ['null', null, /must be a string, got null/],
    ['a number', 42, /must be a string, got number/],
    ['a Uint8Array', VECTOR_KEY, /must be a string, got object/],
    ['missing padding', VECTOR_KEY_BASE64.slice(0, -1), /standard base64 with padding/],
    ['URL-safe alphabet', '-_' + VECTOR_KEY_BASE64.slice(2), /standard base64 with padding/],
    ['surrounding whitespace', ` ${VECTOR_KEY_BASE64}\n`, /standard base64 with padding/],
    [
      'an inner newline',
      `${VECTOR_KEY_BASE64.slice(0, 20)}\n${VECTOR_KEY_BASE64.slice(20)}`,
      /standard base64/,
    ],
    ['the empty string', '', /decodes to 0 bytes/],
    [
      '16 bytes',
      Buffer.alloc(16, 7).toString('base64'),
      /must decode to 32 bytes, but the provided key decodes to 16 bytes/,
    ],
    ['31 bytes', Buffer.alloc(31, 7).toString('base64'), /decodes to 31 bytes/],
    ['33 bytes', Buffer.alloc(33, 7).toString('base64'), /decodes to 33 bytes/],
    ['64 bytes', Buffer.alloc(64, 7).toString('base64'), /decodes to 64 bytes/],
  ];
  for (const [what, value, message] of rejected) {
    it(`rejects ${what} with a clear error that does not quote the key`, () => {
      assert.throws(
        () => decodeMasterKey(value),
        (error: unknown) => {
          assert.ok(error instanceof Error);
          assert.match(error.message, message);
          if (typeof value === 'string' && value.trim().length > 4) {
            assert.ok(!error.message.includes(value.trim()), 'the error message quotes the key');
            assert.ok(
              !error.message.includes(value.trim().slice(0, 8)),
              'the error message quotes part of the key',
            );
          }
          return true;
        },
      );
    });
  }
});

describe('isEncryptedChannel', () => {
  it('recognises private-encrypted- and private-encrypted-cache- channels only', () => {
    assert.equal(isEncryptedChannel('private-encrypted-orders.42'), true);
    assert.equal(isEncryptedChannel('private-encrypted-cache-orders'), true);
    assert.equal(isEncryptedChannel('private-orders'), false);
    assert.equal(isEncryptedChannel('presence-encrypted-x'), false);
    assert.equal(isEncryptedChannel('encrypted-private-x'), false);
  });
});
