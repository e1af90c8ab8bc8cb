// The PostgreSQL Store, for multi-node deployments, through a `pg` pool. With a `schema` option the
// store lives in that schema (created by migrate()), which is how tests and tenants stay apart.
// Statements are single round trips where possible; the few multi-statement operations run in a
// transaction and lock the app row so concurrent writers on other nodes serialise.
import { randomUUID } from 'node:crypto';
import pg from 'pg';
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
import { MawjlyError } from '../protocol/errors.js';
import { CHANGES_CHANNEL, NOTIFY_SQL, PostgresChangeFeed } from './postgres-change-feed.js';
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
  returned,
  toAccount,
  toApp,
  toAuditEntry,
  toEncryptionKey,
  toSession,
  toToken,
  toUser,
  type Row,
} from './store-rows.js';

export interface PostgresStoreOptions {
  /** `postgres://user[:password]@host[:port]/database`. */
  readonly connectionString: string;
  /** Lowercase identifier; created if missing, and the search_path of every pooled connection. */
  readonly schema?: string;
  readonly clock?: Clock;
  readonly migrations?: readonly Migration[];
  readonly poolSize?: number;
  readonly connectTimeoutMs?: number;
}

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

// PostgreSQL's default names for the unique constraints of the initial schema.
const UNIQUE_CONSTRAINTS: Readonly<Record<string, UniqueConstraint>> = {
  accounts_name_key: 'account_name',
  users_email_key: 'user_email',
  apps_pkey: 'app_id',
  apps_key_key: 'app_key',
  api_tokens_hash_key: 'token_hash',
  encryption_keys_one_active: 'active_key',
  encryption_keys_app_id_version_key: 'key_version',
  sessions_pkey: 'session_id',
};

// Socket errors and SQLSTATE classes 08 (connection), 28 (authorization), 3D000 (no such
// database) and 57P03 (starting up) mean the database cannot be used at all.
const SOCKET_ERRORS = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ECONNRESET',
]);

function isConnectionError(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const code = 'code' in err && typeof err.code === 'string' ? err.code : '';
  if (err instanceof pg.DatabaseError) return /^(08|28)/.test(code) || code === '3D000' || code === '57P03';
  // pg's own connect timeouts and dropped sockets are plain Errors without a code.
  return (
    SOCKET_ERRORS.has(code) ||
    /timeout exceeded when trying to connect|Connection terminated/i.test(err.message)
  );
}

/** `host:port/database as user`, from the URL; never the password. */
export function describeDatabaseUrl(connectionString: string): string {
  let url: URL;
  try {
    url = new URL(connectionString);
  } catch {
    throw unavailableError('DATABASE_URL is not a valid postgres:// URL');
  }
  const host = url.hostname === '' ? 'localhost' : url.hostname;
  const port = url.port === '' ? '5432' : url.port;
  const database = decodeURIComponent(url.pathname.replace(/^\//, ''));
  const user = decodeURIComponent(url.username);
  return `${host}:${port}/${database}${user === '' ? '' : ` as user "${user}"`}`;
}

function passwordOf(connectionString: string): string {
  try {
    return decodeURIComponent(new URL(connectionString).password);
  } catch {
    return '';
  }
}

export class PostgresStore implements Store {
  readonly schema: string | undefined;
  private readonly pool: pg.Pool;
  private readonly clock: Clock;
  private readonly migrations: readonly Migration[];
  private readonly target: string;
  private readonly password: string;
  private closed = false;
  private readonly changes: PostgresChangeFeed;
  /**
   * This store's id in change notifications (its own are not reported to its watches), and in the
   * `application_name` of its LISTEN connection (`mawjly-changes:<origin>`).
   */
  readonly origin = randomUUID();

  constructor(options: PostgresStoreOptions) {
    this.target = describeDatabaseUrl(options.connectionString);
    this.password = passwordOf(options.connectionString);
    if (options.schema !== undefined && !SCHEMA_NAME.test(options.schema)) {
      throw new MawjlyError(
        'invalid_request',
        'PostgreSQL schema must be a lowercase identifier ([a-z_][a-z0-9_]*)',
      );
    }
    this.schema = options.schema;
    this.clock = options.clock ?? systemClock;
    this.migrations = options.migrations ?? MIGRATIONS;
    this.pool = new pg.Pool({
      connectionString: options.connectionString,
      max: options.poolSize ?? 10,
      connectionTimeoutMillis: options.connectTimeoutMs ?? 10_000,
      ...(options.schema === undefined ? {} : { options: `-c search_path=${options.schema}` }),
    });
    this.changes = new PostgresChangeFeed({
      connectionString: options.connectionString,
      connectTimeoutMs: options.connectTimeoutMs ?? 10_000,
      ...(options.schema === undefined ? {} : { options: `-c search_path=${options.schema}` }),
      origin: this.origin,
      translate: (err) => this.translate(err),
    });
    // An idle pooled connection that dies (server restart) is dropped by the pool and replaced on
    // the next query; without a listener the 'error' event would crash the process.
    this.pool.on('error', () => undefined);
  }

  /** Maps driver errors to MawjlyErrors; `missing` names what a failed foreign key refers to. */
  private translate(err: unknown, missing?: string): unknown {
    if (err instanceof MawjlyError) return err;
    if (err instanceof pg.DatabaseError) {
      if (err.code === '23505') return conflictError(UNIQUE_CONSTRAINTS[err.constraint ?? '']);
      if (err.code === '23503' && missing !== undefined) return notFoundError(missing);
    }
    if (isConnectionError(err)) {
      let reason = (err as Error).message;
      if (this.password !== '') reason = reason.split(this.password).join('***');
      return unavailableError(`Cannot connect to PostgreSQL at ${this.target}: ${reason}`);
    }
    return err;
  }

  private async rows(sql: string, params: readonly unknown[] = [], missing?: string): Promise<Row[]> {
    try {
      const result = await this.pool.query(sql, params as unknown[]);
      return result.rows as Row[];
    } catch (err) {
      throw this.translate(err, missing);
    }
  }

  private async one(
    sql: string,
    params: readonly unknown[] = [],
    missing?: string,
  ): Promise<Row | undefined> {
    return (await this.rows(sql, params, missing))[0];
  }

  private async count(sql: string, params: readonly unknown[]): Promise<number> {
    try {
      return (await this.pool.query(sql, params as unknown[])).rowCount ?? 0;
    } catch (err) {
      throw this.translate(err);
    }
  }

  private async transaction<T>(
    missing: string | undefined,
    work: (client: pg.PoolClient) => Promise<T>,
  ): Promise<T> {
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (err) {
      throw this.translate(err);
    }
    let broken: Error | undefined;
    try {
      await client.query('BEGIN');
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (err) {
      await client.query('ROLLBACK').catch((rollbackError: unknown) => {
        broken = rollbackError instanceof Error ? rollbackError : new Error('ROLLBACK failed');
      });
      throw this.translate(err, missing);
    } finally {
      // A client whose ROLLBACK failed is in an unknown state: destroy it rather than reuse it.
      client.release(broken);
    }
  }

  async migrate(): Promise<void> {
    await this.transaction(undefined, async (client) => {
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

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.changes.close();
    await this.pool.end();
  }

  watchChanges(onChange: () => void): Promise<() => void> {
    return this.changes.add(onChange);
  }

  /** Tells the other processes' watches that apps or accounts changed (after the write committed). */
  private async announce(): Promise<void> {
    try {
      await this.pool.query(NOTIFY_SQL, [CHANGES_CHANNEL, this.origin]);
    } catch {
      // The write itself succeeded; the watchers' periodic full resync still picks it up.
    }
  }

  // Accounts.

  async createAccount(input: { name: string; plan: PlanName }): Promise<AccountRecord> {
    const row = await this.one(
      'INSERT INTO accounts (id, name, plan, created_at) VALUES ($1, $2, $3, $4) RETURNING *',
      [randomUUID(), input.name, input.plan, this.clock.now()],
    );
    await this.announce();
    return toAccount(returned(row));
  }

  async findAccount(id: string): Promise<AccountRecord | undefined> {
    const row = await this.one('SELECT * FROM accounts WHERE id = $1', [id]);
    return row && toAccount(row);
  }

  async findAccountByName(name: string): Promise<AccountRecord | undefined> {
    const row = await this.one('SELECT * FROM accounts WHERE name = $1', [name]);
    return row && toAccount(row);
  }

  async listAccounts(): Promise<AccountRecord[]> {
    return (await this.rows('SELECT * FROM accounts ORDER BY created_at, id')).map(toAccount);
  }

  async setAccountPlan(id: string, plan: PlanName): Promise<AccountRecord> {
    const row = await this.one('UPDATE accounts SET plan = $1 WHERE id = $2 RETURNING *', [plan, id]);
    if (!row) throw notFoundError('Account');
    await this.announce();
    return toAccount(row);
  }

  // Users.

  async createUser(input: Omit<UserRecord, 'id' | 'createdAt'>): Promise<UserRecord> {
    const row = await this.one(
      `INSERT INTO users (id, account_id, email, password_hash, role, created_at)
       VALUES ($1, $2, $3, $4, $5, $6) RETURNING *`,
      [
        randomUUID(),
        input.accountId,
        normalizeEmail(input.email),
        input.passwordHash,
        input.role,
        this.clock.now(),
      ],
      'Account',
    );
    return toUser(returned(row));
  }

  async findUser(id: string): Promise<UserRecord | undefined> {
    const row = await this.one('SELECT * FROM users WHERE id = $1', [id]);
    return row && toUser(row);
  }

  async findUserByEmail(email: string): Promise<UserRecord | undefined> {
    const row = await this.one('SELECT * FROM users WHERE email = $1', [normalizeEmail(email)]);
    return row && toUser(row);
  }

  async listUsers(accountId: string): Promise<UserRecord[]> {
    return (
      await this.rows('SELECT * FROM users WHERE account_id = $1 ORDER BY created_at, id', [accountId])
    ).map(toUser);
  }

  async updateUserRole(id: string, role: Role): Promise<UserRecord> {
    const row = await this.one('UPDATE users SET role = $1 WHERE id = $2 RETURNING *', [role, id]);
    if (!row) throw notFoundError('User');
    return toUser(row);
  }

  async deleteUser(id: string): Promise<void> {
    if ((await this.count('DELETE FROM users WHERE id = $1', [id])) === 0) throw notFoundError('User');
  }

  // Apps.

  async createApp(input: Omit<AppRecord, 'createdAt'>): Promise<AppRecord> {
    const row = await this.one(
      `INSERT INTO apps (id, account_id, name, key, secret, previous_secret, previous_secret_valid_until, settings, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9) RETURNING *`,
      [
        input.id,
        input.accountId,
        input.name,
        input.key,
        input.secret,
        input.previousSecret,
        input.previousSecretValidUntil,
        JSON.stringify(input.settings),
        this.clock.now(),
      ],
      'Account',
    );
    await this.announce();
    return toApp(returned(row));
  }

  async findApp(id: string): Promise<AppRecord | undefined> {
    const row = await this.one('SELECT * FROM apps WHERE id = $1', [id]);
    return row && toApp(row);
  }

  async findAppByKey(key: string): Promise<AppRecord | undefined> {
    const row = await this.one('SELECT * FROM apps WHERE key = $1', [key]);
    return row && toApp(row);
  }

  async listApps(accountId?: string): Promise<AppRecord[]> {
    const rows =
      accountId === undefined
        ? await this.rows('SELECT * FROM apps ORDER BY created_at, id')
        : await this.rows('SELECT * FROM apps WHERE account_id = $1 ORDER BY created_at, id', [accountId]);
    return rows.map(toApp);
  }

  async updateApp(id: string, patch: AppPatch): Promise<AppRecord> {
    const columns = appPatchColumns(patch);
    const row =
      columns.length === 0
        ? await this.one('SELECT * FROM apps WHERE id = $1', [id])
        : await this.one(
            `UPDATE apps SET ${columns.map(([c], i) => `${c} = $${i + 1}`).join(', ')} WHERE id = $${columns.length + 1} RETURNING *`,
            [...columns.map(([, v]) => v), id],
            'Account',
          );
    if (!row) throw notFoundError('App');
    if (columns.length > 0) await this.announce();
    return toApp(row);
  }

  async deleteApp(id: string): Promise<void> {
    if ((await this.count('DELETE FROM apps WHERE id = $1', [id])) === 0) throw notFoundError('App');
    await this.announce();
  }

  // API tokens.

  async createToken(input: Omit<TokenRecord, 'id' | 'createdAt' | 'lastUsedAt'>): Promise<TokenRecord> {
    const row = await this.one(
      `INSERT INTO api_tokens (id, account_id, name, prefix, hash, scopes, created_by, expires_at, last_used_at, created_at)
       VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7, $8, NULL, $9) RETURNING *`,
      [
        randomUUID(),
        input.accountId,
        input.name,
        input.prefix,
        input.hash,
        JSON.stringify(input.scopes),
        input.createdBy,
        input.expiresAt,
        this.clock.now(),
      ],
      'Account',
    );
    return toToken(returned(row));
  }

  async findTokenByHash(hash: string): Promise<TokenRecord | undefined> {
    const row = await this.one('SELECT * FROM api_tokens WHERE hash = $1', [hash]);
    return row && toToken(row);
  }

  async listTokens(accountId: string): Promise<TokenRecord[]> {
    return (
      await this.rows('SELECT * FROM api_tokens WHERE account_id = $1 ORDER BY created_at, id', [accountId])
    ).map(toToken);
  }

  async touchToken(id: string, at: number): Promise<void> {
    if ((await this.count('UPDATE api_tokens SET last_used_at = $1 WHERE id = $2', [at, id])) === 0) {
      throw notFoundError('API token');
    }
  }

  async deleteToken(id: string): Promise<void> {
    if ((await this.count('DELETE FROM api_tokens WHERE id = $1', [id])) === 0)
      throw notFoundError('API token');
  }

  // Encryption master keys (metadata only).

  async findActiveEncryptionKey(appId: string): Promise<EncryptionKeyRecord | undefined> {
    const row = await this.one('SELECT * FROM encryption_keys WHERE app_id = $1 AND retired_at IS NULL', [
      appId,
    ]);
    return row && toEncryptionKey(row);
  }

  async listEncryptionKeys(appId: string): Promise<EncryptionKeyRecord[]> {
    const rows = await this.rows(
      'SELECT * FROM encryption_keys WHERE app_id = $1 ORDER BY version DESC, created_at DESC',
      [appId],
    );
    return rows.map(toEncryptionKey);
  }

  /** Locks the app row, so key changes of one app (from any node) run one after the other. */
  private async lockApp(client: pg.PoolClient, appId: string): Promise<void> {
    const result = await client.query('SELECT 1 FROM apps WHERE id = $1 FOR NO KEY UPDATE', [appId]);
    if (result.rowCount === 0) throw notFoundError('App');
  }

  async insertEncryptionKey(
    input: Omit<EncryptionKeyRecord, 'id' | 'retiredAt'>,
  ): Promise<EncryptionKeyRecord> {
    return this.transaction('App', async (client) => {
      await this.lockApp(client, input.appId);
      await client.query(
        'UPDATE encryption_keys SET retired_at = $1 WHERE app_id = $2 AND retired_at IS NULL',
        [input.createdAt, input.appId],
      );
      const result = await client.query(
        `INSERT INTO encryption_keys (id, app_id, version, fingerprint, created_at, created_by, retired_at)
         VALUES ($1, $2, $3, $4, $5, $6, NULL) RETURNING *`,
        [randomUUID(), input.appId, input.version, input.fingerprint, input.createdAt, input.createdBy],
      );
      return toEncryptionKey(returned(result.rows[0] as Row | undefined));
    });
  }

  async retireEncryptionKey(appId: string, at: number): Promise<void> {
    await this.transaction('App', async (client) => {
      await this.lockApp(client, appId);
      await client.query(
        'UPDATE encryption_keys SET retired_at = $1 WHERE app_id = $2 AND retired_at IS NULL',
        [at, appId],
      );
    });
  }

  // Audit log.

  async appendAudit(entry: NewAuditEntry): Promise<AuditEntry> {
    const row = await this.one(
      `INSERT INTO audit_log (account_id, time, actor, action, target, details)
       VALUES ($1, $2, $3, $4, $5, $6::jsonb) RETURNING *`,
      [entry.accountId, entry.time, entry.actor, entry.action, entry.target, JSON.stringify(entry.details)],
    );
    return toAuditEntry(returned(row));
  }

  async listAudit(accountId: string, options?: { limit?: number; before?: string }): Promise<AuditEntry[]> {
    const { limit, before } = auditPage(options);
    const rows =
      before === null
        ? await this.rows('SELECT * FROM audit_log WHERE account_id = $1 ORDER BY id DESC LIMIT $2', [
            accountId,
            limit,
          ])
        : await this.rows(
            'SELECT * FROM audit_log WHERE account_id = $1 AND id < $2 ORDER BY id DESC LIMIT $3',
            [accountId, before, limit],
          );
    return rows.map(toAuditEntry);
  }

  // Usage.

  async addUsage(accountId: string, day: string, messages: number): Promise<number> {
    const row = await this.one(
      `INSERT INTO usage_days (account_id, day, messages) VALUES ($1, $2, $3)
       ON CONFLICT (account_id, day) DO UPDATE SET messages = usage_days.messages + excluded.messages
       RETURNING messages`,
      [accountId, checkDay(day), checkMessageCount(messages)],
    );
    return integer(returned(row), 'messages');
  }

  async getUsage(accountId: string, day: string): Promise<number> {
    const row = await this.one('SELECT messages FROM usage_days WHERE account_id = $1 AND day = $2', [
      accountId,
      checkDay(day),
    ]);
    return row ? integer(row, 'messages') : 0;
  }

  async listUsage(
    accountId: string,
    fromDay: string,
    toDay: string,
  ): Promise<{ day: string; messages: number }[]> {
    const rows = await this.rows(
      'SELECT day, messages FROM usage_days WHERE account_id = $1 AND day >= $2 AND day <= $3 ORDER BY day',
      [accountId, checkDay(fromDay), checkDay(toDay)],
    );
    return rows.map((r) => ({ day: String(r.day), messages: integer(r, 'messages') }));
  }

  // Dashboard sessions.

  async createSession(session: SessionRecord): Promise<void> {
    await this.rows(
      'INSERT INTO sessions (id_hash, user_id, csrf_token, expires_at, created_at) VALUES ($1, $2, $3, $4, $5)',
      [session.idHash, session.userId, session.csrfToken, session.expiresAt, session.createdAt],
      'User',
    );
  }

  async findSession(idHash: string): Promise<SessionRecord | undefined> {
    const row = await this.one('SELECT * FROM sessions WHERE id_hash = $1', [idHash]);
    return row && toSession(row);
  }

  async deleteSession(idHash: string): Promise<void> {
    if ((await this.count('DELETE FROM sessions WHERE id_hash = $1', [idHash])) === 0) {
      throw notFoundError('Session');
    }
  }
}
