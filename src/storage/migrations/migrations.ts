// The ordered list of schema migrations. Each has a version (strictly increasing, never reused or
// edited once released) and the SQL for both dialects; the stores record applied versions in
// `schema_migrations` and run only the pending ones. Add new migrations at the end of the list.
import { initialSchema } from './initial-schema.js';
import { statsSchema } from './stats-schema.js';
import { webhooksSchema } from './webhooks-schema.js';
import { endpointOrderSchema } from './endpoint-order-schema.js';
import { rotationSchema } from './rotation-schema.js';

import type { Migration } from './migration.js';

export type { Migration } from './migration.js';

export const MIGRATIONS: readonly Migration[] = [
  initialSchema,
  webhooksSchema,
  statsSchema,
  endpointOrderSchema,
  rotationSchema,
];

/** Throws when versions are not strictly increasing positive integers (a programming error). */
export function checkMigrations(migrations: readonly Migration[]): void {
  let last = 0;
  for (const m of migrations) {
    if (!Number.isSafeInteger(m.version) || m.version <= last) {
      throw new Error(`Migration versions must be strictly increasing integers: ${m.version} after ${last}`);
    }
    last = m.version;
  }
}

/** The migrations not yet in `applied`, in order. */
export function pendingMigrations(
  migrations: readonly Migration[],
  applied: ReadonlySet<number>,
): readonly Migration[] {
  checkMigrations(migrations);
  return migrations.filter((m) => !applied.has(m.version));
}
