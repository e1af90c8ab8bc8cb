// The `pg` pool of the PostgreSQL store with the few calls its modules need: queries whose driver
// errors come back as MawjlyErrors (never with the password), transactions, and change announcements.
import pg from 'pg';
import type { Logger } from '../core/ports/logger.js';
import { MawjlyError } from '../protocol/errors.js';
import { CHANGES_CHANNEL, NOTIFY_SQL } from './postgres-change-feed.js';
import { conflictError, notFoundError, unavailableError, type UniqueConstraint } from './store-errors.js';
import { StoreHealth } from './store-health.js';
import type { Row } from './store-rows.js';

export interface PostgresDatabaseOptions {
  readonly connectionString: string;
  readonly schema: string | undefined;
  readonly poolSize: number;
  readonly connectTimeoutMs: number;
  /** Sent with change notifications so the store's own watches can ignore them. */
  readonly origin: string;
  /** Bound on every call, connecting included (MAWJLY_DATABASE_TIMEOUT_MS). */
  readonly timeoutMs: number;
  /** Where loss and recovery of the database are logged (once each). */
  readonly logger?: Logger | undefined;
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

/** A write statement: run in a guarded transaction, never on its own (see `transaction`). */
const WRITE_SQL = /^\s*(INSERT|UPDATE|DELETE|WITH)\b/i;
/** Committed at least this long before the caller's deadline, to absorb the COMMIT itself. */
const GUARD_MARGIN_MS = 50;
/** SQLSTATE of the deadline guard (query_canceled, as for statement_timeout). */
const DEADLINE_SQLSTATE = '57014';

export class PostgresDatabase {
  readonly schema: string | undefined;
  readonly health: StoreHealth;
  private readonly pool: pg.Pool;
  private readonly target: string;
  private readonly password: string;
  private readonly origin: string;
  private readonly timeoutMs: number;

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
    this.timeoutMs = options.timeoutMs;
    this.health = new StoreHealth('postgres', options.logger);
    const { connectionString, urlOptions } = splitOptions(options.connectionString);
    this.pool = new pg.Pool({
      connectionString,
      max: options.poolSize,
      connectionTimeoutMillis: Math.min(options.connectTimeoutMs, options.timeoutMs),
      options: sessionOptions(options.schema, options.timeoutMs, urlOptions),
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
      // statement_timeout, the deadline guard, lock_timeout, idle-in-transaction timeout.
      if (err.code === DEADLINE_SQLSTATE || err.code === '55P03' || err.code === '25P03') {
        return unavailableError(`PostgreSQL at ${this.target} did not answer within ${this.timeoutMs} ms`);
      }
    }
    if (isConnectionError(err)) {
      let reason = (err as Error).message;
      if (this.password !== '') reason = reason.split(this.password).join('***');
      return unavailableError(`Cannot connect to PostgreSQL at ${this.target}: ${reason}`);
    }
    return err;
  }

  /**
   * Runs `work` on a pooled connection within the store's deadline (MAWJLY_DATABASE_TIMEOUT_MS),
   * counted from the call: connecting or waiting for a free connection included. When the deadline
   * passes the caller gets `database_unavailable` at once and the connection is closed (a query
   * still in flight on it is abandoned; the server rolls back its open transaction).
   */
  private async bounded<T>(
    missing: string | undefined,
    work: (client: pg.PoolClient, started: number) => Promise<T>,
  ): Promise<T> {
    const started = performance.now();
    const startedAt = Date.now();
    let client: pg.PoolClient | undefined;
    let released = false;
    // An object, so the compiler sees that the timer can change it while `job` awaits.
    const state = { expired: false };
    // A checked-out connection that drops between two queries emits 'error' with no query to
    // fail; without a listener that would crash the process. The next query fails instead.
    const ignore = (): void => undefined;
    const release = (error?: Error): void => {
      if (client === undefined || released) return;
      released = true;
      client.removeListener('error', ignore);
      client.release(error);
    };
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => {
        state.expired = true;
        release(new Error('deadline passed'));
        reject(unavailableError(`PostgreSQL at ${this.target} did not answer within ${this.timeoutMs} ms`));
      }, this.timeoutMs);
    });
    const job = (async () => {
      const connected = await this.pool.connect();
      connected.on('error', ignore);
      client = connected;
      if (state.expired) {
        release(new Error('deadline passed'));
        throw unavailableError(`PostgreSQL at ${this.target} did not answer within ${this.timeoutMs} ms`);
      }
      try {
        const result = await work(connected, started);
        release();
        return result;
      } catch (error) {
        // A failed statement leaves the connection in an unknown state (an aborted transaction,
        // a query still running): close it rather than hand it to the next caller.
        release(error instanceof Error ? error : new Error('query failed'));
        throw error;
      }
    })();
    job.catch(() => undefined);
    try {
      const result = await Promise.race([job, deadline]);
      this.health.recover();
      return result;
    } catch (error) {
      const translated = this.translate(error, missing);
      if (translated instanceof MawjlyError && translated.code === 'database_unavailable') {
        this.health.fail(translated.message, startedAt);
      }
      throw translated;
    } finally {
      clearTimeout(timer);
    }
  }

  async rows(sql: string, params: readonly unknown[] = [], missing?: string): Promise<Row[]> {
    if (WRITE_SQL.test(sql)) {
      return this.transaction(
        missing,
        async (client) => (await client.query(sql, params as unknown[])).rows as Row[],
      );
    }
    return this.bounded(
      missing,
      async (client) => (await client.query(sql, params as unknown[])).rows as Row[],
    );
  }

  async one(sql: string, params: readonly unknown[] = [], missing?: string): Promise<Row | undefined> {
    return (await this.rows(sql, params, missing))[0];
  }

  async count(sql: string, params: readonly unknown[]): Promise<number> {
    const run = async (client: pg.PoolClient): Promise<number> =>
      (await client.query(sql, params as unknown[])).rowCount ?? 0;
    return WRITE_SQL.test(sql) ? this.transaction(undefined, run) : this.bounded(undefined, run);
  }

  /**
   * A transaction that commits only while its caller still waits for it. The client's deadline
   * alone cannot promise that: bytes held by a partitioned network are delivered when it heals, so
   * a COMMIT sent just before the caller was told "failed" could arrive and apply later. So the
   * COMMIT travels in one message behind a guard that checks the server's own clock against the
   * caller's deadline translated into server time (measured at BEGIN, skew-free): a late COMMIT
   * finds the guard failed and the transaction aborted. Statements are sent one at a time, so the
   * writes themselves can never arrive without that guarded COMMIT behind them.
   */
  async transaction<T>(missing: string | undefined, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    return this.bounded(missing, async (client, started) => {
      const begun = (await client.query(
        'BEGIN; SELECT (extract(epoch FROM clock_timestamp()) * 1000)::float8 AS now_ms',
      )) as unknown as pg.QueryResult[];
      const answered = performance.now();
      const serverNow = Number((begun[1]?.rows[0] as Row | undefined)?.now_ms);
      if (!Number.isFinite(serverNow)) throw new Error('PostgreSQL did not report its clock');
      // The server read its clock after we sent BEGIN and before we received the answer, so our
      // deadline is at least this late in server time.
      const commitBy = serverNow + (started + this.timeoutMs - answered) - GUARD_MARGIN_MS;
      const result = await work(client);
      await client.query(
        `DO $$BEGIN IF clock_timestamp() > to_timestamp(${(commitBy / 1000).toFixed(3)}) THEN ` +
          `RAISE EXCEPTION 'write deadline passed' USING ERRCODE = '${DEADLINE_SQLSTATE}'; END IF; END$$; COMMIT`,
      );
      return result;
    });
  }

  /** A transaction without deadline (migrations, which may take long and wait for each other). */
  async unboundedTransaction(work: (client: pg.PoolClient) => Promise<void>): Promise<void> {
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (err) {
      throw this.translate(err);
    }
    try {
      await client.query('BEGIN');
      await client.query('SET LOCAL statement_timeout = 0');
      await client.query('SET LOCAL lock_timeout = 0');
      await client.query('SET LOCAL idle_in_transaction_session_timeout = 0');
      await work(client);
      await client.query('COMMIT');
      client.release();
    } catch (err) {
      client.release(err instanceof Error ? err : new Error('migration failed'));
      throw this.translate(err);
    }
  }

  /** `SELECT 1` within the deadline: the readiness check. */
  async ping(): Promise<void> {
    await this.bounded(undefined, async (client) => {
      await client.query('SELECT 1');
    });
  }

  /** Tells the other processes' watches that apps or accounts changed (after the write committed). */
  async announce(): Promise<void> {
    try {
      await this.bounded(undefined, async (client) => {
        await client.query(NOTIFY_SQL, [CHANGES_CHANNEL, this.origin]);
      });
    } catch {
      // The write itself succeeded; the watchers' periodic full resync still picks it up.
    }
  }

  async end(): Promise<void> {
    await this.pool.end();
  }
}

/**
 * libpq options of every pooled connection: the schema, and server-side bounds matching the
 * client's deadline, so a statement or lock wait the client gave up on stops on the server too, and
 * a session left inside a transaction by a vanished client is ended (releasing its locks).
 */
function sessionOptions(schema: string | undefined, timeoutMs: number, urlOptions: string): string {
  const options = [
    `-c statement_timeout=${String(timeoutMs)}`,
    `-c lock_timeout=${String(timeoutMs)}`,
    `-c idle_in_transaction_session_timeout=${String(timeoutMs * 2)}`,
  ];
  if (schema !== undefined) options.unshift(`-c search_path=${schema}`);
  // The URL's own `options` come last, so an operator's explicit setting wins.
  if (urlOptions !== '') options.push(urlOptions);
  return options.join(' ');
}

/**
 * Takes `?options=…` out of the URL: pg lets the URL's value replace the pool's `options` whole,
 * which would drop the timeouts above; they are joined instead.
 */
export function splitOptions(connectionString: string): { connectionString: string; urlOptions: string } {
  let url: URL;
  try {
    url = new URL(connectionString);
  } catch {
    return { connectionString, urlOptions: '' };
  }
  const urlOptions = url.searchParams.get('options');
  if (urlOptions === null) return { connectionString, urlOptions: '' };
  url.searchParams.delete('options');
  return { connectionString: url.toString(), urlOptions };
}
