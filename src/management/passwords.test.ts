import assert from 'node:assert/strict';
import { test } from 'node:test';
import { hashPassword, verifyPassword } from './passwords.js';

test('scrypt hash is self-describing, salted, and verifies only the right password', async () => {
  const a = await hashPassword('correct horse battery staple');
  const b = await hashPassword('correct horse battery staple');
  assert.match(a, /^scrypt\$32768\$8\$1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
  assert.notEqual(a, b, 'per-user random salt');
  assert.ok(!a.includes('correct horse'));
  assert.equal(await verifyPassword('correct horse battery staple', a), true);
  assert.equal(await verifyPassword('correct horse battery staplf', a), false);
  assert.equal(await verifyPassword('', a), false);
});

test('malformed stored hashes never verify and never throw', async () => {
  for (const stored of [
    '',
    'scrypt$',
    'bcrypt$1$2$3$4$5',
    'scrypt$x$8$1$c2FsdA$aGFzaA',
    'scrypt$32768$8$1$$',
    'scrypt$4194304$8$1$c2FsdA$aGFzaA',
  ]) {
    assert.equal(await verifyPassword('pw', stored), false, stored);
  }
});
