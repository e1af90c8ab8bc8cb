// Chooses the Store from configuration: PostgreSQL for a postgres:// DATABASE_URL, else the embedded
// SQLite file in the data directory. The returned store is migrated and ready.
import type { Logger } from '../core/ports/logger.js';
import type { Store } from '../management/store.js';
import { MawjlyError } from '../protocol/errors.js';
import type { PostgresStore } from './postgres-store.js';
import { SqliteStore, type CreatePolicy } from './sqlite-store.js';
import type { HealthReporting } from './store-health.js';

export type { CreatePolicy } from './sqlite-store.js';
export type { StoreHealthReport } from './store-health.js';

/** A store as opened here: the Store port plus its readiness check. */
export type OpenedStore = Store & HealthReporting;

const POSTGRES_URL = /^postgres(ql)?:\/\//i;

export async function openStore(options: {
  dataDir: string;
  databaseUrl?: string | undefined;
  schema?: string;
  /** Bound on each call in ms (MAWJLY_DATABASE_TIMEOUT_MS). */
  timeoutMs?: number;
  /**
   * Whether a database that does not exist yet may be created (default 'always'). With PostgreSQL,
   * 'never' refuses a database (or schema) without Mawjly's tables; 'first-run' creates them.
   */
  create?: CreatePolicy;
  logger?: Logger;
}): Promise<OpenedStore> {
  const url = options.databaseUrl;
  const create = options.create ?? 'always';
  let store: PostgresStore | SqliteStore;
  if (url !== undefined && url !== '') {
    // Any other scheme is a configuration mistake; quietly using SQLite instead would split the data.
    if (!POSTGRES_URL.test(url)) {
      throw new MawjlyError(
        'database_unavailable',
        'DATABASE_URL must start with postgres:// or postgresql:// (leave it unset for the embedded SQLite database)',
      );
    }
    // Imported here so that a SQLite deployment never loads `pg`.
    const { PostgresStore } = await import('./postgres-store.js');
    store = new PostgresStore({
      connectionString: url,
      ...(options.schema === undefined ? {} : { schema: options.schema }),
      ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
      ...(options.logger === undefined ? {} : { logger: options.logger }),
    });
  } else {
    store = new SqliteStore({
      dataDir: options.dataDir,
      create,
      ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
      ...(options.logger === undefined ? {} : { logger: options.logger }),
    });
  }
  try {
    if (!(store instanceof SqliteStore) && create === 'never' && !(await store.isInitialised())) {
      throw new MawjlyError(
        'database_unavailable',
        'The PostgreSQL database has no Mawjly tables: check DATABASE_URL, start `mawjly serve` once to create them, or pass --init',
      );
    }
    await store.migrate();
  } catch (err) {
    await store.close().catch(() => undefined);
    throw err;
  }
  return store;
}
