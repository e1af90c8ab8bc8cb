import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MIGRATIONS, checkMigrations, pendingMigrations, type Migration } from './migrations.js';

const m = (version: number): Migration => ({ version, name: `m${version}`, sqlite: '', postgres: '' });

test('the shipped migrations are strictly ordered and have SQL for both dialects', () => {
  checkMigrations(MIGRATIONS);
  for (const migration of MIGRATIONS) {
    assert.ok(migration.sqlite.trim().length > 0, `migration ${migration.version} has SQLite SQL`);
    assert.ok(migration.postgres.trim().length > 0, `migration ${migration.version} has PostgreSQL SQL`);
  }
});

test('checkMigrations rejects duplicate, decreasing and non-integer versions', () => {
  assert.throws(() => {
    checkMigrations([m(1), m(1)]);
  }, /strictly increasing/);
  assert.throws(() => {
    checkMigrations([m(2), m(1)]);
  }, /strictly increasing/);
  assert.throws(() => {
    checkMigrations([m(1.5)]);
  }, /strictly increasing/);
  assert.throws(() => {
    checkMigrations([m(0)]);
  }, /strictly increasing/);
});

test('pendingMigrations keeps the unapplied ones in order', () => {
  assert.deepEqual(
    pendingMigrations([m(1), m(2), m(3)], new Set([1, 3])).map((x) => x.version),
    [2],
  );
  assert.deepEqual(
    pendingMigrations([m(1), m(2)], new Set()).map((x) => x.version),
    [1, 2],
  );
  assert.deepEqual(pendingMigrations([m(1)], new Set([1])), []);
});
