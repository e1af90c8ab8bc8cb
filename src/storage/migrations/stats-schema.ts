// Version 3: usage history per app (docs/dashboard.md, `GET /api/v1/apps/{id}/stats`).
//
// Choices worth knowing:
// - One row per (app, resolution, bucket, node): each node adds only to its own rows, with an atomic
//   upsert, so nodes never contend; a read sums the node rows of a bucket into the cluster total.
// - `resolution` is 'minute' (bucket = start of the UTC minute, epoch ms) or 'hour'. A flush writes
//   the minute row and its hour row in the same transaction (the roll-up happens at write time), so
//   pruning minute rows after a day loses nothing; hour rows are pruned after 90 days.
// - Connections: each node records its own peak and the sum and count of its samples in the bucket;
//   the cluster's peak of a bucket is the sum of the nodes' peaks (an upper bound: nodes may peak at
//   different moments of the minute), its average the sum of the nodes' averages.
// - No foreign key to apps: a flush must not fail because an app was deleted meanwhile; the rows of
//   a deleted app age out with the rest.
import type { Migration } from './migration.js';

const columns = (bigint: string): string => `
  app_id TEXT NOT NULL,
  resolution TEXT NOT NULL,
  bucket ${bigint} NOT NULL,
  node_id TEXT NOT NULL,
  connections_peak ${bigint} NOT NULL,
  connections_sum ${bigint} NOT NULL,
  connections_samples ${bigint} NOT NULL,
  messages ${bigint} NOT NULL,
  api_calls ${bigint} NOT NULL,
  webhook_deliveries ${bigint} NOT NULL,
  PRIMARY KEY (app_id, resolution, bucket, node_id)`;

export const statsSchema: Migration = {
  version: 3,
  name: 'usage history',
  sqlite: `
CREATE TABLE app_stats (${columns('INTEGER')}
);
CREATE INDEX app_stats_age ON app_stats(resolution, bucket);
`,
  postgres: `
CREATE TABLE app_stats (${columns('BIGINT')}
);
CREATE INDEX app_stats_age ON app_stats(resolution, bucket);
`,
};
