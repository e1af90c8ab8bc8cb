import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { DEFAULT_PLANS } from '../core/app.js';
import { loadPlans, parsePlansOverride } from './plans.js';

test('no file: the default plan table', () => {
  assert.equal(loadPlans(undefined), DEFAULT_PLANS);
});

test('an override changes only the keys it names; null means unlimited', () => {
  const table = parsePlansOverride({
    free: { max_connections: null, encrypted_channels: true },
    pro: { max_apps: 50 },
  });
  assert.equal(table.free.maxConnections, null);
  assert.equal(table.free.encryptedChannels, true);
  assert.equal(table.free.maxMessagesPerDay, DEFAULT_PLANS.free.maxMessagesPerDay);
  assert.equal(table.pro.maxApps, 50);
  assert.deepEqual(table.startup, DEFAULT_PLANS.startup);
});

test('bad override files give a readable error naming the file and the field', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mawjly-plans-'));
  try {
    const file = join(dir, 'plans.json');
    writeFileSync(file, JSON.stringify({ free: { max_conections: 5 } }));
    assert.throws(() => loadPlans(file), /plans file .*plans\.json[\s\S]*free/);
    writeFileSync(file, JSON.stringify({ gold: {} }));
    assert.throws(() => loadPlans(file), /gold/);
    writeFileSync(file, JSON.stringify({ free: { max_apps: -1 } }));
    assert.throws(() => loadPlans(file), /free\.max_apps/);
    writeFileSync(file, '{ not json');
    assert.throws(() => loadPlans(file), /not valid JSON/);
    assert.throws(() => loadPlans(join(dir, 'missing.json')), /Cannot read plans file/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
