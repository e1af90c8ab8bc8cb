// One better-sqlite3 connection with the few calls the SQLite store modules need. Calls are
// synchronous inside; SQLite serialises writers, so every statement (and every transaction) is
// atomic without further locking.
import { statSync } from 'node:fs';
import Database from 'better-sqlite3';
import { conflictError, notFoundError, unavailableError, type UniqueConstraint } from './store-errors.js';
import type { StoreHealth } from './store-health.js';
import type { Row } from './store-rows.js';

// better-sqlite3 names the violated columns in the message: "UNIQUE constraint failed: apps.key".
const UNIQUE_COLUMNS: Readonly<Record<string, UniqueConstraint>> = {
  'accounts.name': 'account_name',
  'users.email': 'user_email',
  'apps.id': 'app_id',
  'apps.key': 'app_key',
  'api_tokens.hash': 'token_hash',
  'encryption_keys.app_id': 'active_key',
  'encryption_keys.app_id, encryption_keys.version': 'key_version',
  'sessions.id_hash': 'session_id',
};

function sqliteCode(err: unknown): string | undefined {
  if (err instanceof Error && 'code' in err && typeof err.code === 'string') return err.code;
  return undefined;
}

/** Turns constraint violations into MawjlyErrors; `missing` names what a failed foreign key means. */
export function translateSqliteError(err: unknown, missing?: string): unknown {
  const code = sqliteCode(err);
  if (code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
    const columns = (err as Error).message.replace(/^UNIQUE constraint failed: /, '');
    return conflictError(UNIQUE_COLUMNS[columns]);
  }
  if (code === 'SQLITE_CONSTRAINT_FOREIGNKEY' && missing !== undefined) return notFoundError(missing);
  return err;
}

/** A statement that writes (INSERT … RETURNING runs through `one`). */
const WRITE_SQL = /^\s*(INSERT|UPDATE|DELETE|REPLACE|WITH)\b/i;

/**
 * Result codes that mean the file cannot be used (rather than a bad statement): gone, read-only,
 * I/O failure, disk full, not a database, or locked past the busy timeout.
 */
const STORAGE_FAILURE = /^SQLITE_(READONLY|IOERR|CANTOPEN|FULL|CORRUPT|NOTADB|BUSY|LOCKED|PERM)/;

/**
 * How long a background call (webhook queue, usage and stats flushes) waits for another process's
 * lock (ms). SQLite's wait is synchronous: the whole process pauses meanwhile, so background work
 * waits briefly and retries at its next tick rather than hold the event loop for the full wait.
 */
export const BACKGROUND_BUSY_TIMEOUT_MS = 25;

export interface SqliteDatabaseOptions {
  /** How long a writer waits for another process's lock before giving up (ms). */
  readonly busyTimeoutMs: number;
  /** The same for background calls (default BACKGROUND_BUSY_TIMEOUT_MS). */
  readonly backgroundBusyTimeoutMs?: number;
  readonly health: StoreHealth;
}

export class SqliteDatabase {
  readonly filename: string;
  private readonly db: Database.Database;
  private readonly health: StoreHealth | undefined;
  /** Device and inode of the file opened; another file at the path (or none) means it was lost. */
  private readonly identity: { dev: number; ino: number } | undefined;
  /** Set once the file is gone or replaced; writes stay refused until restart. */
  private lost: string | undefined;
  private readonly busyTimeoutMs: number;
  private readonly backgroundBusyTimeoutMs: number;
  /** How many `background` calls are running (they nest). */
  private backgroundDepth = 0;

  constructor(filename: string, options?: SqliteDatabaseOptions) {
    let db: Database.Database | undefined;
    try {
      db = new Database(filename);
      // A file that is not a database only fails here, at its first read.
      db.pragma('journal_mode = WAL');
      db.pragma('foreign_keys = ON');
      db.pragma(`busy_timeout = ${String(options?.busyTimeoutMs ?? 5000)}`);
    } catch (err) {
      db?.close();
      throw unavailableError(`Cannot open the SQLite database ${filename}: ${(err as Error).message}`);
    }
    this.db = db;
    this.filename = filename;
    this.busyTimeoutMs = options?.busyTimeoutMs ?? 5000;
    this.backgroundBusyTimeoutMs = options?.backgroundBusyTimeoutMs ?? BACKGROUND_BUSY_TIMEOUT_MS;
    this.health = options?.health;
    this.identity = identityOf(filename);
  }

  get open(): boolean {
    return this.db.open;
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  /**
   * Whether the file opened is still the one at its path. A deleted data directory leaves the open
   * file working (on Linux it lives on until closed), so without this every later write would go to
   * a file nobody can see and be lost at the next start. Cheap (one stat); sticky once lost.
   */
  verify(): string | undefined {
    if (this.lost !== undefined || this.identity === undefined) return this.lost;
    const now = identityOf(this.filename);
    if (now === undefined || now.dev !== this.identity.dev || now.ino !== this.identity.ino) {
      this.lost =
        now === undefined
          ? `The SQLite database ${this.filename} was deleted while the server was running; writes are refused and nothing is recreated. Restore the file (or its data directory) and restart.`
          : `The SQLite database ${this.filename} was replaced by another file while the server was running; writes are refused. Restart to open the new file.`;
      this.health?.fail(this.lost);
    }
    return this.lost;
  }

  one(sql: string, ...params: unknown[]): Row | undefined {
    return this.guarded(WRITE_SQL.test(sql), () => this.db.prepare(sql).get(...params) as Row | undefined);
  }

  all(sql: string, ...params: unknown[]): Row[] {
    return this.guarded(WRITE_SQL.test(sql), () => this.db.prepare(sql).all(...params) as Row[]);
  }

  run(sql: string, ...params: unknown[]): number {
    return this.guarded(true, () => this.db.prepare(sql).run(...params).changes);
  }

  exec(sql: string): void {
    this.guarded(true, () => {
      this.db.exec(sql);
    });
  }

  /** Runs `work` in a transaction that takes the write lock first (BEGIN IMMEDIATE). */
  immediate(work: () => void): void {
    if (this.db.inTransaction) {
      this.db.transaction(work).immediate();
      return;
    }
    this.guarded(true, () => {
      this.db.transaction(work).immediate();
    });
  }

  /**
   * Runs `work` (calls of this database) as background work: a lock held by another process is
   * waited for only `backgroundBusyTimeoutMs`, then the call fails with `database_unavailable`
   * saying so, without marking the store unhealthy (a request meeting the lock does that); the
   * caller retries at its next tick.
   */
  background<T>(work: () => T): T {
    if (this.backgroundDepth++ === 0 && this.db.open)
      this.db.pragma(`busy_timeout = ${String(this.backgroundBusyTimeoutMs)}`);
    try {
      return work();
    } finally {
      if (--this.backgroundDepth === 0 && this.db.open)
        this.db.pragma(`busy_timeout = ${String(this.busyTimeoutMs)}`);
    }
  }

  /** Changes whenever another connection commits, never for this connection's own writes. */
  dataVersion(): number {
    return this.db.pragma('data_version', { simple: true }) as number;
  }

  /**
   * Runs one call; a write is refused when the file was lost, and a failure of the file itself
   * (not of the statement) becomes `database_unavailable` and marks the store unhealthy.
   */
  private guarded<T>(write: boolean, call: () => T): T {
    if (write && !this.db.inTransaction) {
      const lost = this.verify();
      if (lost !== undefined) throw unavailableError(lost);
    }
    let result: T;
    try {
      result = call();
    } catch (err) {
      const code = sqliteCode(err);
      if (this.backgroundDepth > 0 && code !== undefined && /^SQLITE_(BUSY|LOCKED)/.test(code)) {
        throw unavailableError(
          `The SQLite database ${this.filename} is locked by another process; background work retries later`,
        );
      }
      if (code !== undefined && STORAGE_FAILURE.test(code)) {
        const message = `The SQLite database ${this.filename} cannot be ${write ? 'written' : 'read'}: ${(err as Error).message}`;
        this.health?.fail(message);
        throw unavailableError(message);
      }
      throw err;
    }
    if (write && this.lost === undefined) this.health?.recover();
    return result;
  }
}

function identityOf(filename: string): { dev: number; ino: number } | undefined {
  if (filename === ':memory:' || filename === '') return undefined;
  try {
    const stat = statSync(filename);
    return { dev: stat.dev, ino: stat.ino };
  } catch {
    return undefined;
  }
}
