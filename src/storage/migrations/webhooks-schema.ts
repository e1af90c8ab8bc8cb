// Version 2: webhooks — endpoint configuration, the durable event queue, delivery leases and the
// delivery log (docs/webhooks.md).
//
// Choices worth knowing:
// - Everything hangs off webhook_endpoints with ON DELETE CASCADE, and endpoints off apps: deleting
//   an endpoint or an app drops its queue, its log and its lease.
// - webhook_held keeps channel_vacated / member_removed for their ~3 s hold, with the endpoints they
//   go to (a JSON array, possibly empty: an empty hold still cancels the matching occupied/added).
//   webhook_queue is what is decided and due, per endpoint, in decision order (seq).
// - webhook_dedupe makes an event that several nodes decide (a dead node's members) written once.
// - webhook_leases: one row per endpoint being worked on; the owner node id and an expiry, so a
//   dead node's endpoints are taken over once the lease runs out.
import type { Migration } from './migration.js';

const sqlite = `
CREATE TABLE webhook_endpoints (
  id TEXT PRIMARY KEY,
  app_id TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
  url TEXT NOT NULL,
  event_types TEXT NOT NULL,
  channel_prefix TEXT,
  headers TEXT NOT NULL,
  enabled INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX webhook_endpoints_app_id ON webhook_endpoints(app_id);

CREATE TABLE webhook_held (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  app_id TEXT NOT NULL,
  name TEXT NOT NULL,
  channel TEXT NOT NULL,
  user_id TEXT,
  payload TEXT NOT NULL,
  endpoint_ids TEXT NOT NULL,
  due_at INTEGER NOT NULL
);
CREATE INDEX webhook_held_due_at ON webhook_held(due_at);
CREATE INDEX webhook_held_channel ON webhook_held(app_id, channel);

CREATE TABLE webhook_queue (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  endpoint_id TEXT NOT NULL REFERENCES webhook_endpoints(id) ON DELETE CASCADE,
  channel TEXT NOT NULL,
  name TEXT NOT NULL,
  payload TEXT NOT NULL,
  queued_at INTEGER NOT NULL
);
CREATE INDEX webhook_queue_endpoint ON webhook_queue(endpoint_id, seq);

CREATE TABLE webhook_deliveries (
  id TEXT PRIMARY KEY,
  endpoint_id TEXT NOT NULL REFERENCES webhook_endpoints(id) ON DELETE CASCADE,
  app_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  body TEXT NOT NULL,
  event_names TEXT NOT NULL,
  channels TEXT NOT NULL,
  state TEXT NOT NULL,
  attempts INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  next_attempt_at INTEGER,
  deadline_at INTEGER NOT NULL,
  last_attempt_at INTEGER,
  last_status INTEGER,
  last_error TEXT,
  latency_ms INTEGER,
  delivered_at INTEGER
);
CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries(endpoint_id, created_at);
CREATE INDEX webhook_deliveries_open ON webhook_deliveries(state, endpoint_id, seq);

CREATE TABLE webhook_leases (
  endpoint_id TEXT PRIMARY KEY REFERENCES webhook_endpoints(id) ON DELETE CASCADE,
  owner TEXT NOT NULL,
  expires_at INTEGER NOT NULL
);
CREATE INDEX webhook_leases_owner ON webhook_leases(owner);

CREATE TABLE webhook_dedupe (
  key TEXT PRIMARY KEY,
  created_at INTEGER NOT NULL
);
`;

const postgres = `
CREATE TABLE webhook_endpoints (
  id TEXT PRIMARY KEY,
  app_id TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
  url TEXT NOT NULL,
  event_types JSONB NOT NULL,
  channel_prefix TEXT,
  headers JSONB NOT NULL,
  enabled BOOLEAN NOT NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);
CREATE INDEX webhook_endpoints_app_id ON webhook_endpoints(app_id);

CREATE TABLE webhook_held (
  id BIGSERIAL PRIMARY KEY,
  app_id TEXT NOT NULL,
  name TEXT NOT NULL,
  channel TEXT NOT NULL,
  user_id TEXT,
  payload TEXT NOT NULL,
  endpoint_ids JSONB NOT NULL,
  due_at BIGINT NOT NULL
);
CREATE INDEX webhook_held_due_at ON webhook_held(due_at);
CREATE INDEX webhook_held_channel ON webhook_held(app_id, channel);

CREATE TABLE webhook_queue (
  seq BIGSERIAL PRIMARY KEY,
  endpoint_id TEXT NOT NULL REFERENCES webhook_endpoints(id) ON DELETE CASCADE,
  channel TEXT NOT NULL,
  name TEXT NOT NULL,
  payload TEXT NOT NULL,
  queued_at BIGINT NOT NULL
);
CREATE INDEX webhook_queue_endpoint ON webhook_queue(endpoint_id, seq);

CREATE TABLE webhook_deliveries (
  id TEXT PRIMARY KEY,
  endpoint_id TEXT NOT NULL REFERENCES webhook_endpoints(id) ON DELETE CASCADE,
  app_id TEXT NOT NULL,
  seq BIGINT NOT NULL,
  body TEXT NOT NULL,
  event_names JSONB NOT NULL,
  channels JSONB NOT NULL,
  state TEXT NOT NULL,
  attempts INTEGER NOT NULL,
  created_at BIGINT NOT NULL,
  next_attempt_at BIGINT,
  deadline_at BIGINT NOT NULL,
  last_attempt_at BIGINT,
  last_status INTEGER,
  last_error TEXT,
  latency_ms INTEGER,
  delivered_at BIGINT
);
CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries(endpoint_id, created_at);
CREATE INDEX webhook_deliveries_open ON webhook_deliveries(state, endpoint_id, seq);

CREATE TABLE webhook_leases (
  endpoint_id TEXT PRIMARY KEY REFERENCES webhook_endpoints(id) ON DELETE CASCADE,
  owner TEXT NOT NULL,
  expires_at BIGINT NOT NULL
);
CREATE INDEX webhook_leases_owner ON webhook_leases(owner);

CREATE TABLE webhook_dedupe (
  key TEXT PRIMARY KEY,
  created_at BIGINT NOT NULL
);
`;

export const webhooksSchema: Migration = { version: 2, name: 'webhooks', sqlite, postgres };
