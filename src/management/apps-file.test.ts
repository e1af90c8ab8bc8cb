import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseAppsFile } from './apps-file.js';

test('apps file entries get defaults: account app-<id>, name app-<id>, empty settings', () => {
  const [entry] = parseAppsFile([{ id: 1234567, key: 'abc', secret: 'secret-123', plan: 'startup' }]);
  assert.deepEqual(entry, {
    id: '1234567',
    key: 'abc',
    secret: 'secret-123',
    plan: 'startup',
    account: 'app-1234567',
    name: 'app-1234567',
    settings: {},
  });
});

test('errors name the entry index and field, and never quote a secret', () => {
  assert.throws(() => parseAppsFile({}), /JSON array/);
  try {
    parseAppsFile([
      { id: '1', key: 'k1', secret: 'longenough', plan: 'free' },
      { id: 'x', key: 'k2', secret: 'short', plan: 'gold', settings: { enabled: 'yes' } },
      { id: '1', key: 'k1', secret: 'longenough', plan: 'free' },
    ]);
    assert.fail('expected an error');
  } catch (error) {
    const message = (error as Error).message;
    assert.match(message, /entry 1\.id/);
    assert.match(message, /entry 1\.secret/);
    assert.match(message, /entry 1\.plan/);
    assert.match(message, /entry 1\.settings\.enabled/);
    assert.match(message, /entry 2\.id: duplicate/);
    assert.ok(!message.includes('longenough'));
  }
});
