import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import Database from 'better-sqlite3';
import type { Migration } from '../../src/storage/migrations/migrations.js';
import { SqliteStore } from '../../src/storage/sqlite-store.js';
import { runStoreContract } from './store-contract.js';

async function tempDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'mawjly-sqlite-'));
}

runStoreContract('SqliteStore', async () => {
  const dir = await tempDir();
  const store = new SqliteStore({ dataDir: join(dir, 'data'), changePollMs: 100 });
  await store.migrate();
  return {
    store,
    openPeer: () => Promise.resolve(new SqliteStore({ dataDir: join(dir, 'data'), changePollMs: 100 })),
    cleanup: async () => {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
});

describe('SqliteStore specifics', () => {
  test('creates <dataDir>/mawjly.db (and the directory) in WAL mode', async () => {
    const dir = await tempDir();
    try {
      const dataDir = join(dir, 'nested', 'data');
      const store = new SqliteStore({ dataDir });
      await store.migrate();
      await store.close();
      assert.equal(store.filename, join(dataDir, 'mawjly.db'));
      assert.ok(existsSync(store.filename));
      const db = new Database(store.filename, { readonly: true });
      try {
        assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
        const versions = db.prepare('SELECT version FROM schema_migrations').pluck().all();
        assert.deepEqual(versions, [1, 2, 3, 4, 5]);
      } finally {
        db.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('migrate() applies only pending migrations, in order, across restarts', async () => {
    const dir = await tempDir();
    try {
      const filename = join(dir, 'm.db');
      const first: Migration = { version: 1, name: 'a', sqlite: 'CREATE TABLE a (x INTEGER)', postgres: '' };
      const second: Migration = { version: 2, name: 'b', sqlite: 'CREATE TABLE b (x INTEGER)', postgres: '' };
      const one = new SqliteStore({ filename, migrations: [first] });
      await one.migrate();
      await one.close();
      // CREATE TABLE a would fail if migration 1 ran again.
      const two = new SqliteStore({ filename, migrations: [first, second] });
      await two.migrate();
      await two.migrate();
      await two.close();
      const db = new Database(filename, { readonly: true });
      try {
        assert.deepEqual(
          db.prepare('SELECT version FROM schema_migrations ORDER BY version').pluck().all(),
          [1, 2],
        );
      } finally {
        db.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('a failing migration is rolled back entirely', async () => {
    const dir = await tempDir();
    try {
      const filename = join(dir, 'm.db');
      const store = new SqliteStore({
        filename,
        migrations: [
          {
            version: 1,
            name: 'bad',
            sqlite: 'CREATE TABLE ok (x INTEGER); CREATE TABLE ok (y INTEGER);',
            postgres: '',
          },
        ],
      });
      await assert.rejects(store.migrate(), /already exists/);
      await store.close();
      const db = new Database(filename, { readonly: true });
      try {
        const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").pluck().all();
        assert.deepEqual(tables, []);
      } finally {
        db.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('an unopenable database gives a clear database_unavailable error', () => {
    assert.throws(
      () => new SqliteStore({ filename: join(tmpdir(), 'no-such-dir-mawjly', 'x', 'mawjly.db') }),
      (err: unknown) =>
        err instanceof Error &&
        'code' in err &&
        err.code === 'database_unavailable' &&
        /Cannot open the SQLite database/.test(err.message),
    );
  });

  test('a file that is not a database gives a clear database_unavailable error', async () => {
    const dir = await tempDir();
    try {
      const filename = join(dir, 'mawjly.db');
      await writeFile(
        filename,
        'this is not an SQLite database, just some text long enough to have a header'.repeat(20),
      );
      assert.throws(
        () => new SqliteStore({ filename }),
        (err: unknown) =>
          err instanceof Error &&
          'code' in err &&
          err.code === 'database_unavailable' &&
          /not a database/.test(err.message),
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('the audit log is append-only', async () => {
    const dir = await tempDir();
    try {
      const store = new SqliteStore({ dataDir: dir });
      await store.migrate();
      await store.auditLog.appendAudit({
        accountId: 'a',
        time: 1,
        actor: 'system',
        action: 'x',
        target: null,
        details: {},
      });
      await store.close();
      const db = new Database(store.filename);
      try {
        assert.throws(() => db.prepare('DELETE FROM audit_log').run(), /append-only/);
        assert.throws(() => db.prepare("UPDATE audit_log SET actor = 'evil'").run(), /append-only/);
      } finally {
        db.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
