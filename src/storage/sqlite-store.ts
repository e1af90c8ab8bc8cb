// The embedded Store: one SQLite file (`<dataDir>/mawjly.db`) through better-sqlite3. The SQL lives
// in one module per concern; calls are synchronous inside and wrapped in promises to match the port.
import type { Store } from '../management/store.js';
import { accessSync, closeSync, constants, mkdirSync, openSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { systemClock, type Clock } from '../core/ports/clock.js';
import type { Logger } from '../core/ports/logger.js';
import { MIGRATIONS, pendingMigrations, type Migration } from './migrations/migrations.js';
import { SqliteAccounts } from './sqlite-accounts.js';
import { SqliteApps } from './sqlite-apps.js';
import { SqliteAuditLog } from './sqlite-audit-log.js';
import { SqliteChangePoller } from './sqlite-change-poller.js';
import { SqliteDatabase } from './sqlite-database.js';
import { SqliteEncryptionKeys } from './sqlite-encryption-keys.js';
import { SqliteStats } from './sqlite-stats.js';
import { SqliteTokens } from './sqlite-tokens.js';
import { SqliteUsage } from './sqlite-usage.js';
import { DEFAULT_DATABASE_TIMEOUT_MS, unavailableError } from './store-errors.js';
import { StoreHealth, type HealthReporting, type StoreHealthReport } from './store-health.js';
import { SqliteWebhooks } from './sqlite-webhooks.js';
import { integer } from './store-rows.js';

export const SQLITE_FILE_NAME = 'mawjly.db';

/**
 * When a missing database file may be created:
 * - 'always': create it (tests, `--init`);
 * - 'first-run': unless the data directory holds leftovers of a database (`mawjly.db-wal`,
 *   `-shm` or `-journal` without `mawjly.db`), which mean one was there and has been deleted;
 * - 'never': refuse (operator commands, which must not leave an empty database behind).
 */
export type CreatePolicy = 'always' | 'first-run' | 'never';

export interface SqliteStoreOptions {
  /** The database file is `<dataDir>/mawjly.db`; the directory is created (0700) when missing. */
  readonly dataDir?: string;
  /** An explicit file, or `:memory:`; wins over `dataDir`. */
  readonly filename?: string;
  readonly clock?: Clock;
  readonly migrations?: readonly Migration[];
  /** How often `watchChanges` polls `PRAGMA data_version` (default 500 ms). */
  readonly changePollMs?: number;
  /** Default 'always'. */
  readonly create?: CreatePolicy;
  /** Bound on a call in ms (MAWJLY_DATABASE_TIMEOUT_MS, default 2000); lock waits get half of it. */
  readonly timeoutMs?: number;
  /** Warnings about permissions, and loss and recovery of the database. */
  readonly logger?: Logger;
}

/** Owner-only: the file holds app secrets, password hashes and token hashes. */
const FILE_MODE = 0o600;
const DIR_MODE = 0o700;

function modeText(mode: number): string {
  return `0${(mode & 0o777).toString(8)}`;
}

/** Warns when other users can read (or enter) a path holding the database. */
function warnIfShared(path: string, logger: Logger | undefined, what: string, fix: number): void {
  let mode: number;
  try {
    mode = statSync(path).mode;
  } catch {
    return;
  }
  if ((mode & 0o077) === 0) return;
  logger?.warn(
    { path, mode: modeText(mode) },
    `${what} is accessible to other users (mode ${modeText(mode)}); it holds app secrets and password hashes: chmod ${fix.toString(8)} ${path}`,
  );
}

/** Files SQLite keeps beside a database; without the database they mean it was deleted. */
const LEFTOVERS = ['-wal', '-shm', '-journal'].map((suffix) => `${SQLITE_FILE_NAME}${suffix}`);

function leftoversIn(dir: string): string[] {
  try {
    return readdirSync(dir).filter((name) => LEFTOVERS.includes(name));
  } catch {
    return []; // missing
  }
}

function exists(path: string): boolean {
  try {
    accessSync(path, constants.F_OK);
    return true;
  } catch {
    return false;
  }
}

function databaseFile(options: SqliteStoreOptions): string {
  if (options.filename !== undefined) return options.filename;
  const dir = options.dataDir;
  if (dir === undefined) throw new Error('SqliteStore needs a dataDir or a filename');
  const file = join(dir, SQLITE_FILE_NAME);
  const policy = options.create ?? 'always';
  if (!exists(file)) {
    if (policy === 'never') {
      throw unavailableError(
        `No database at ${file}: check MAWJLY_DATA_DIR (or --data-dir), start \`mawjly serve\` once to create one, or pass --init to create an empty one`,
      );
    }
    const leftovers = policy === 'first-run' ? leftoversIn(dir) : [];
    if (leftovers.length > 0) {
      throw unavailableError(
        `The data directory ${dir} holds ${leftovers.join(', ')} but no ${SQLITE_FILE_NAME}: the database looks deleted or moved. Restore it, or start with --init to create a new, empty database`,
      );
    }
    try {
      mkdirSync(dir, { recursive: true, mode: DIR_MODE });
    } catch (err) {
      throw unavailableError(`Cannot create the data directory ${dir}: ${(err as Error).message}`);
    }
    try {
      // Created empty (a valid SQLite database) with owner-only permissions; SQLite gives its
      // -wal and -shm files the same mode as the database file.
      closeSync(openSync(file, 'wx', FILE_MODE));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw unavailableError(`Cannot create the database ${file}: ${(err as Error).message}`);
      }
    }
    options.logger?.info({ path: file }, 'created a new, empty database');
  }
  warnIfShared(dir, options.logger, 'The data directory', DIR_MODE);
  for (const path of [file, `${file}-wal`, `${file}-shm`]) {
    warnIfShared(path, options.logger, 'The database file', FILE_MODE);
  }
  return file;
}

export class SqliteStore implements Store, HealthReporting {
  readonly accounts: SqliteAccounts;
  readonly apps: SqliteApps;
  readonly tokens: SqliteTokens;
  readonly encryptionKeys: SqliteEncryptionKeys;
  readonly auditLog: SqliteAuditLog;
  readonly usage: SqliteUsage;
  readonly filename: string;
  readonly webhooks: SqliteWebhooks;
  readonly stats: SqliteStats;
  private readonly db: SqliteDatabase;
  private readonly clock: Clock;
  private readonly migrations: readonly Migration[];
  private readonly changes: SqliteChangePoller;
  private readonly health: StoreHealth;

  constructor(options: SqliteStoreOptions) {
    const clock = options.clock ?? systemClock;
    const filename = databaseFile(options);
    const health = new StoreHealth('sqlite', options.logger);
    const db = new SqliteDatabase(filename, {
      // SQLite waits for a lock synchronously (the whole process pauses meanwhile), so it waits at
      // most half the bound: a request whose best-effort write (token use) waited too still
      // answers within it.
      busyTimeoutMs: Math.round((options.timeoutMs ?? DEFAULT_DATABASE_TIMEOUT_MS) / 2),
      health,
    });
    this.accounts = new SqliteAccounts(db, clock);
    this.apps = new SqliteApps(db, clock);
    this.tokens = new SqliteTokens(db, clock);
    this.encryptionKeys = new SqliteEncryptionKeys(db);
    this.auditLog = new SqliteAuditLog(db);
    this.usage = new SqliteUsage(db);
    this.filename = filename;
    this.webhooks = new SqliteWebhooks(db, clock);
    this.stats = new SqliteStats(db);
    this.db = db;
    this.health = health;
    this.clock = clock;
    this.migrations = options.migrations ?? MIGRATIONS;
    this.changes = new SqliteChangePoller(db, options.changePollMs ?? 500);
  }

  async migrate(): Promise<void> {
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

  checkHealth(): Promise<StoreHealthReport> {
    if (this.db.verify() === undefined && !this.health.ok) {
      // A write failed lately (locked, read-only, disk full): try taking the write lock again,
      // so readiness recovers without waiting for the next real write.
      try {
        this.db.immediate(() => undefined);
      } catch {
        // Recorded in health by the database.
      }
    }
    return Promise.resolve(this.health.report());
  }

  async close(): Promise<void> {
    this.changes.close();
    this.db.close();
    return Promise.resolve();
  }

  watchChanges(onChange: () => void): Promise<() => void> {
    return this.changes.add(onChange);
  }
}
