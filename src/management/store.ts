// The Store port: persistence for the management layer. SQLite (embedded default) and PostgreSQL
// implement it in src/storage/, and both pass the one contract suite in test/contracts/.
// Ids are strings. Times are epoch milliseconds. No method ever receives an encryption key.
import type { StatsStore } from './stats-store.js';
import type { PlanName } from '../core/app.js';
import type { WebhookStore } from '../core/ports/webhook-store.js';

export type Role = 'owner' | 'admin' | 'developer' | 'viewer';
export const ROLES: readonly Role[] = ['owner', 'admin', 'developer', 'viewer'];

export interface AccountRecord {
  readonly id: string;
  readonly name: string;
  readonly plan: PlanName;
  readonly createdAt: number;
}

export interface UserRecord {
  readonly id: string;
  readonly accountId: string;
  readonly email: string;
  /** Memory-hard KDF output in a self-describing format (e.g. `scrypt$N$r$p$salt$hash`). */
  readonly passwordHash: string;
  readonly role: Role;
  readonly createdAt: number;
}

/** App settings as stored (snake_case keys, the API's shape). */
export interface StoredAppSettings {
  readonly enabled: boolean;
  readonly client_events: boolean;
  /** Absent in records written before the setting existed: read as false. */
  readonly encrypted_client_events?: boolean;
  readonly user_authentication: boolean;
  readonly subscription_count: boolean;
  readonly authorized_connections: boolean;
  readonly allowed_origins: readonly string[];
  /** Channel history (issue 11 §3); absent in records written before it existed (= off). */
  readonly history?: StoredHistorySettings | null;
}

export interface StoredHistorySettings {
  readonly max_events: number;
  readonly max_age_seconds: number;
}

export interface AppRecord {
  /** Numeric string, e.g. "6855671". */
  readonly id: string;
  readonly accountId: string;
  readonly name: string;
  readonly key: string;
  readonly secret: string;
  /** The secret before the last rotation, valid until `previousSecretValidUntil`. */
  readonly previousSecret: string | null;
  readonly previousSecretValidUntil: number | null;
  readonly settings: StoredAppSettings;
  readonly createdAt: number;
}

export interface TokenRecord {
  readonly id: string;
  readonly accountId: string;
  readonly name: string;
  /** The token's visible prefix (e.g. `mjly_ab12cd`), for lists. */
  readonly prefix: string;
  /** SHA-256 hex of the whole token; the token itself is never stored. */
  readonly hash: string;
  readonly scopes: readonly string[];
  readonly createdBy: string | null;
  readonly expiresAt: number | null;
  readonly lastUsedAt: number | null;
  readonly createdAt: number;
}

export interface EncryptionKeyRecord {
  readonly id: string;
  readonly appId: string;
  readonly version: number;
  readonly fingerprint: string;
  readonly createdAt: number;
  readonly createdBy: string;
  readonly retiredAt: number | null;
  /** A rotated-away key stays "previous" until this time (rotation window); null = no window. */
  readonly previousUntil: number | null;
}

/** A key to record; `previousUntil` opens a rotation window for the key it replaces. */
export type NewEncryptionKey = Omit<EncryptionKeyRecord, 'id' | 'retiredAt' | 'previousUntil'> & {
  readonly previousUntil?: number | undefined;
};

export interface AuditEntry {
  readonly id: string;
  readonly accountId: string;
  readonly time: number;
  /** Who: `user:<email>`, `token:<prefix>`, `cli`, `system`. */
  readonly actor: string;
  readonly action: string;
  readonly target: string | null;
  /** Never a secret, a token or a key. */
  readonly details: Readonly<Record<string, unknown>>;
}

export interface SessionRecord {
  /** SHA-256 hex of the session cookie value. */
  readonly idHash: string;
  readonly userId: string;
  readonly csrfToken: string;
  readonly expiresAt: number;
  readonly createdAt: number;
}

export type NewAuditEntry = Omit<AuditEntry, 'id'>;

/** Accounts, their users (team members) and dashboard sessions. */
export interface AccountStore {
  createAccount(input: { name: string; plan: PlanName }): Promise<AccountRecord>;
  findAccount(id: string): Promise<AccountRecord | undefined>;
  findAccountByName(name: string): Promise<AccountRecord | undefined>;
  listAccounts(): Promise<AccountRecord[]>;
  setAccountPlan(id: string, plan: PlanName): Promise<AccountRecord>;

  createUser(input: Omit<UserRecord, 'id' | 'createdAt'>): Promise<UserRecord>;
  findUser(id: string): Promise<UserRecord | undefined>;
  findUserByEmail(email: string): Promise<UserRecord | undefined>;
  listUsers(accountId: string): Promise<UserRecord[]>;
  updateUserRole(id: string, role: Role): Promise<UserRecord>;
  deleteUser(id: string): Promise<void>;

  createSession(session: SessionRecord): Promise<void>;
  findSession(idHash: string): Promise<SessionRecord | undefined>;
  deleteSession(idHash: string): Promise<void>;
}

export interface AppStore {
  /** `id`, `key` and `secret` are chosen by the caller (CSPRNG values, or an apps file). Unique: id, key. */
  createApp(input: Omit<AppRecord, 'createdAt'>): Promise<AppRecord>;
  findApp(id: string): Promise<AppRecord | undefined>;
  findAppByKey(key: string): Promise<AppRecord | undefined>;
  listApps(accountId?: string): Promise<AppRecord[]>;
  updateApp(id: string, patch: Partial<Omit<AppRecord, 'id' | 'createdAt'>>): Promise<AppRecord>;
  deleteApp(id: string): Promise<void>;
}

export interface TokenStore {
  createToken(input: Omit<TokenRecord, 'id' | 'createdAt' | 'lastUsedAt'>): Promise<TokenRecord>;
  findTokenByHash(hash: string): Promise<TokenRecord | undefined>;
  listTokens(accountId: string): Promise<TokenRecord[]>;
  touchToken(id: string, at: number): Promise<void>;
  deleteToken(id: string): Promise<void>;
}

export interface EncryptionKeyStore {
  /** The active (not retired) key of an app, if any. */
  findActiveEncryptionKey(appId: string): Promise<EncryptionKeyRecord | undefined>;
  /** Every key record of an app, newest first. */
  listEncryptionKeys(appId: string): Promise<EncryptionKeyRecord[]>;
  /**
   * Retires the active key (if any) and inserts the new one in one transaction; the retired key
   * stays previous until `input.previousUntil` (when given), and any older window ends.
   */
  insertEncryptionKey(input: NewEncryptionKey): Promise<EncryptionKeyRecord>;
  /** Retires the active key and ends any rotation window. */
  retireEncryptionKey(appId: string, at: number): Promise<void>;
  /** Ends an open rotation window at `at` (previous_until > at becomes at). */
  endEncryptionKeyWindow(appId: string, at: number): Promise<void>;
}

export interface AuditLogStore {
  appendAudit(entry: NewAuditEntry): Promise<AuditEntry>;
  /** Newest first; `before` is an entry id for paging. */
  listAudit(accountId: string, options?: { limit?: number; before?: string }): Promise<AuditEntry[]>;
}

export interface UsageStore {
  /** Adds to an account's message count of a UTC day (`YYYY-MM-DD`) and returns the new total. */
  addUsage(accountId: string, day: string, messages: number): Promise<number>;
  getUsage(accountId: string, day: string): Promise<number>;
  /** Daily totals in a range of days, inclusive. */
  listUsage(accountId: string, fromDay: string, toDay: string): Promise<{ day: string; messages: number }[]>;
}

/**
 * The whole store: one part per concern (each consumer depends on the part it uses), and the
 * lifecycle of the database they share.
 */
export interface Store {
  readonly accounts: AccountStore;
  readonly apps: AppStore;
  readonly tokens: TokenStore;
  readonly encryptionKeys: EncryptionKeyStore;
  readonly auditLog: AuditLogStore;
  readonly usage: UsageStore;
  /** Webhook endpoints, queue, leases and delivery log (same database, its own port). */
  readonly webhooks: WebhookStore;
  /** Usage history per app (minute and hour buckets, per node). */
  readonly stats: StatsStore;
  /** Runs pending migrations (versioned, idempotent). Called once at start. */
  migrate(): Promise<void>;
  /** Also stops every `watchChanges` watch. */
  close(): Promise<void>;

  /**
   * Watches for changes committed by other processes or connections (the `mawjly` CLI, other nodes)
   * so that caches of app and account records can re-read at once. `onChange` carries no detail and
   * may fire for unrelated writes or when changes could have been missed (e.g. after a lost
   * connection); this store's own writes need not be reported. Resolves once the watch is active;
   * the returned function stops it.
   */
  watchChanges(onChange: () => void): Promise<() => void>;
}
