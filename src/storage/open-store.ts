// Chooses the Store from configuration: PostgreSQL for a postgres:// DATABASE_URL, else the embedded
// SQLite file in the data directory. The returned store is migrated and ready.
import type { Store } from '../management/store.js';
import { MawjlyError } from '../protocol/errors.js';
import { PostgresStore } from './postgres-store.js';
import { SqliteStore } from './sqlite-store.js';

const POSTGRES_URL = /^postgres(ql)?:\/\//i;

export async function openStore(options: {
  dataDir: string;
  databaseUrl?: string | undefined;
  schema?: string;
}): Promise<Store> {
  const url = options.databaseUrl;
  let store: Store;
  if (url !== undefined && url !== '') {
    // Any other scheme is a configuration mistake; quietly using SQLite instead would split the data.
    if (!POSTGRES_URL.test(url)) {
      throw new MawjlyError(
        'database_unavailable',
        'DATABASE_URL must start with postgres:// or postgresql:// (leave it unset for the embedded SQLite database)',
      );
    }
    store = new PostgresStore({
      connectionString: url,
      ...(options.schema === undefined ? {} : { schema: options.schema }),
    });
  } else {
    store = new SqliteStore({ dataDir: options.dataDir });
  }
  try {
    await store.migrate();
  } catch (err) {
    await store.close().catch(() => undefined);
    throw err;
  }
  return store;
}
