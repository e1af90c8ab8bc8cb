import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { generateApiToken, hashApiToken, looksLikeApiToken, ROLE_SCOPES, SCOPES } from './api-tokens.js';

test('tokens are mjly_ + 32 random bytes base64url; stored as SHA-256 hex and a short prefix', () => {
  const a = generateApiToken();
  const b = generateApiToken();
  assert.match(a.token, /^mjly_[A-Za-z0-9_-]{43}$/);
  assert.equal(Buffer.from(a.token.slice(5), 'base64url').length, 32);
  assert.notEqual(a.token, b.token);
  assert.equal(a.hash, createHash('sha256').update(a.token).digest('hex'));
  assert.equal(hashApiToken(a.token), a.hash);
  assert.ok(a.token.startsWith(a.prefix));
  assert.equal(a.prefix.length, 11);
  assert.ok(looksLikeApiToken(a.token));
  assert.ok(!looksLikeApiToken(`${a.token}x`));
  assert.ok(!looksLikeApiToken('Bearer x'));
});

test('role scopes: owner/admin all, developer without account:write and tokens:write, viewer read only', () => {
  assert.deepEqual([...ROLE_SCOPES.owner], [...SCOPES]);
  assert.deepEqual([...ROLE_SCOPES.admin], [...SCOPES]);
  assert.ok(!ROLE_SCOPES.developer.includes('account:write'));
  assert.ok(!ROLE_SCOPES.developer.includes('tokens:write'));
  assert.ok(ROLE_SCOPES.developer.includes('keys:write'));
  assert.ok(ROLE_SCOPES.viewer.every((s) => s.endsWith(':read')));
  assert.ok(!ROLE_SCOPES.viewer.includes('apps:secrets'));
});
