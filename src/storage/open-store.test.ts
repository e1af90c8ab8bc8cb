import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { MawjlyError } from '../protocol/errors.js';
import { openStore } from './open-store.js';
import { PostgresStore } from './postgres-store.js';
import { SqliteStore } from './sqlite-store.js';

const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

function isUnavailable(err: unknown): boolean {
  return err instanceof MawjlyError && err.code === 'database_unavailable';
}

describe('openStore', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mawjly-open-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('uses a migrated SQLite file in the data directory without a DATABASE_URL', async () => {
    for (const databaseUrl of [undefined, '']) {
      const dataDir = join(dir, `data-${String(databaseUrl)}`);
      const store = await openStore({ dataDir, databaseUrl });
      try {
        assert.ok(store instanceof SqliteStore);
        assert.ok(existsSync(join(dataDir, 'mawjly.db')));
        const account = await store.accounts.createAccount({ name: 'a', plan: 'free' });
        assert.deepEqual(await store.accounts.findAccount(account.id), account);
      } finally {
        await store.close();
      }
    }
  });

  test('uses a migrated PostgreSQL store for postgres:// and postgresql:// URLs', async () => {
    const schema = `t_${randomBytes(8).toString('hex')}`;
    try {
      for (const databaseUrl of [DATABASE_URL, DATABASE_URL.replace(/^postgres(ql)?:/, 'postgresql:')]) {
        const store = await openStore({ dataDir: join(dir, 'unused'), databaseUrl, schema });
        try {
          assert.ok(store instanceof PostgresStore);
          assert.equal(store.schema, schema);
          const account = await store.accounts.createAccount({
            name: `a-${randomBytes(4).toString('hex')}`,
            plan: 'pro',
          });
          assert.deepEqual(await store.accounts.findAccountByName(account.name), account);
        } finally {
          await store.close();
        }
      }
      assert.equal(existsSync(join(dir, 'unused')), false, 'no SQLite file when PostgreSQL is used');
    } finally {
      const client = new pg.Client({ connectionString: DATABASE_URL });
      await client.connect();
      await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await client.end();
    }
  });

  test('refuses a DATABASE_URL of another kind instead of silently using SQLite', async () => {
    await assert.rejects(
      openStore({ dataDir: join(dir, 'x'), databaseUrl: 'mysql://root:topsecret@db:3306/app' }),
      (err: unknown) => isUnavailable(err) && !(err as Error).message.includes('topsecret'),
    );
  });

  test('an unreachable PostgreSQL is a clear error naming host and port, not the password', async () => {
    await assert.rejects(
      openStore({ dataDir: join(dir, 'y'), databaseUrl: 'postgres://svc:s3cr%40t-pw@127.0.0.1:1/mawjly' }),
      (err: unknown) => {
        assert.ok(isUnavailable(err), String(err));
        const message = (err as Error).message;
        assert.match(message, /PostgreSQL at 127\.0\.0\.1:1\/mawjly/);
        assert.doesNotMatch(message, /s3cr/);
        return true;
      },
    );
  });

  test('an unopenable SQLite directory is a clear error', async () => {
    const file = join(dir, 'a-file');
    const blocker = new SqliteStore({ filename: file });
    await blocker.close();
    await assert.rejects(openStore({ dataDir: join(file, 'sub') }), (err: unknown) => {
      assert.ok(isUnavailable(err), String(err));
      assert.match((err as Error).message, /data directory/);
      return true;
    });
  });

  test("create: 'never' refuses a PostgreSQL schema without Mawjly's tables and leaves it empty", async () => {
    const schema = `t_${randomBytes(8).toString('hex')}`;
    const client = new pg.Client({ connectionString: DATABASE_URL });
    await client.connect();
    try {
      await client.query(`CREATE SCHEMA ${schema}`);
      await assert.rejects(
        openStore({ dataDir: dir, databaseUrl: DATABASE_URL, schema, create: 'never' }),
        (err) => {
          assert.ok(isUnavailable(err));
          assert.match((err as Error).message, /no Mawjly tables.*--init/);
          return true;
        },
      );
      const tables = await client.query('SELECT 1 FROM information_schema.tables WHERE table_schema = $1', [
        schema,
      ]);
      assert.equal(tables.rowCount, 0);
      const store = await openStore({ dataDir: dir, databaseUrl: DATABASE_URL, schema, create: 'always' });
      await store.close();
      const again = await openStore({ dataDir: dir, databaseUrl: DATABASE_URL, schema, create: 'never' });
      await again.close();
    } finally {
      await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await client.end();
    }
  });
});
