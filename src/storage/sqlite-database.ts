// One better-sqlite3 connection with the few calls the SQLite store modules need. Calls are
// synchronous inside; SQLite serialises writers, so every statement (and every transaction) is
// atomic without further locking.
import Database from 'better-sqlite3';
import { conflictError, notFoundError, unavailableError, type UniqueConstraint } from './store-errors.js';
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

export class SqliteDatabase {
  private readonly db: Database.Database;

  constructor(filename: string) {
    let db: Database.Database | undefined;
    try {
      db = new Database(filename);
      // A file that is not a database only fails here, at its first read.
      db.pragma('journal_mode = WAL');
      db.pragma('foreign_keys = ON');
      db.pragma('busy_timeout = 5000');
    } catch (err) {
      db?.close();
      throw unavailableError(`Cannot open the SQLite database ${filename}: ${(err as Error).message}`);
    }
    this.db = db;
  }

  get open(): boolean {
    return this.db.open;
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  one(sql: string, ...params: unknown[]): Row | undefined {
    return this.db.prepare(sql).get(...params) as Row | undefined;
  }

  all(sql: string, ...params: unknown[]): Row[] {
    return this.db.prepare(sql).all(...params) as Row[];
  }

  run(sql: string, ...params: unknown[]): number {
    return this.db.prepare(sql).run(...params).changes;
  }

  exec(sql: string): void {
    this.db.exec(sql);
  }

  /** Runs `work` in a transaction that takes the write lock first (BEGIN IMMEDIATE). */
  immediate(work: () => void): void {
    this.db.transaction(work).immediate();
  }

  /** Changes whenever another connection commits, never for this connection's own writes. */
  dataVersion(): number {
    return this.db.pragma('data_version', { simple: true }) as number;
  }
}
