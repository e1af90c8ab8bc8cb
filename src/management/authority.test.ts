import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SCOPES, type Scope } from './api-tokens.js';
import { mayGrantRole, mayManage, OPERATOR, roleAuthority, scopesBeyond } from './authority.js';
import { ROLES } from './store.js';

test('only owners manage or give the owner role; admins manage admins and below; developers and viewers nobody', () => {
  const owner = roleAuthority('owner');
  const admin = roleAuthority('admin');
  for (const role of ROLES) {
    assert.ok(mayGrantRole(owner, role), `owner gives ${role}`);
    assert.ok(mayGrantRole(OPERATOR, role), `operator gives ${role}`);
    assert.equal(mayGrantRole(admin, role), role !== 'owner', `admin gives ${role}`);
    assert.equal(mayManage(admin, role), role !== 'owner', `admin manages ${role}`);
    assert.equal(mayGrantRole(roleAuthority('developer'), role), role === 'developer' || role === 'viewer');
  }
  assert.ok(!mayGrantRole(roleAuthority('viewer'), 'developer'));
});

test('a role is given only by a caller holding every scope of it', () => {
  const narrow = { role: 'owner' as const, scopes: new Set<Scope>(['account:write']) };
  for (const role of ROLES) assert.ok(!mayGrantRole(narrow, role), role);
  const operatorToken = { role: 'operator' as const, scopes: new Set<Scope>(['account:write']) };
  for (const role of ROLES) assert.ok(!mayGrantRole(operatorToken, role), role);
  assert.ok(mayManage(operatorToken, 'owner'), 'the operator manages (removes) anyone');
  assert.deepEqual(scopesBeyond(narrow, ['account:write', 'apps:secrets']), ['apps:secrets']);
  assert.deepEqual(scopesBeyond(OPERATOR, [...SCOPES]), []);
});
