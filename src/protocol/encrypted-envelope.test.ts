import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { base64DecodedLength, isStrictBase64 } from './base64.js';
import { checkEncryptedEnvelope } from './encrypted-envelope.js';

interface Vectors {
  encryption: { nonce_base64: string; ciphertext_base64: string; data_field: string; plaintext: string };
}
const V = JSON.parse(
  readFileSync(new URL('../../test/fixtures/protocol-vectors.json', import.meta.url), 'utf8'),
) as Vectors;
const { nonce_base64: NONCE, ciphertext_base64: CIPHERTEXT } = V.encryption;

const b64 = (bytes: number): string => Buffer.alloc(bytes, 7).toString('base64');
const envelope = (fields: Record<string, unknown>): string => JSON.stringify(fields);

/** Asserts a rejection whose reason mentions every given fragment. */
function rejects(data: string, ...fragments: (string | RegExp)[]): void {
  const reason = checkEncryptedEnvelope(data);
  assert.equal(typeof reason, 'string', `expected ${data} to be rejected`);
  for (const f of fragments) {
    if (typeof f === 'string') assert.ok(reason!.includes(f), `reason ${JSON.stringify(reason)} lacks ${f}`);
    else assert.match(reason!, f);
  }
}

describe('checkEncryptedEnvelope', () => {
  test('accepts the SDK-produced data field of the vector', () => {
    assert.equal(checkEncryptedEnvelope(V.encryption.data_field), undefined);
  });

  test('accepts the smallest valid envelope (24-byte nonce, 16-byte ciphertext) and key order is free', () => {
    assert.equal(checkEncryptedEnvelope(envelope({ nonce: b64(24), ciphertext: b64(16) })), undefined);
    assert.equal(checkEncryptedEnvelope(envelope({ ciphertext: CIPHERTEXT, nonce: NONCE })), undefined);
    assert.equal(checkEncryptedEnvelope(`  ${V.encryption.data_field}\n`), undefined);
  });

  test('rejects plaintext JSON objects', () => {
    rejects(V.encryption.plaintext, '"orderId"', 'unexpected field', 'plaintext');
    rejects('{}', 'nonce');
  });

  test('rejects non-JSON', () => {
    for (const bad of ['', 'hello', '{nonce:1}', "{'nonce':'x'}", V.encryption.data_field.slice(0, -1)]) {
      rejects(bad, 'not JSON');
    }
  });

  test('rejects JSON that is not an object', () => {
    for (const bad of [
      '[]',
      JSON.stringify([NONCE, CIPHERTEXT]),
      'null',
      '42',
      'true',
      JSON.stringify(V.encryption.data_field),
    ]) {
      rejects(bad, 'JSON object', 'plaintext');
    }
  });

  test('rejects a missing nonce or ciphertext', () => {
    rejects(envelope({ ciphertext: CIPHERTEXT }), 'data.nonce', 'missing');
    rejects(envelope({ nonce: NONCE }), 'data.ciphertext', 'missing');
  });

  test('rejects non-string fields', () => {
    for (const bad of [null, 24, true, [NONCE], { b: NONCE }]) {
      rejects(envelope({ nonce: bad, ciphertext: CIPHERTEXT }), 'data.nonce', 'not a string');
      rejects(envelope({ nonce: NONCE, ciphertext: bad }), 'data.ciphertext', 'not a string');
    }
  });

  test('rejects bad base64 in either field', () => {
    const nonceVariants = [
      NONCE.slice(0, -1), // wrong length
      b64(23).replace(/=+$/, ''), // missing padding
      `${NONCE}=`,
      `${NONCE.slice(0, 10)} ${NONCE.slice(10)}`, // whitespace inside
      ` ${NONCE}`,
      `${NONCE}\n`,
      '-_-_' + NONCE.slice(4), // url-safe alphabet
      NONCE.slice(0, -4) + 'AA=A', // padding in the middle
      NONCE.slice(0, -1) + '!',
    ];
    for (const bad of nonceVariants) {
      rejects(envelope({ nonce: bad, ciphertext: CIPHERTEXT }), 'data.nonce', 'base64');
    }
    const cipherVariants = [
      CIPHERTEXT.replace(/=+$/, ''), // missing padding
      CIPHERTEXT.replace('+', '-').replace('/', '_'), // url-safe alphabet
      `${CIPHERTEXT.slice(0, 8)}\n${CIPHERTEXT.slice(8)}`,
      `${CIPHERTEXT} `,
      `${CIPHERTEXT}==`,
    ];
    for (const bad of cipherVariants) {
      assert.notEqual(bad, CIPHERTEXT);
      rejects(envelope({ nonce: NONCE, ciphertext: bad }), 'data.ciphertext', 'base64');
    }
  });

  test('rejects a nonce of 23 or 25 bytes, naming the sizes', () => {
    rejects(envelope({ nonce: b64(23), ciphertext: CIPHERTEXT }), 'data.nonce', '24 bytes', 'got 23');
    rejects(envelope({ nonce: b64(25), ciphertext: CIPHERTEXT }), 'data.nonce', '24 bytes', 'got 25');
    rejects(envelope({ nonce: '', ciphertext: CIPHERTEXT }), 'data.nonce', 'got 0');
  });

  test('rejects a ciphertext shorter than the 16-byte authenticator', () => {
    rejects(
      envelope({ nonce: NONCE, ciphertext: b64(15) }),
      'data.ciphertext',
      'at least 16 bytes',
      'got 15',
    );
    rejects(envelope({ nonce: NONCE, ciphertext: '' }), 'data.ciphertext', 'got 0');
  });

  test('rejects extra fields, naming them', () => {
    rejects(
      envelope({ nonce: NONCE, ciphertext: CIPHERTEXT, plaintext: 'secret' }),
      '"plaintext"',
      'unexpected',
    );
    rejects(envelope({ nonce: NONCE, ciphertext: CIPHERTEXT, a: 1, b: 2 }), '"a"', '"b"');
    rejects(`{"nonce":"${NONCE}","ciphertext":"${CIPHERTEXT}","__proto__":{}}`, '"__proto__"');
  });
});

describe('base64 helpers', () => {
  test('isStrictBase64 follows is-base64 defaults', () => {
    assert.equal(isStrictBase64(''), true);
    assert.equal(isStrictBase64('AA=='), true);
    assert.equal(isStrictBase64('AAA='), true);
    assert.equal(isStrictBase64('AAAA'), true);
    assert.equal(isStrictBase64('AA'), false);
    assert.equal(isStrictBase64('A==='), false);
    assert.equal(isStrictBase64('-_AA'), false);
  });

  test('base64DecodedLength agrees with Buffer for 0..40 bytes', () => {
    for (let n = 0; n <= 40; n++) assert.equal(base64DecodedLength(b64(n)), n);
  });
});
