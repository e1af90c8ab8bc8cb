// Both stores keep their SQL in one module per concern (accounts, apps, tokens, …) so that no file
// grows past a readable size; this class is the part they share: it answers the Store port by
// handing each call to the module that owns it. Lifecycle (migrate, close, watchChanges) differs
// per database and stays with the subclass.
import type { PlanName } from '../core/app.js';
import type { WebhookStore } from '../core/ports/webhook-store.js';
import type {
  AccountRecord,
  AppRecord,
  AuditEntry,
  EncryptionKeyRecord,
  NewEncryptionKey,
  NewAuditEntry,
  Role,
  SessionRecord,
  Store,
  TokenRecord,
  UserRecord,
} from '../management/store.js';
import type { StatsStore } from '../management/stats-store.js';
import type { AppPatch } from './store-input.js';

/** The slices of the port, one per concern module. */
export type AccountsPart = Pick<
  Store,
  | 'createAccount'
  | 'findAccount'
  | 'findAccountByName'
  | 'listAccounts'
  | 'setAccountPlan'
  | 'createUser'
  | 'findUser'
  | 'findUserByEmail'
  | 'listUsers'
  | 'updateUserRole'
  | 'deleteUser'
  | 'createSession'
  | 'findSession'
  | 'deleteSession'
>;
export type AppsPart = Pick<
  Store,
  'createApp' | 'findApp' | 'findAppByKey' | 'listApps' | 'updateApp' | 'deleteApp'
>;
export type TokensPart = Pick<
  Store,
  'createToken' | 'findTokenByHash' | 'listTokens' | 'touchToken' | 'deleteToken'
>;
export type EncryptionKeysPart = Pick<
  Store,
  | 'findActiveEncryptionKey'
  | 'listEncryptionKeys'
  | 'insertEncryptionKey'
  | 'retireEncryptionKey'
  | 'endEncryptionKeyWindow'
>;
export type AuditLogPart = Pick<Store, 'appendAudit' | 'listAudit'>;
export type UsagePart = Pick<Store, 'addUsage' | 'getUsage' | 'listUsage'>;

export interface StoreParts {
  readonly accounts: AccountsPart;
  readonly apps: AppsPart;
  readonly tokens: TokensPart;
  readonly encryptionKeys: EncryptionKeysPart;
  readonly auditLog: AuditLogPart;
  readonly usage: UsagePart;
}

export abstract class CompositeStore implements Store {
  private readonly parts: StoreParts;

  protected constructor(parts: StoreParts) {
    this.parts = parts;
  }

  abstract readonly webhooks: WebhookStore;
  abstract readonly stats: StatsStore;
  abstract migrate(): Promise<void>;
  abstract close(): Promise<void>;
  abstract watchChanges(onChange: () => void): Promise<() => void>;

  createAccount(input: { name: string; plan: PlanName }): Promise<AccountRecord> {
    return this.parts.accounts.createAccount(input);
  }

  findAccount(id: string): Promise<AccountRecord | undefined> {
    return this.parts.accounts.findAccount(id);
  }

  findAccountByName(name: string): Promise<AccountRecord | undefined> {
    return this.parts.accounts.findAccountByName(name);
  }

  listAccounts(): Promise<AccountRecord[]> {
    return this.parts.accounts.listAccounts();
  }

  setAccountPlan(id: string, plan: PlanName): Promise<AccountRecord> {
    return this.parts.accounts.setAccountPlan(id, plan);
  }

  createUser(input: Omit<UserRecord, 'id' | 'createdAt'>): Promise<UserRecord> {
    return this.parts.accounts.createUser(input);
  }

  findUser(id: string): Promise<UserRecord | undefined> {
    return this.parts.accounts.findUser(id);
  }

  findUserByEmail(email: string): Promise<UserRecord | undefined> {
    return this.parts.accounts.findUserByEmail(email);
  }

  listUsers(accountId: string): Promise<UserRecord[]> {
    return this.parts.accounts.listUsers(accountId);
  }

  updateUserRole(id: string, role: Role): Promise<UserRecord> {
    return this.parts.accounts.updateUserRole(id, role);
  }

  deleteUser(id: string): Promise<void> {
    return this.parts.accounts.deleteUser(id);
  }

  createSession(session: SessionRecord): Promise<void> {
    return this.parts.accounts.createSession(session);
  }

  findSession(idHash: string): Promise<SessionRecord | undefined> {
    return this.parts.accounts.findSession(idHash);
  }

  deleteSession(idHash: string): Promise<void> {
    return this.parts.accounts.deleteSession(idHash);
  }

  createApp(input: Omit<AppRecord, 'createdAt'>): Promise<AppRecord> {
    return this.parts.apps.createApp(input);
  }

  findApp(id: string): Promise<AppRecord | undefined> {
    return this.parts.apps.findApp(id);
  }

  findAppByKey(key: string): Promise<AppRecord | undefined> {
    return this.parts.apps.findAppByKey(key);
  }

  listApps(accountId?: string): Promise<AppRecord[]> {
    return this.parts.apps.listApps(accountId);
  }

  updateApp(id: string, patch: AppPatch): Promise<AppRecord> {
    return this.parts.apps.updateApp(id, patch);
  }

  deleteApp(id: string): Promise<void> {
    return this.parts.apps.deleteApp(id);
  }

  createToken(input: Omit<TokenRecord, 'id' | 'createdAt' | 'lastUsedAt'>): Promise<TokenRecord> {
    return this.parts.tokens.createToken(input);
  }

  findTokenByHash(hash: string): Promise<TokenRecord | undefined> {
    return this.parts.tokens.findTokenByHash(hash);
  }

  listTokens(accountId: string): Promise<TokenRecord[]> {
    return this.parts.tokens.listTokens(accountId);
  }

  touchToken(id: string, at: number): Promise<void> {
    return this.parts.tokens.touchToken(id, at);
  }

  deleteToken(id: string): Promise<void> {
    return this.parts.tokens.deleteToken(id);
  }

  findActiveEncryptionKey(appId: string): Promise<EncryptionKeyRecord | undefined> {
    return this.parts.encryptionKeys.findActiveEncryptionKey(appId);
  }

  listEncryptionKeys(appId: string): Promise<EncryptionKeyRecord[]> {
    return this.parts.encryptionKeys.listEncryptionKeys(appId);
  }

  insertEncryptionKey(input: NewEncryptionKey): Promise<EncryptionKeyRecord> {
    return this.parts.encryptionKeys.insertEncryptionKey(input);
  }

  retireEncryptionKey(appId: string, at: number): Promise<void> {
    return this.parts.encryptionKeys.retireEncryptionKey(appId, at);
  }

  endEncryptionKeyWindow(appId: string, at: number): Promise<void> {
    return this.parts.encryptionKeys.endEncryptionKeyWindow(appId, at);
  }

  appendAudit(entry: NewAuditEntry): Promise<AuditEntry> {
    return this.parts.auditLog.appendAudit(entry);
  }

  listAudit(accountId: string, options?: { limit?: number; before?: string }): Promise<AuditEntry[]> {
    return this.parts.auditLog.listAudit(accountId, options);
  }

  addUsage(accountId: string, day: string, messages: number): Promise<number> {
    return this.parts.usage.addUsage(accountId, day, messages);
  }

  getUsage(accountId: string, day: string): Promise<number> {
    return this.parts.usage.getUsage(accountId, day);
  }

  listUsage(accountId: string, fromDay: string, toDay: string): Promise<{ day: string; messages: number }[]> {
    return this.parts.usage.listUsage(accountId, fromDay, toDay);
  }
}
