// The embedded Store: one SQLite file (`<dataDir>/mawjly.db`) through better-sqlite3. Calls are
// synchronous inside and wrapped in promises to match the port; SQLite serialises writers, so
// every statement (and every transaction) is atomic without further locking.
import { mkdirSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { PlanName } from '../core/app.js';
import { systemClock, type Clock } from '../core/ports/clock.js';
import type {
  AccountRecord,
  AppRecord,
  AuditEntry,
  EncryptionKeyRecord,
  NewAuditEntry,
  Role,
  SessionRecord,
  Store,
  TokenRecord,
  UserRecord,
} from '../management/store.js';
import { MIGRATIONS, pendingMigrations, type Migration } from './migrations/migrations.js';
import { conflictError, notFoundError, unavailableError, type UniqueConstraint } from './store-errors.js';
import {
  appPatchColumns,
  auditPage,
  checkDay,
  checkMessageCount,
  normalizeEmail,
  type AppPatch,
} from './store-input.js';
import {
  integer,
  toAccount,
  toApp,
  toAuditEntry,
  toEncryptionKey,
  toSession,
  toToken,
  toUser,
  returned,
  type Row,
} from './store-rows.js';

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
function translate(err: unknown, missing?: string): unknown {
  const code = sqliteCode(err);
  if (code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
    const columns = (err as Error).message.replace(/^UNIQUE constraint failed: /, '');
    return conflictError(UNIQUE_COLUMNS[columns]);
  }
  if (code === 'SQLITE_CONSTRAINT_FOREIGNKEY' && missing !== undefined) return notFoundError(missing);
  return err;
}

export class SqliteStore implements Store {
  readonly filename: string;
  private readonly db: Database.Database;
  private readonly clock: Clock;
  private readonly migrations: readonly Migration[];
  private readonly changePollMs: number;
  private readonly watches = new Set<() => void>();

  constructor(options: SqliteStoreOptions) {
    this.clock = options.clock ?? systemClock;
    this.migrations = options.migrations ?? MIGRATIONS;
    this.changePollMs = options.changePollMs ?? 500;
    let filename = options.filename;
    if (filename === undefined) {
      if (options.dataDir === undefined) throw new Error('SqliteStore needs a dataDir or a filename');
      try {
        mkdirSync(options.dataDir, { recursive: true });
      } catch (err) {
        throw unavailableError(
          `Cannot create the data directory ${options.dataDir}: ${(err as Error).message}`,
        );
      }
      filename = join(options.dataDir, SQLITE_FILE_NAME);
    }
    this.filename = filename;
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

  private one(sql: string, ...params: unknown[]): Row | undefined {
    return this.db.prepare(sql).get(...params) as Row | undefined;
  }

  private all(sql: string, ...params: unknown[]): Row[] {
    return this.db.prepare(sql).all(...params) as Row[];
  }

  private run(sql: string, ...params: unknown[]): number {
    return this.db.prepare(sql).run(...params).changes;
  }

  async migrate(): Promise<void> {
    // IMMEDIATE takes the write lock first, so two processes opening one file migrate in turn.
    this.db
      .transaction(() => {
        this.db.exec(
          'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)',
        );
        const applied = new Set(
          this.all('SELECT version FROM schema_migrations').map((r) => integer(r, 'version')),
        );
        for (const migration of pendingMigrations(this.migrations, applied)) {
          this.db.exec(migration.sqlite);
          this.run(
            'INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)',
            migration.version,
            migration.name,
            this.clock.now(),
          );
        }
      })
      .immediate();
    return Promise.resolve();
  }

  async close(): Promise<void> {
    for (const stop of [...this.watches]) stop();
    if (this.db.open) this.db.close();
    return Promise.resolve();
  }

  // `PRAGMA data_version` changes whenever another connection (another process: the CLI) commits,
  // never for this connection's own writes; reading it is a cheap in-memory call.
  async watchChanges(onChange: () => void): Promise<() => void> {
    const version = (): number => this.db.pragma('data_version', { simple: true }) as number;
    let last = version();
    const timer = setInterval(() => {
      if (!this.db.open) return;
      let current: number;
      try {
        current = version();
      } catch {
        return;
      }
      if (current === last) return;
      last = current;
      onChange();
    }, this.changePollMs);
    timer.unref();
    const stop = (): void => {
      clearInterval(timer);
      this.watches.delete(stop);
    };
    this.watches.add(stop);
    return Promise.resolve(stop);
  }

  // Accounts.

  async createAccount(input: { name: string; plan: PlanName }): Promise<AccountRecord> {
    const record: AccountRecord = {
      id: randomUUID(),
      name: input.name,
      plan: input.plan,
      createdAt: this.clock.now(),
    };
    try {
      this.run(
        'INSERT INTO accounts (id, name, plan, created_at) VALUES (?, ?, ?, ?)',
        record.id,
        record.name,
        record.plan,
        record.createdAt,
      );
    } catch (err) {
      throw translate(err);
    }
    return Promise.resolve(record);
  }

  async findAccount(id: string): Promise<AccountRecord | undefined> {
    const row = this.one('SELECT * FROM accounts WHERE id = ?', id);
    return Promise.resolve(row && toAccount(row));
  }

  async findAccountByName(name: string): Promise<AccountRecord | undefined> {
    const row = this.one('SELECT * FROM accounts WHERE name = ?', name);
    return Promise.resolve(row && toAccount(row));
  }

  async listAccounts(): Promise<AccountRecord[]> {
    return Promise.resolve(this.all('SELECT * FROM accounts ORDER BY created_at, id').map(toAccount));
  }

  async setAccountPlan(id: string, plan: PlanName): Promise<AccountRecord> {
    const row = this.one('UPDATE accounts SET plan = ? WHERE id = ? RETURNING *', plan, id);
    if (!row) throw notFoundError('Account');
    return Promise.resolve(toAccount(row));
  }

  // Users.

  async createUser(input: Omit<UserRecord, 'id' | 'createdAt'>): Promise<UserRecord> {
    const record: UserRecord = {
      id: randomUUID(),
      accountId: input.accountId,
      email: normalizeEmail(input.email),
      passwordHash: input.passwordHash,
      role: input.role,
      createdAt: this.clock.now(),
    };
    try {
      this.run(
        'INSERT INTO users (id, account_id, email, password_hash, role, created_at) VALUES (?, ?, ?, ?, ?, ?)',
        record.id,
        record.accountId,
        record.email,
        record.passwordHash,
        record.role,
        record.createdAt,
      );
    } catch (err) {
      throw translate(err, 'Account');
    }
    return Promise.resolve(record);
  }

  async findUser(id: string): Promise<UserRecord | undefined> {
    const row = this.one('SELECT * FROM users WHERE id = ?', id);
    return Promise.resolve(row && toUser(row));
  }

  async findUserByEmail(email: string): Promise<UserRecord | undefined> {
    const row = this.one('SELECT * FROM users WHERE email = ?', normalizeEmail(email));
    return Promise.resolve(row && toUser(row));
  }

  async listUsers(accountId: string): Promise<UserRecord[]> {
    return Promise.resolve(
      this.all('SELECT * FROM users WHERE account_id = ? ORDER BY created_at, id', accountId).map(toUser),
    );
  }

  async updateUserRole(id: string, role: Role): Promise<UserRecord> {
    const row = this.one('UPDATE users SET role = ? WHERE id = ? RETURNING *', role, id);
    if (!row) throw notFoundError('User');
    return Promise.resolve(toUser(row));
  }

  async deleteUser(id: string): Promise<void> {
    if (this.run('DELETE FROM users WHERE id = ?', id) === 0) throw notFoundError('User');
    return Promise.resolve();
  }

  // Apps.

  async createApp(input: Omit<AppRecord, 'createdAt'>): Promise<AppRecord> {
    const record: AppRecord = {
      id: input.id,
      accountId: input.accountId,
      name: input.name,
      key: input.key,
      secret: input.secret,
      previousSecret: input.previousSecret,
      previousSecretValidUntil: input.previousSecretValidUntil,
      settings: { ...input.settings, allowed_origins: [...input.settings.allowed_origins] },
      createdAt: this.clock.now(),
    };
    try {
      this.run(
        `INSERT INTO apps (id, account_id, name, key, secret, previous_secret, previous_secret_valid_until, settings, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        record.id,
        record.accountId,
        record.name,
        record.key,
        record.secret,
        record.previousSecret,
        record.previousSecretValidUntil,
        JSON.stringify(record.settings),
        record.createdAt,
      );
    } catch (err) {
      throw translate(err, 'Account');
    }
    return Promise.resolve(record);
  }

  async findApp(id: string): Promise<AppRecord | undefined> {
    const row = this.one('SELECT * FROM apps WHERE id = ?', id);
    return Promise.resolve(row && toApp(row));
  }

  async findAppByKey(key: string): Promise<AppRecord | undefined> {
    const row = this.one('SELECT * FROM apps WHERE key = ?', key);
    return Promise.resolve(row && toApp(row));
  }

  async listApps(accountId?: string): Promise<AppRecord[]> {
    const rows =
      accountId === undefined
        ? this.all('SELECT * FROM apps ORDER BY created_at, id')
        : this.all('SELECT * FROM apps WHERE account_id = ? ORDER BY created_at, id', accountId);
    return Promise.resolve(rows.map(toApp));
  }

  async updateApp(id: string, patch: AppPatch): Promise<AppRecord> {
    const columns = appPatchColumns(patch);
    let row: Row | undefined;
    try {
      row =
        columns.length === 0
          ? this.one('SELECT * FROM apps WHERE id = ?', id)
          : this.one(
              `UPDATE apps SET ${columns.map(([c]) => `${c} = ?`).join(', ')} WHERE id = ? RETURNING *`,
              ...columns.map(([, v]) => v),
              id,
            );
    } catch (err) {
      throw translate(err, 'Account');
    }
    if (!row) throw notFoundError('App');
    return Promise.resolve(toApp(row));
  }

  async deleteApp(id: string): Promise<void> {
    if (this.run('DELETE FROM apps WHERE id = ?', id) === 0) throw notFoundError('App');
    return Promise.resolve();
  }

  // API tokens.

  async createToken(input: Omit<TokenRecord, 'id' | 'createdAt' | 'lastUsedAt'>): Promise<TokenRecord> {
    const record: TokenRecord = {
      id: randomUUID(),
      accountId: input.accountId,
      name: input.name,
      prefix: input.prefix,
      hash: input.hash,
      scopes: [...input.scopes],
      createdBy: input.createdBy,
      expiresAt: input.expiresAt,
      lastUsedAt: null,
      createdAt: this.clock.now(),
    };
    try {
      this.run(
        `INSERT INTO api_tokens (id, account_id, name, prefix, hash, scopes, created_by, expires_at, last_used_at, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL, ?)`,
        record.id,
        record.accountId,
        record.name,
        record.prefix,
        record.hash,
        JSON.stringify(record.scopes),
        record.createdBy,
        record.expiresAt,
        record.createdAt,
      );
    } catch (err) {
      throw translate(err, 'Account');
    }
    return Promise.resolve(record);
  }

  async findTokenByHash(hash: string): Promise<TokenRecord | undefined> {
    const row = this.one('SELECT * FROM api_tokens WHERE hash = ?', hash);
    return Promise.resolve(row && toToken(row));
  }

  async listTokens(accountId: string): Promise<TokenRecord[]> {
    return Promise.resolve(
      this.all('SELECT * FROM api_tokens WHERE account_id = ? ORDER BY created_at, id', accountId).map(
        toToken,
      ),
    );
  }

  async touchToken(id: string, at: number): Promise<void> {
    if (this.run('UPDATE api_tokens SET last_used_at = ? WHERE id = ?', at, id) === 0) {
      throw notFoundError('API token');
    }
    return Promise.resolve();
  }

  async deleteToken(id: string): Promise<void> {
    if (this.run('DELETE FROM api_tokens WHERE id = ?', id) === 0) throw notFoundError('API token');
    return Promise.resolve();
  }

  // Encryption master keys (metadata only).

  async findActiveEncryptionKey(appId: string): Promise<EncryptionKeyRecord | undefined> {
    const row = this.one('SELECT * FROM encryption_keys WHERE app_id = ? AND retired_at IS NULL', appId);
    return Promise.resolve(row && toEncryptionKey(row));
  }

  async listEncryptionKeys(appId: string): Promise<EncryptionKeyRecord[]> {
    return Promise.resolve(
      this.all(
        'SELECT * FROM encryption_keys WHERE app_id = ? ORDER BY version DESC, created_at DESC',
        appId,
      ).map(toEncryptionKey),
    );
  }

  async insertEncryptionKey(
    input: Omit<EncryptionKeyRecord, 'id' | 'retiredAt'>,
  ): Promise<EncryptionKeyRecord> {
    const record: EncryptionKeyRecord = { id: randomUUID(), ...input, retiredAt: null };
    try {
      this.db
        .transaction(() => {
          if (!this.one('SELECT 1 FROM apps WHERE id = ?', record.appId)) throw notFoundError('App');
          this.run(
            'UPDATE encryption_keys SET retired_at = ? WHERE app_id = ? AND retired_at IS NULL',
            record.createdAt,
            record.appId,
          );
          this.run(
            `INSERT INTO encryption_keys (id, app_id, version, fingerprint, created_at, created_by, retired_at)
             VALUES (?, ?, ?, ?, ?, ?, NULL)`,
            record.id,
            record.appId,
            record.version,
            record.fingerprint,
            record.createdAt,
            record.createdBy,
          );
        })
        .immediate();
    } catch (err) {
      throw translate(err, 'App');
    }
    return Promise.resolve(record);
  }

  async retireEncryptionKey(appId: string, at: number): Promise<void> {
    this.db
      .transaction(() => {
        if (!this.one('SELECT 1 FROM apps WHERE id = ?', appId)) throw notFoundError('App');
        this.run(
          'UPDATE encryption_keys SET retired_at = ? WHERE app_id = ? AND retired_at IS NULL',
          at,
          appId,
        );
      })
      .immediate();
    return Promise.resolve();
  }

  // Audit log.

  async appendAudit(entry: NewAuditEntry): Promise<AuditEntry> {
    const row = this.one(
      `INSERT INTO audit_log (account_id, time, actor, action, target, details)
       VALUES (?, ?, ?, ?, ?, ?) RETURNING *`,
      entry.accountId,
      entry.time,
      entry.actor,
      entry.action,
      entry.target,
      JSON.stringify(entry.details),
    );
    return Promise.resolve(toAuditEntry(returned(row)));
  }

  async listAudit(accountId: string, options?: { limit?: number; before?: string }): Promise<AuditEntry[]> {
    const { limit, before } = auditPage(options);
    const rows =
      before === null
        ? this.all('SELECT * FROM audit_log WHERE account_id = ? ORDER BY id DESC LIMIT ?', accountId, limit)
        : this.all(
            'SELECT * FROM audit_log WHERE account_id = ? AND id < ? ORDER BY id DESC LIMIT ?',
            accountId,
            before,
            limit,
          );
    return Promise.resolve(rows.map(toAuditEntry));
  }

  // Usage.

  async addUsage(accountId: string, day: string, messages: number): Promise<number> {
    const row = this.one(
      `INSERT INTO usage_days (account_id, day, messages) VALUES (?, ?, ?)
       ON CONFLICT (account_id, day) DO UPDATE SET messages = messages + excluded.messages
       RETURNING messages`,
      accountId,
      checkDay(day),
      checkMessageCount(messages),
    );
    return Promise.resolve(integer(returned(row), 'messages'));
  }

  async getUsage(accountId: string, day: string): Promise<number> {
    const row = this.one(
      'SELECT messages FROM usage_days WHERE account_id = ? AND day = ?',
      accountId,
      checkDay(day),
    );
    return Promise.resolve(row ? integer(row, 'messages') : 0);
  }

  async listUsage(
    accountId: string,
    fromDay: string,
    toDay: string,
  ): Promise<{ day: string; messages: number }[]> {
    const rows = this.all(
      'SELECT day, messages FROM usage_days WHERE account_id = ? AND day >= ? AND day <= ? ORDER BY day',
      accountId,
      checkDay(fromDay),
      checkDay(toDay),
    );
    return Promise.resolve(rows.map((r) => ({ day: String(r.day), messages: integer(r, 'messages') })));
  }

  // Dashboard sessions.

  async createSession(session: SessionRecord): Promise<void> {
    try {
      this.run(
        'INSERT INTO sessions (id_hash, user_id, csrf_token, expires_at, created_at) VALUES (?, ?, ?, ?, ?)',
        session.idHash,
        session.userId,
        session.csrfToken,
        session.expiresAt,
        session.createdAt,
      );
    } catch (err) {
      throw translate(err, 'User');
    }
    return Promise.resolve();
  }

  async findSession(idHash: string): Promise<SessionRecord | undefined> {
    const row = this.one('SELECT * FROM sessions WHERE id_hash = ?', idHash);
    return Promise.resolve(row && toSession(row));
  }

  async deleteSession(idHash: string): Promise<void> {
    if (this.run('DELETE FROM sessions WHERE id_hash = ?', idHash) === 0) throw notFoundError('Session');
    return Promise.resolve();
  }
}
