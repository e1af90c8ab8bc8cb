// The JSON shapes of management records, shared by the management API and the `mawjly` command's
// --json output (docs/management-api.md). Secrets appear only where a caller passes them explicitly.
import type { PlanLimits } from '../core/app.js';
import type { ChannelSummary } from '../core/ports/realtime-view.js';
import type { WebhookDeliveryCounts, WebhookEndpointRecord } from '../core/ports/webhook-store.js';
import { maskSecret } from './apps.js';
import { planToJson } from './plans.js';
import type {
  AccountRecord,
  AppRecord,
  AuditEntry,
  EncryptionKeyRecord,
  TokenRecord,
  UserRecord,
} from './store.js';
import { classifyChannel } from '../protocol/channel-name.js';

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
    settings: {
      ...app.settings,
      encrypted_client_events: app.settings.encrypted_client_events ?? false,
      allowed_origins: [...app.settings.allowed_origins],
      history: app.settings.history ?? null,
    },
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

const NO_COUNTS: WebhookDeliveryCounts = { pending: 0, retrying: 0, dead: 0 };

/** Header values may be a receiver's credentials: responses show only their last 4 characters. */
function maskHeader(value: string): string {
  return value.length <= 4 ? '••••' : `••••${value.slice(-4)}`;
}

export function webhookJson(
  endpoint: WebhookEndpointRecord,
  counts: WebhookDeliveryCounts = NO_COUNTS,
): Record<string, unknown> {
  return {
    id: endpoint.id,
    app_id: endpoint.appId,
    url: endpoint.url,
    event_types: endpoint.eventTypes,
    channel_prefix: endpoint.channelPrefix,
    headers: Object.fromEntries(Object.entries(endpoint.headers).map(([k, v]) => [k, maskHeader(v)])),
    enabled: endpoint.enabled,
    created_at: iso(endpoint.createdAt),
    updated_at: iso(endpoint.updatedAt),
    deliveries: { pending: counts.pending, retrying: counts.retrying, dead: counts.dead },
    failing: counts.retrying > 0 || counts.dead > 0,
  };
}
