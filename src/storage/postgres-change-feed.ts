// Change notifications between processes sharing one PostgreSQL database: the store sends
// `NOTIFY mawjly_changes, '<current_schema>:<origin>'` after each write to apps or accounts, and this
// feed LISTENs on one dedicated connection (a pooled one would be handed to other queries).
// Notifications are database-wide, so payloads of other schemas (tenants, parallel test runs) and of
// the store's own writes are ignored. A lost connection is re-opened with
// backoff, and the listeners are told once it is back, since notifications sent meanwhile are gone.
import pg from 'pg';

export const CHANGES_CHANNEL = 'mawjly_changes';
const MAX_RETRY_MS = 30_000;

export interface PostgresChangeFeedOptions {
  readonly connectionString: string;
  readonly connectTimeoutMs: number;
  /** libpq `options` of the store's connections (`-c search_path=…`), so `current_schema()` agrees. */
  readonly options?: string;
  /** This store's own origin id, whose notifications are not reported. */
  readonly origin: string;
  /** Maps a connection error to the store's error (no password in it). */
  readonly translate: (error: unknown) => unknown;
}

/** SQL that announces a change by `$2` (the origin) on channel `$1`, in the connection's schema. */
export const NOTIFY_SQL = "SELECT pg_notify($1, coalesce(current_schema(), '') || ':' || $2)";

/** `application_name` of the LISTEN connection of the store with this origin. */
export function listenerName(origin: string): string {
  return `mawjly-changes:${origin}`;
}

export class PostgresChangeFeed {
  readonly #o: PostgresChangeFeedOptions;
  readonly #listeners = new Set<() => void>();
  #client: pg.Client | undefined;
  /** The schema LISTEN runs in (read when connecting). */
  #scope = '';
  #connecting: Promise<void> | undefined;
  #retryTimer: NodeJS.Timeout | undefined;
  #retryMs = 0;
  #closed = false;
  #generation = 0;

  constructor(options: PostgresChangeFeedOptions) {
    this.#o = options;
  }

  /** Resolves once LISTEN is active (rejects if the first connection fails). */
  async add(listener: () => void): Promise<() => void> {
    if (this.#closed) throw new Error('The store is closed');
    this.#listeners.add(listener);
    try {
      await (this.#connecting ??= this.#connect());
    } catch (error) {
      this.#connecting = undefined;
      this.#remove(listener);
      throw this.#o.translate(error);
    }
    return () => {
      this.#remove(listener);
    };
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#listeners.clear();
    await this.#disconnect();
  }

  #remove(listener: () => void): void {
    this.#listeners.delete(listener);
    if (this.#listeners.size === 0) void this.#disconnect();
  }

  async #disconnect(): Promise<void> {
    // A connection attempt still in flight sees the new generation and closes its own client.
    this.#generation += 1;
    if (this.#retryTimer) clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
    const pending = this.#connecting;
    this.#connecting = undefined;
    const client = this.#client;
    this.#client = undefined;
    await client?.end().catch(() => undefined);
    await pending?.catch(() => undefined);
  }

  async #connect(): Promise<void> {
    const generation = this.#generation;
    const client = new pg.Client({
      connectionString: this.#o.connectionString,
      connectionTimeoutMillis: this.#o.connectTimeoutMs,
      // Names the connection in pg_stat_activity (operators, and the reconnect test).
      application_name: listenerName(this.#o.origin),
      ...(this.#o.options === undefined ? {} : { options: this.#o.options }),
    });
    const lost = (): void => {
      this.#lost(client);
    };
    client.on('error', lost);
    client.on('end', lost);
    client.on('notification', (message) => {
      if (message.channel !== CHANGES_CHANNEL || message.payload === undefined) return;
      const cut = message.payload.indexOf(':');
      if (cut < 0 || message.payload.slice(0, cut) !== this.#scope) return;
      if (message.payload.slice(cut + 1) === this.#o.origin) return;
      this.#emit();
    });
    try {
      await client.connect();
      const schema = await client.query<{ schema: string }>(
        "SELECT coalesce(current_schema(), '') AS schema",
      );
      this.#scope = schema.rows[0]?.schema ?? '';
      await client.query(`LISTEN ${CHANGES_CHANNEL}`);
    } catch (error) {
      client.removeListener('end', lost);
      await client.end().catch(() => undefined);
      throw error;
    }
    if (this.#closed || this.#listeners.size === 0 || generation !== this.#generation) {
      client.removeListener('end', lost);
      await client.end().catch(() => undefined);
      return;
    }
    this.#client = client;
  }

  #lost(client: pg.Client): void {
    if (this.#client !== client) return;
    this.#client = undefined;
    this.#connecting = undefined;
    client.end().catch(() => undefined);
    this.#scheduleReconnect();
  }

  #scheduleReconnect(): void {
    if (this.#closed || this.#listeners.size === 0 || this.#retryTimer) return;
    this.#retryMs = Math.min(MAX_RETRY_MS, this.#retryMs === 0 ? 1000 : this.#retryMs * 2);
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = undefined;
      const attempt = (this.#connecting = this.#connect());
      attempt.then(
        () => {
          this.#retryMs = 0;
          // Whatever was notified while the connection was down is lost: let listeners re-read.
          this.#emit();
        },
        () => {
          if (this.#connecting === attempt) this.#connecting = undefined;
          this.#scheduleReconnect();
        },
      );
    }, this.#retryMs);
    this.#retryTimer.unref();
  }

  #emit(): void {
    for (const listener of [...this.#listeners]) listener();
  }
}
