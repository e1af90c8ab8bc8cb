// The embedded Store: one SQLite file (`<dataDir>/mawjly.db`) through better-sqlite3. The SQL lives
// in one module per concern; calls are synchronous inside and wrapped in promises to match the port.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { systemClock, type Clock } from '../core/ports/clock.js';
import { CompositeStore } from './composite-store.js';
import { MIGRATIONS, pendingMigrations, type Migration } from './migrations/migrations.js';
import { SqliteAccounts } from './sqlite-accounts.js';
import { SqliteApps } from './sqlite-apps.js';
import { SqliteAuditLog } from './sqlite-audit-log.js';
import { SqliteChangePoller } from './sqlite-change-poller.js';
import { SqliteDatabase } from './sqlite-database.js';
import { SqliteEncryptionKeys } from './sqlite-encryption-keys.js';
import { SqliteTokens } from './sqlite-tokens.js';
import { SqliteUsage } from './sqlite-usage.js';
import { SqliteWebhooks } from './sqlite-webhooks.js';
import { unavailableError } from './store-errors.js';
import { integer } from './store-rows.js';

export const SQLITE_FILE_NAME = 'mawjly.db';

export interface SqliteStoreOptions {
  /** The database file is `<dataDir>/mawjly.db`; the directory is created when missing. */
  readonly dataDir?: string;
  /** An explicit file, or `:memory:`; wins over `dataDir`. */
  readonly filename?: string;
  readonly clock?: Clock;
  readonly migrations?: readonly Migration[];
  /** How often `watchChanges` polls `PRAGMA data_version` (default 500 ms). */
  readonly changePollMs?: number;
}

function databaseFile(options: SqliteStoreOptions): string {
  if (options.filename !== undefined) return options.filename;
  if (options.dataDir === undefined) throw new Error('SqliteStore needs a dataDir or a filename');
  try {
    mkdirSync(options.dataDir, { recursive: true });
  } catch (err) {
    throw unavailableError(`Cannot create the data directory ${options.dataDir}: ${(err as Error).message}`);
  }
  return join(options.dataDir, SQLITE_FILE_NAME);
}

export class SqliteStore extends CompositeStore {
  readonly filename: string;
  readonly webhooks: SqliteWebhooks;
  private readonly db: SqliteDatabase;
  private readonly clock: Clock;
  private readonly migrations: readonly Migration[];
  private readonly changes: SqliteChangePoller;

  constructor(options: SqliteStoreOptions) {
    const clock = options.clock ?? systemClock;
    const filename = databaseFile(options);
    const db = new SqliteDatabase(filename);
    super({
      accounts: new SqliteAccounts(db, clock),
      apps: new SqliteApps(db, clock),
      tokens: new SqliteTokens(db, clock),
      encryptionKeys: new SqliteEncryptionKeys(db),
      auditLog: new SqliteAuditLog(db),
      usage: new SqliteUsage(db),
    });
    this.filename = filename;
    this.webhooks = new SqliteWebhooks(db, clock);
    this.db = db;
    this.clock = clock;
    this.migrations = options.migrations ?? MIGRATIONS;
    this.changes = new SqliteChangePoller(db, options.changePollMs ?? 500);
  }

  override async migrate(): Promise<void> {
    // IMMEDIATE takes the write lock first, so two processes opening one file migrate in turn.
    this.db.immediate(() => {
      this.db.exec(
        'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)',
      );
      const applied = new Set(
        this.db.all('SELECT version FROM schema_migrations').map((r) => integer(r, 'version')),
      );
      for (const migration of pendingMigrations(this.migrations, applied)) {
        this.db.exec(migration.sqlite);
        this.db.run(
          'INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)',
          migration.version,
          migration.name,
          this.clock.now(),
        );
      }
    });
    return Promise.resolve();
  }

  override async close(): Promise<void> {
    this.changes.close();
    this.db.close();
    return Promise.resolve();
  }

  override watchChanges(onChange: () => void): Promise<() => void> {
    return this.changes.add(onChange);
  }
}
