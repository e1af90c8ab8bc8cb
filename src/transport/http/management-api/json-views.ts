// The API's JSON shapes of management records (docs/management-api.md). Secrets appear only where a
// caller passes them explicitly.
import type { PlanLimits } from '../../../core/app.js';
import type { ChannelSummary } from '../../../core/ports/realtime-view.js';
import { maskSecret } from '../../../management/apps.js';
import { planToJson } from '../../../management/plans.js';
import type {
  AccountRecord,
  AppRecord,
  AuditEntry,
  EncryptionKeyRecord,
  TokenRecord,
  UserRecord,
} from '../../../management/store.js';
import { classifyChannel } from '../../../protocol/channel-name.js';

export function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}

export function accountJson(account: AccountRecord, limits: PlanLimits): Record<string, unknown> {
  const { name: _name, ...limitsJson } = planToJson(limits);
  return {
    id: account.id,
    name: account.name,
    plan: account.plan,
    created_at: iso(account.createdAt),
    limits: limitsJson,
  };
}

export function appJson(
  app: AppRecord,
  cluster: string,
  options: { revealSecret?: boolean } = {},
): Record<string, unknown> {
  return {
    id: app.id,
    key: app.key,
    secret: options.revealSecret === true ? app.secret : maskSecret(app.secret),
    name: app.name,
    cluster,
    account: app.accountId,
    created_at: iso(app.createdAt),
    settings: { ...app.settings, allowed_origins: [...app.settings.allowed_origins] },
  };
}

export function tokenJson(token: TokenRecord): Record<string, unknown> {
  return {
    id: token.id,
    name: token.name,
    prefix: token.prefix,
    scopes: [...token.scopes],
    expires_at: iso(token.expiresAt),
    last_used_at: iso(token.lastUsedAt),
    created_at: iso(token.createdAt),
  };
}

export function userJson(user: UserRecord): Record<string, unknown> {
  return { id: user.id, email: user.email, role: user.role, created_at: iso(user.createdAt) };
}

export function keyHistoryJson(key: EncryptionKeyRecord): Record<string, unknown> {
  return {
    fingerprint: key.fingerprint,
    version: key.version,
    created_at: iso(key.createdAt),
    retired_at: iso(key.retiredAt),
    previous_until: iso(key.previousUntil),
    created_by: key.createdBy,
  };
}

export function auditJson(entry: AuditEntry): Record<string, unknown> {
  return {
    id: entry.id,
    time: iso(entry.time),
    actor: entry.actor,
    action: entry.action,
    target: entry.target,
    details: entry.details,
  };
}

export function channelJson(channel: ChannelSummary): Record<string, unknown> {
  const type = classifyChannel(channel.name);
  return {
    name: channel.name,
    type: type.kind,
    cache: type.cache,
    subscription_count: channel.subscriptionCount,
    ...(channel.userCount !== undefined ? { user_count: channel.userCount } : {}),
  };
}
