// Version 5: lossless key rotation and visible decryption failures (issue 11 §2).
//
// - `encryption_keys.previous_until`: when a rotation opens a window, the key it replaces stays
//   "previous" until this time (epoch ms; NULL = no window). Only the fingerprint is stored, as
//   before: the key itself never reaches the store. "Finish rotation" sets it to the finishing time.
// - `app_stats.decryption_failures` / `decryption_failed_clients`: what client helpers reported over
//   their sockets (`mawjly:decryption_failures`): events they could not decrypt, and connections
//   that reported (each counted at most once an hour). Counts only, never content.
import type { Migration } from './migration.js';

export const rotationSchema: Migration = {
  version: 5,
  name: 'key rotation window and decryption failure counts',
  sqlite: `
ALTER TABLE encryption_keys ADD COLUMN previous_until INTEGER;
ALTER TABLE app_stats ADD COLUMN decryption_failures INTEGER NOT NULL DEFAULT 0;
ALTER TABLE app_stats ADD COLUMN decryption_failed_clients INTEGER NOT NULL DEFAULT 0;
`,
  postgres: `
ALTER TABLE encryption_keys ADD COLUMN previous_until BIGINT;
ALTER TABLE app_stats ADD COLUMN decryption_failures BIGINT NOT NULL DEFAULT 0;
ALTER TABLE app_stats ADD COLUMN decryption_failed_clients BIGINT NOT NULL DEFAULT 0;
`,
};
