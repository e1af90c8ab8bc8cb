// What `mawjly serve` loads at startup, seen at the process boundary through a loader hook
// (test/support/package-loads.mjs): the PostgreSQL, Redis and NATS clients and `ws` are loaded only
// when the configuration uses them, so a default node does not carry them on its heap.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { loadUws } from '../../src/transport/uws/uws-loader.js';
import { startServeProcess } from '../support/child-process.js';

const HOOK = fileURLToPath(new URL('../support/package-loads.mjs', import.meta.url));
const OPTIONAL = ['pg', 'ioredis', 'nats', 'ws'];
const dir = mkdtempSync(join(tmpdir(), 'mawjly-footprint-'));

/** The packages (of OPTIONAL) a `mawjly serve` with `env` has loaded once it listens. */
async function loadedBy(env: Record<string, string>): Promise<string[]> {
  const log = join(dir, `${randomBytes(6).toString('hex')}.log`);
  const server = await startServeProcess({
    nodeArgs: ['--import', HOOK],
    env: { MAWJLY_CLUSTER_URL: 'memory', MAWJLY_TEST_PACKAGE_LOG: log, ...env },
  });
  try {
    const loaded = readFileSync(log, 'utf8').split('\n');
    // The hook works: packages every configuration uses are listed.
    assert.ok(loaded.includes('pino') && loaded.includes('better-sqlite3'), loaded.join(' '));
    return OPTIONAL.filter((name) => loaded.includes(name));
  } finally {
    await server.stop();
  }
}

describe('startup footprint', () => {
  after(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  test('default configuration on uWS: no pg, ioredis, nats or ws', async (t) => {
    // `npm run test:ws` forces uWS to its fallback (UWS_USE_FALLBACK): serve would refuse uws.
    if (!loadUws().ok) {
      t.skip('uWebSockets.js is not available here');
      return;
    }
    assert.deepEqual(await loadedBy({ MAWJLY_TRANSPORT: 'uws' }), []);
  });

  test('default configuration on ws: ws only', async () => {
    assert.deepEqual(await loadedBy({ MAWJLY_TRANSPORT: 'ws' }), ['ws']);
  });

  test('a redis:// cluster URL loads ioredis (and not pg or nats)', async () => {
    const loaded = await loadedBy({
      MAWJLY_CLUSTER_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
      MAWJLY_CLUSTER_PREFIX: `footprint-${randomBytes(6).toString('hex')}`,
    });
    assert.ok(loaded.includes('ioredis'), loaded.join(' '));
    assert.ok(!loaded.includes('pg') && !loaded.includes('nats'), loaded.join(' '));
  });
});
