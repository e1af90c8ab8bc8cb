import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { createLogger } from './logger.js';

test('secrets never reach a log line, wherever they sit in the logged object', () => {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      lines.push(chunk.toString());
      callback();
    },
  });
  const logger = createLogger('debug', sink);
  const secret = 'S3CRET-app-secret-value';
  const key = 'AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=';
  logger.info({ secret, app: { secret, secrets: [secret] } }, 'app loaded');
  logger.info({ key_base64: key, result: { key_base64: key } }, 'key generated');
  logger.info({ password: 'hunter2', user: { password: 'hunter2' } }, 'user');
  logger.info(
    { token: 'mjly_tok', headers: { authorization: 'Bearer mjly_tok', cookie: 'mawjly_session=abc' } },
    'req',
  );
  logger.child({ encryptionMasterKeyBase64: key }).warn({ auth: 'key:sig' }, 'child');
  const text = lines.join('');
  assert.equal(lines.length, 5);
  for (const value of [secret, key, 'hunter2', 'mjly_tok', 'mawjly_session=abc', 'key:sig']) {
    assert.ok(!text.includes(value), `${value} leaked into the log`);
  }
  assert.match(text, /\[redacted\]/);
});
