// The `pg` pool of the PostgreSQL store with the few calls its modules need: queries whose driver
// errors come back as MawjlyErrors (never with the password), transactions, and change announcements.
import pg from 'pg';
import { MawjlyError } from '../protocol/errors.js';
import { CHANGES_CHANNEL, NOTIFY_SQL } from './postgres-change-feed.js';
import { conflictError, notFoundError, unavailableError, type UniqueConstraint } from './store-errors.js';
import type { Row } from './store-rows.js';

export interface PostgresDatabaseOptions {
  readonly connectionString: string;
  readonly schema: string | undefined;
  readonly poolSize: number;
  readonly connectTimeoutMs: number;
  /** Sent with change notifications so the store's own watches can ignore them. */
  readonly origin: string;
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

export class PostgresDatabase {
  readonly schema: string | undefined;
  private readonly pool: pg.Pool;
  private readonly target: string;
  private readonly password: string;
  private readonly origin: string;

  constructor(options: PostgresDatabaseOptions) {
    this.target = describeDatabaseUrl(options.connectionString);
    this.password = passwordOf(options.connectionString);
    // The schema is spliced into SQL and libpq options, so only plain identifiers get through.
    if (options.schema !== undefined && !SCHEMA_NAME.test(options.schema)) {
      throw new MawjlyError(
        'invalid_request',
        'PostgreSQL schema must be a lowercase identifier ([a-z_][a-z0-9_]*)',
      );
    }
    this.schema = options.schema;
    this.origin = options.origin;
    this.pool = new pg.Pool({
      connectionString: options.connectionString,
      max: options.poolSize,
      connectionTimeoutMillis: options.connectTimeoutMs,
      ...(options.schema === undefined ? {} : { options: `-c search_path=${options.schema}` }),
    });
    // An idle pooled connection that dies (server restart) is dropped by the pool and replaced on
    // the next query; without a listener the 'error' event would crash the process.
    this.pool.on('error', () => undefined);
  }

  /** Maps driver errors to MawjlyErrors; `missing` names what a failed foreign key refers to. */
  translate(err: unknown, missing?: string): unknown {
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

  async rows(sql: string, params: readonly unknown[] = [], missing?: string): Promise<Row[]> {
    try {
      const result = await this.pool.query(sql, params as unknown[]);
      return result.rows as Row[];
    } catch (err) {
      throw this.translate(err, missing);
    }
  }

  async one(sql: string, params: readonly unknown[] = [], missing?: string): Promise<Row | undefined> {
    return (await this.rows(sql, params, missing))[0];
  }

  async count(sql: string, params: readonly unknown[]): Promise<number> {
    try {
      return (await this.pool.query(sql, params as unknown[])).rowCount ?? 0;
    } catch (err) {
      throw this.translate(err);
    }
  }

  async transaction<T>(missing: string | undefined, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
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

  /** Tells the other processes' watches that apps or accounts changed (after the write committed). */
  async announce(): Promise<void> {
    try {
      await this.pool.query(NOTIFY_SQL, [CHANGES_CHANNEL, this.origin]);
    } catch {
      // The write itself succeeded; the watchers' periodic full resync still picks it up.
    }
  }

  async end(): Promise<void> {
    await this.pool.end();
  }
}
