// Runs against the real PostgreSQL of CI (DATABASE_URL, or the local trust-auth default). When it is
// unreachable these tests fail with the connection error: they never skip.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import pg from 'pg';
import { MIGRATIONS, type Migration } from '../../src/storage/migrations/migrations.js';
import { PostgresStore } from '../../src/storage/postgres-store.js';
import { runStoreContract } from './store-contract.js';

const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

function schemaName(): string {
  return `t_${randomBytes(8).toString('hex')}`;
}

async function withClient<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: DATABASE_URL, connectionTimeoutMillis: 10_000 });
  try {
    await client.connect();
  } catch (err) {
    throw new Error(
      `PostgreSQL is required for this test and is unreachable at DATABASE_URL: ${(err as Error).message}`,
      { cause: err },
    );
  }
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

async function dropSchema(schema: string): Promise<void> {
  await withClient((client) => client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`));
}

async function appliedVersions(schema: string): Promise<number[]> {
  return withClient(async (client) => {
    const result = await client.query<{ version: number }>(
      `SELECT version FROM ${schema}.schema_migrations ORDER BY version`,
    );
    return result.rows.map((r) => r.version);
  });
}

runStoreContract('PostgresStore', async () => {
  const schema = schemaName();
  const store = new PostgresStore({ connectionString: DATABASE_URL, schema });
  try {
    await store.migrate();
  } catch (err) {
    await store.close();
    throw err;
  }
  return {
    store,
    openPeer: () => Promise.resolve(new PostgresStore({ connectionString: DATABASE_URL, schema })),
    cleanup: async () => {
      await store.close();
      await dropSchema(schema);
    },
  };
});

describe('PostgresStore specifics', () => {
  test('two stores migrating one new schema at once both succeed, once', async () => {
    const schema = schemaName();
    const a = new PostgresStore({ connectionString: DATABASE_URL, schema });
    const b = new PostgresStore({ connectionString: DATABASE_URL, schema });
    try {
      await Promise.all([a.migrate(), b.migrate(), a.migrate(), b.migrate()]);
      assert.deepEqual(
        await appliedVersions(schema),
        MIGRATIONS.map((m) => m.version),
      );
      const account = await a.accounts.createAccount({ name: 'shared', plan: 'free' });
      assert.deepEqual(await b.accounts.findAccount(account.id), account);
    } finally {
      await a.close();
      await b.close();
      await dropSchema(schema);
    }
  });

  test('migrate() applies only pending migrations, in order', async () => {
    const schema = schemaName();
    const first: Migration = { version: 1, name: 'a', sqlite: '', postgres: 'CREATE TABLE a (x INTEGER)' };
    const second: Migration = { version: 2, name: 'b', sqlite: '', postgres: 'CREATE TABLE b (x INTEGER)' };
    const one = new PostgresStore({ connectionString: DATABASE_URL, schema, migrations: [first] });
    const two = new PostgresStore({ connectionString: DATABASE_URL, schema, migrations: [first, second] });
    try {
      await one.migrate();
      assert.deepEqual(await appliedVersions(schema), [1]);
      // CREATE TABLE a would fail if migration 1 ran again.
      await two.migrate();
      await two.migrate();
      assert.deepEqual(await appliedVersions(schema), [1, 2]);
    } finally {
      await one.close();
      await two.close();
      await dropSchema(schema);
    }
  });

  test('a failing migration is rolled back entirely', async () => {
    const schema = schemaName();
    const store = new PostgresStore({
      connectionString: DATABASE_URL,
      schema,
      migrations: [
        {
          version: 1,
          name: 'bad',
          sqlite: '',
          postgres: 'CREATE TABLE ok (x INTEGER); CREATE TABLE ok (y INTEGER);',
        },
      ],
    });
    try {
      await assert.rejects(store.migrate(), /already exists/);
      const exists = await withClient(async (client) => {
        const result = await client.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema]);
        return result.rowCount;
      });
      assert.equal(exists, 0);
    } finally {
      await store.close();
      await dropSchema(schema);
    }
  });

  test('the audit log is append-only', async () => {
    const schema = schemaName();
    const store = new PostgresStore({ connectionString: DATABASE_URL, schema });
    try {
      await store.migrate();
      await store.auditLog.appendAudit({
        accountId: 'a',
        time: 1,
        actor: 'system',
        action: 'x',
        target: null,
        details: {},
      });
      await withClient(async (client) => {
        await assert.rejects(client.query(`DELETE FROM ${schema}.audit_log`), /append-only/);
        await assert.rejects(client.query(`UPDATE ${schema}.audit_log SET actor = 'evil'`), /append-only/);
      });
    } finally {
      await store.close();
      await dropSchema(schema);
    }
  });

  test('an unreachable server gives host and port, never the password', async () => {
    const store = new PostgresStore({
      connectionString: 'postgres://mawjly:hunter2-secret@127.0.0.1:1/prod',
      connectTimeoutMs: 2000,
    });
    try {
      await assert.rejects(store.migrate(), (err: unknown) => {
        assert.ok(err instanceof Error);
        assert.equal((err as Error & { code?: string }).code, 'database_unavailable');
        assert.match(err.message, /127\.0\.0\.1:1\/prod/);
        assert.match(err.message, /mawjly/);
        assert.doesNotMatch(err.message, /hunter2/);
        return true;
      });
    } finally {
      await store.close();
    }
  });

  test('watchChanges ignores writes in other schemas and its own writes', async () => {
    const schema = schemaName();
    const elsewhere = schemaName();
    const store = new PostgresStore({ connectionString: DATABASE_URL, schema });
    const peer = new PostgresStore({ connectionString: DATABASE_URL, schema });
    const stranger = new PostgresStore({ connectionString: DATABASE_URL, schema: elsewhere });
    try {
      await store.migrate();
      await stranger.migrate();
      const seen: number[] = [];
      let wake: (() => void) | undefined;
      const stop = await store.watchChanges(() => {
        seen.push(Date.now());
        wake?.();
      });
      try {
        const fired = new Promise<void>((resolve, reject) => {
          const timer = setTimeout(() => {
            reject(new Error('no change reported within 3 s'));
          }, 3000);
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        // NOTIFYs reach the listener in commit order: had either of the first two been reported,
        // it would be seen before the peer's.
        await stranger.accounts.createAccount({ name: 'other-schema', plan: 'free' });
        await store.accounts.createAccount({ name: 'own-write', plan: 'free' });
        await peer.accounts.createAccount({ name: 'peer-write', plan: 'free' });
        await fired;
        assert.equal(seen.length, 1);
      } finally {
        stop();
      }
    } finally {
      await store.close();
      await peer.close();
      await stranger.close();
      await dropSchema(schema);
      await dropSchema(elsewhere);
    }
  });

  test('watchChanges survives a dropped LISTEN connection: it reconnects and reports', async () => {
    const schema = schemaName();
    const store = new PostgresStore({ connectionString: DATABASE_URL, schema });
    const peer = new PostgresStore({ connectionString: DATABASE_URL, schema });
    try {
      await store.migrate();
      let wake: (() => void) | undefined;
      const next = (what: string) =>
        new Promise<void>((resolve, reject) => {
          const timer = setTimeout(() => {
            reject(new Error(`${what}: nothing reported within 5 s`));
          }, 5000);
          wake = () => {
            clearTimeout(timer);
            wake = undefined;
            resolve();
          };
        });
      const stop = await store.watchChanges(() => {
        wake?.();
      });
      try {
        const terminated = await withClient((client) =>
          client.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1', [
            `mawjly-changes:${store.origin}`,
          ]),
        );
        assert.equal(terminated.rowCount, 1, 'the LISTEN connection is named after the store');
        // Back after ~1 s, it reports once (notifications sent meanwhile are lost), then follows again.
        await next('after reconnecting');
        const fired = next('a change after reconnecting');
        await peer.accounts.createAccount({ name: 'after-drop', plan: 'free' });
        await fired;
      } finally {
        stop();
      }
    } finally {
      await store.close();
      await peer.close();
      await dropSchema(schema);
    }
  });

  test('a bad schema name is refused before any SQL runs', () => {
    assert.throws(
      () => new PostgresStore({ connectionString: DATABASE_URL, schema: 'x; DROP TABLE y' }),
      /lowercase identifier/,
    );
  });
});
