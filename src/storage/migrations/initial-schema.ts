// Version 1: every table of the management layer.
//
// Choices worth knowing:
// - Times are epoch milliseconds (INTEGER / BIGINT); ids are TEXT (UUIDs, or the caller's app id).
// - Emails are stored lowercased by the stores, so the plain UNIQUE is case-insensitive in effect.
// - encryption_keys rows hold only metadata (never key material). They are deleted with their app
//   (ON DELETE CASCADE): without the app they describe nothing, and the audit log keeps the history
//   of key events. A partial unique index allows at most one active (not retired) key per app.
// - audit_log and usage_days have no foreign key to accounts: they are written on hot or
//   must-not-fail paths (metering flushes, audit of any action) and outlive whatever they refer to.
//   audit_log is append-only, enforced by triggers; its integer id gives newest-first paging.
// - sessions are deleted with their user.
import type { Migration } from './migration.js';

const sqlite = `
CREATE TABLE accounts (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  plan TEXT NOT NULL,
  created_at INTEGER NOT NULL
);

CREATE TABLE users (
  id TEXT PRIMARY KEY,
  account_id TEXT NOT NULL REFERENCES accounts(id),
  email TEXT NOT NULL UNIQUE,
  password_hash TEXT NOT NULL,
  role TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE INDEX users_account_id ON users(account_id);

CREATE TABLE apps (
  id TEXT PRIMARY KEY,
  account_id TEXT NOT NULL REFERENCES accounts(id),
  name TEXT NOT NULL,
  key TEXT NOT NULL UNIQUE,
  secret TEXT NOT NULL,
  previous_secret TEXT,
  previous_secret_valid_until INTEGER,
  settings TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE INDEX apps_account_id ON apps(account_id);

CREATE TABLE api_tokens (
  id TEXT PRIMARY KEY,
  account_id TEXT NOT NULL REFERENCES accounts(id),
  name TEXT NOT NULL,
  prefix TEXT NOT NULL,
  hash TEXT NOT NULL UNIQUE,
  scopes TEXT NOT NULL,
  created_by TEXT,
  expires_at INTEGER,
  last_used_at INTEGER,
  created_at INTEGER NOT NULL
);
CREATE INDEX api_tokens_account_id ON api_tokens(account_id);

CREATE TABLE encryption_keys (
  id TEXT PRIMARY KEY,
  app_id TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
  version INTEGER NOT NULL,
  fingerprint TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  created_by TEXT NOT NULL,
  retired_at INTEGER,
  UNIQUE (app_id, version)
);
CREATE UNIQUE INDEX encryption_keys_one_active ON encryption_keys(app_id) WHERE retired_at IS NULL;

CREATE TABLE audit_log (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  account_id TEXT NOT NULL,
  time INTEGER NOT NULL,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  target TEXT,
  details TEXT NOT NULL
);
CREATE INDEX audit_log_account_id ON audit_log(account_id, id);
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;

CREATE TABLE usage_days (
  account_id TEXT NOT NULL,
  day TEXT NOT NULL,
  messages INTEGER NOT NULL,
  PRIMARY KEY (account_id, day)
);

CREATE TABLE sessions (
  id_hash TEXT PRIMARY KEY,
  user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  csrf_token TEXT NOT NULL,
  expires_at INTEGER NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE INDEX sessions_user_id ON sessions(user_id);
`;

const postgres = `
CREATE TABLE accounts (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  plan TEXT NOT NULL,
  created_at BIGINT NOT NULL
);

CREATE TABLE users (
  id TEXT PRIMARY KEY,
  account_id TEXT NOT NULL REFERENCES accounts(id),
  email TEXT NOT NULL UNIQUE,
  password_hash TEXT NOT NULL,
  role TEXT NOT NULL,
  created_at BIGINT NOT NULL
);
CREATE INDEX users_account_id ON users(account_id);

CREATE TABLE apps (
  id TEXT PRIMARY KEY,
  account_id TEXT NOT NULL REFERENCES accounts(id),
  name TEXT NOT NULL,
  key TEXT NOT NULL UNIQUE,
  secret TEXT NOT NULL,
  previous_secret TEXT,
  previous_secret_valid_until BIGINT,
  settings JSONB NOT NULL,
  created_at BIGINT NOT NULL
);
CREATE INDEX apps_account_id ON apps(account_id);

CREATE TABLE api_tokens (
  id TEXT PRIMARY KEY,
  account_id TEXT NOT NULL REFERENCES accounts(id),
  name TEXT NOT NULL,
  prefix TEXT NOT NULL,
  hash TEXT NOT NULL UNIQUE,
  scopes JSONB NOT NULL,
  created_by TEXT,
  expires_at BIGINT,
  last_used_at BIGINT,
  created_at BIGINT NOT NULL
);
CREATE INDEX api_tokens_account_id ON api_tokens(account_id);

CREATE TABLE encryption_keys (
  id TEXT PRIMARY KEY,
  app_id TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
  version INTEGER NOT NULL,
  fingerprint TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  created_by TEXT NOT NULL,
  retired_at BIGINT,
  UNIQUE (app_id, version)
);
CREATE UNIQUE INDEX encryption_keys_one_active ON encryption_keys(app_id) WHERE retired_at IS NULL;

CREATE TABLE audit_log (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  account_id TEXT NOT NULL,
  time BIGINT NOT NULL,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  target TEXT,
  details JSONB NOT NULL
);
CREATE INDEX audit_log_account_id ON audit_log(account_id, id);
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  RAISE EXCEPTION 'audit_log is append-only';
END
$fn$;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();

CREATE TABLE usage_days (
  account_id TEXT NOT NULL,
  day TEXT NOT NULL,
  messages BIGINT NOT NULL,
  PRIMARY KEY (account_id, day)
);

CREATE TABLE sessions (
  id_hash TEXT PRIMARY KEY,
  user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  csrf_token TEXT NOT NULL,
  expires_at BIGINT NOT NULL,
  created_at BIGINT NOT NULL
);
CREATE INDEX sessions_user_id ON sessions(user_id);
`;

export const initialSchema: Migration = { version: 1, name: 'initial schema', sqlite, postgres };
