// The PostgreSQL Store, for multi-node deployments, through a `pg` pool. With a `schema` option the
// store lives in that schema (created by migrate()), which is how tests and tenants stay apart.
// The SQL lives in one module per concern; statements are single round trips where possible.
import type { Store } from '../management/store.js';
import { randomUUID } from 'node:crypto';
import { systemClock, type Clock } from '../core/ports/clock.js';
import { MIGRATIONS, pendingMigrations, type Migration } from './migrations/migrations.js';
import { PostgresAccounts } from './postgres-accounts.js';
import { PostgresApps } from './postgres-apps.js';
import { PostgresAuditLog } from './postgres-audit-log.js';
import { PostgresChangeFeed } from './postgres-change-feed.js';
import { PostgresDatabase } from './postgres-database.js';
import { PostgresEncryptionKeys } from './postgres-encryption-keys.js';
import { PostgresTokens } from './postgres-tokens.js';
import { PostgresUsage } from './postgres-usage.js';
import { PostgresStats } from './postgres-stats.js';
import { PostgresWebhooks } from './postgres-webhooks.js';
import { integer, type Row } from './store-rows.js';
import type { HealthReporting, StoreHealthReport } from './store-health.js';
import type { Logger } from '../core/ports/logger.js';
import { DEFAULT_DATABASE_TIMEOUT_MS } from './store-errors.js';

export { describeDatabaseUrl } from './postgres-database.js';

export interface PostgresStoreOptions {
  /** `postgres://user[:password]@host[:port]/database`. */
  readonly connectionString: string;
  /** Lowercase identifier; created if missing, and the search_path of every pooled connection. */
  readonly schema?: string;
  readonly clock?: Clock;
  readonly migrations?: readonly Migration[];
  readonly poolSize?: number;
  readonly connectTimeoutMs?: number;
  /** Bound on every call in ms (MAWJLY_DATABASE_TIMEOUT_MS, default 2000). */
  readonly timeoutMs?: number;
  /** Where loss and recovery of the database are logged. */
  readonly logger?: Logger;
}

export class PostgresStore implements Store, HealthReporting {
  readonly accounts: PostgresAccounts;
  readonly apps: PostgresApps;
  readonly tokens: PostgresTokens;
  readonly encryptionKeys: PostgresEncryptionKeys;
  readonly auditLog: PostgresAuditLog;
  readonly usage: PostgresUsage;
  readonly schema: string | undefined;
  readonly webhooks: PostgresWebhooks;
  readonly stats: PostgresStats;
  /**
   * This store's id in change notifications (its own are not reported to its watches), and in the
   * `application_name` of its LISTEN connection (`mawjly-changes:<origin>`).
   */
  readonly origin: string;
  private readonly db: PostgresDatabase;
  private readonly clock: Clock;
  private readonly migrations: readonly Migration[];
  private readonly changes: PostgresChangeFeed;
  private closed = false;
  private healthCheck: Promise<StoreHealthReport> | undefined;

  constructor(options: PostgresStoreOptions) {
    const origin = randomUUID();
    const clock = options.clock ?? systemClock;
    const connectTimeoutMs = options.connectTimeoutMs ?? 10_000;
    const db = new PostgresDatabase({
      connectionString: options.connectionString,
      schema: options.schema,
      poolSize: options.poolSize ?? 10,
      connectTimeoutMs,
      origin,
      timeoutMs: options.timeoutMs ?? DEFAULT_DATABASE_TIMEOUT_MS,
      logger: options.logger,
    });
    this.accounts = new PostgresAccounts(db, clock);
    this.apps = new PostgresApps(db, clock);
    this.tokens = new PostgresTokens(db, clock);
    this.encryptionKeys = new PostgresEncryptionKeys(db);
    this.auditLog = new PostgresAuditLog(db);
    this.usage = new PostgresUsage(db);
    this.origin = origin;
    this.webhooks = new PostgresWebhooks(db, clock);
    this.stats = new PostgresStats(db);
    this.schema = options.schema;
    this.db = db;
    this.clock = clock;
    this.migrations = options.migrations ?? MIGRATIONS;
    this.changes = new PostgresChangeFeed({
      connectionString: options.connectionString,
      connectTimeoutMs,
      ...(options.schema === undefined ? {} : { options: `-c search_path=${options.schema}` }),
      origin,
      translate: (err) => db.translate(err),
    });
  }

  async migrate(): Promise<void> {
    await this.db.unboundedTransaction(async (client) => {
      // Two processes starting at once: the second waits here, then sees the first one's work.
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [
        `mawjly:migrate:${this.schema ?? ''}`,
      ]);
      if (this.schema !== undefined) await client.query(`CREATE SCHEMA IF NOT EXISTS ${this.schema}`);
      await client.query(
        'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)',
      );
      const applied = new Set(
        ((await client.query('SELECT version FROM schema_migrations')).rows as Row[]).map((r) =>
          integer(r, 'version'),
        ),
      );
      for (const migration of pendingMigrations(this.migrations, applied)) {
        await client.query(migration.postgres);
        await client.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [
          migration.version,
          migration.name,
          this.clock.now(),
        ]);
      }
    });
  }

  /** Whether Mawjly's tables exist in this database (schema): false for an empty one. */
  async isInitialised(): Promise<boolean> {
    const row = await this.db.one("SELECT to_regclass('schema_migrations') IS NOT NULL AS present");
    return row?.present === true;
  }

  /** Pings the database; probes arriving while a ping is in flight share it. */
  checkHealth(): Promise<StoreHealthReport> {
    this.healthCheck ??= this.db
      .ping()
      .catch(() => undefined)
      .then(() => {
        this.healthCheck = undefined;
        return this.db.health.report();
      });
    return this.healthCheck;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.changes.close();
    await this.db.end();
  }

  watchChanges(onChange: () => void): Promise<() => void> {
    return this.changes.add(onChange);
  }
}
