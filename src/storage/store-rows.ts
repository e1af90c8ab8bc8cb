// Row → record mapping shared by the SQLite and PostgreSQL stores. Both read snake_case columns;
// they differ only in how values arrive: SQLite gives JSON columns as text and integers as numbers,
// pg gives jsonb already parsed and BIGINT as decimal strings (to avoid precision loss; epoch ms
// and message counts are far below 2^53, so Number() is exact here).
import type { PlanName } from '../core/app.js';
import type {
  AccountRecord,
  AppRecord,
  AuditEntry,
  EncryptionKeyRecord,
  Role,
  SessionRecord,
  StoredAppSettings,
  TokenRecord,
  UserRecord,
} from '../management/store.js';

export type Row = Readonly<Record<string, unknown>>;

/** The row of an `INSERT … RETURNING`, which always has one. */
export function returned(row: Row | undefined): Row {
  if (row === undefined) throw new Error('INSERT … RETURNING returned no row');
  return row;
}

function text(row: Row, column: string): string {
  const value = row[column];
  if (typeof value !== 'string') throw new Error(`Column ${column} is not text`);
  return value;
}

function textOrNull(row: Row, column: string): string | null {
  return row[column] === null ? null : text(row, column);
}

export function integer(row: Row, column: string): number {
  const value = row[column];
  if (typeof value === 'number') return value;
  if (typeof value === 'string' || typeof value === 'bigint') return Number(value);
  throw new Error(`Column ${column} is not an integer`);
}

function integerOrNull(row: Row, column: string): number | null {
  return row[column] === null ? null : integer(row, column);
}

/** Our JSON columns always hold an object or an array, so a string is the text encoding (SQLite). */
function json(row: Row, column: string): unknown {
  const value = row[column];
  return typeof value === 'string' ? (JSON.parse(value) as unknown) : value;
}

export function toAccount(row: Row): AccountRecord {
  return {
    id: text(row, 'id'),
    name: text(row, 'name'),
    plan: text(row, 'plan') as PlanName,
    createdAt: integer(row, 'created_at'),
  };
}

export function toUser(row: Row): UserRecord {
  return {
    id: text(row, 'id'),
    accountId: text(row, 'account_id'),
    email: text(row, 'email'),
    passwordHash: text(row, 'password_hash'),
    role: text(row, 'role') as Role,
    createdAt: integer(row, 'created_at'),
  };
}

export function toApp(row: Row): AppRecord {
  return {
    id: text(row, 'id'),
    accountId: text(row, 'account_id'),
    name: text(row, 'name'),
    key: text(row, 'key'),
    secret: text(row, 'secret'),
    previousSecret: textOrNull(row, 'previous_secret'),
    previousSecretValidUntil: integerOrNull(row, 'previous_secret_valid_until'),
    settings: json(row, 'settings') as StoredAppSettings,
    createdAt: integer(row, 'created_at'),
  };
}

export function toToken(row: Row): TokenRecord {
  return {
    id: text(row, 'id'),
    accountId: text(row, 'account_id'),
    name: text(row, 'name'),
    prefix: text(row, 'prefix'),
    hash: text(row, 'hash'),
    scopes: json(row, 'scopes') as string[],
    createdBy: textOrNull(row, 'created_by'),
    expiresAt: integerOrNull(row, 'expires_at'),
    lastUsedAt: integerOrNull(row, 'last_used_at'),
    createdAt: integer(row, 'created_at'),
  };
}

export function toEncryptionKey(row: Row): EncryptionKeyRecord {
  return {
    id: text(row, 'id'),
    appId: text(row, 'app_id'),
    version: integer(row, 'version'),
    fingerprint: text(row, 'fingerprint'),
    createdAt: integer(row, 'created_at'),
    createdBy: text(row, 'created_by'),
    retiredAt: integerOrNull(row, 'retired_at'),
    previousUntil: integerOrNull(row, 'previous_until'),
  };
}

export function toAuditEntry(row: Row): AuditEntry {
  return {
    id: String(integer(row, 'id')),
    accountId: text(row, 'account_id'),
    time: integer(row, 'time'),
    actor: text(row, 'actor'),
    action: text(row, 'action'),
    target: textOrNull(row, 'target'),
    details: json(row, 'details') as Record<string, unknown>,
  };
}

export function toSession(row: Row): SessionRecord {
  return {
    idHash: text(row, 'id_hash'),
    userId: text(row, 'user_id'),
    csrfToken: text(row, 'csrf_token'),
    expiresAt: integer(row, 'expires_at'),
    createdAt: integer(row, 'created_at'),
  };
}
