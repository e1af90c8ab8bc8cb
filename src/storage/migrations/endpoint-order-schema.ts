// Version 4: webhook endpoints list in the order they were created.
//
// Endpoints were listed by (created_at, id); two created in the same millisecond came back in the
// order of their random ids, not of their creation. A store-assigned sequence fixes that order:
// SQLite uses the table's rowid under an explicit name, PostgreSQL an identity column (existing
// rows get numbers in an unspecified order, which is no worse than before).
import type { Migration } from './migration.js';

export const endpointOrderSchema: Migration = {
  version: 4,
  name: 'webhook endpoint creation order',
  sqlite: `
ALTER TABLE webhook_endpoints ADD COLUMN seq INTEGER;
UPDATE webhook_endpoints SET seq = rowid;
`,
  postgres: `
ALTER TABLE webhook_endpoints ADD COLUMN seq BIGINT GENERATED ALWAYS AS IDENTITY;
`,
};
