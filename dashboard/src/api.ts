// The dashboard's only way to the server: the management API (docs/management-api.md), with the
// session cookie and the CSRF token header on every mutation.
export type Role = 'owner' | 'admin' | 'developer' | 'viewer';

export interface AppSettings {
  enabled: boolean;
  client_events: boolean;
  encrypted_client_events: boolean;
  user_authentication: boolean;
  subscription_count: boolean;
  authorized_connections: boolean;
  allowed_origins: string[];
  /** Channel history (docs/history.md): null when off. */
  history?: HistorySettings | null;
}

export interface HistorySettings {
  max_events: number;
  max_age_seconds: number;
}

export interface App {
  id: string;
  key: string;
  secret: string;
  name: string;
  cluster: string;
  account: string;
  created_at: string | number;
  settings: AppSettings;
}

export interface SessionInfo {
  user: { id: string; email: string; role?: Role };
  account: { id: string; name: string; plan: string };
  role: Role;
  csrf_token: string;
}

export interface Account {
  id: string;
  name: string;
  plan: string;
  created_at: string | number;
  limits: Record<string, number | boolean | null>;
}

export interface Plan {
  name: string;
  max_connections: number | null;
  max_messages_per_day: number | null;
  max_apps: number | null;
  max_presence_members: number | null;
  max_webhook_endpoints: number | null;
  client_events: boolean;
  encrypted_channels: boolean;
  /** The most an app may keep per channel; null when the plan has no history. */
  history?: HistorySettings | null;
}

export interface Usage {
  day: string;
  messages: number;
  message_quota: number | null;
  connections: number;
  connection_quota: number | null;
  warnings: unknown[];
}

/** One bucket of `GET /apps/{id}/stats` (cluster-wide). */
export interface StatsPoint {
  t: string;
  connections_peak: number;
  connections_avg: number;
  messages: number;
  api_calls: number;
  webhook_deliveries: number;
  decryption_failures: number;
  decryption_failed_clients: number;
}

export interface Stats {
  resolution: 'minute' | 'hour';
  step_seconds: number;
  from: string;
  to: string;
  limits: { connections: number | null; messages_per_day: number | null };
  points: StatsPoint[];
  /** Client-reported decryption failures of the last 60 minutes (whatever the range asked). */
  decryption_failures_last_hour: { clients: number; failures: number };
}

export interface KeyHistoryEntry {
  fingerprint: string;
  version: number;
  created_at: string | number;
  retired_at: string | number | null;
  created_by: string;
}

export interface EncryptionKeyStatus {
  status: 'none' | 'active';
  fingerprint?: string | null;
  version?: number | null;
  created_at?: string | number | null;
  created_by?: string | null;
  /** The key a rotation replaced, while its window is open. */
  previous?: { fingerprint: string; version: number; until: string } | null;
  history: KeyHistoryEntry[];
}

export interface NewEncryptionKey {
  key_base64: string;
  fingerprint: string;
  version: number;
  created_at: string | number;
  previous_fingerprint?: string;
}

export interface ChannelInfo {
  name: string;
  type?: string;
  subscription_count?: number;
  user_count?: number;
}

export interface Token {
  id: string;
  name: string;
  prefix: string;
  scopes: string[];
  expires_at: string | number | null;
  last_used_at: string | number | null;
  created_at: string | number;
}

export interface Member {
  id: string;
  email: string;
  role: Role;
  created_at: string | number;
}

export interface AuditEntry {
  id: string;
  time: string | number;
  actor: string;
  action: string;
  target: string | null;
  details: Record<string, unknown>;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const BASE = '/api/v1';
let csrfToken = '';
let onUnauthorized: (() => void) | undefined;

export function setCsrfToken(token: string): void {
  csrfToken = token;
}

export function setUnauthorizedHandler(handler: () => void): void {
  onUnauthorized = handler;
}

export async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET' && csrfToken) headers['X-CSRF-Token'] = csrfToken;
  let res: Response;
  try {
    res = await fetch(BASE + path, {
      method,
      headers,
      credentials: 'same-origin',
      cache: 'no-store',
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  } catch {
    throw new ApiError(0, 'network_error', 'Cannot reach the Mawjly server; check your connection and retry');
  }
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  let parsed: unknown = undefined;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    // A non-JSON body (a proxy's error page) is reported by status below.
  }
  if (!res.ok) {
    const err = (parsed as { error?: { code?: string; message?: string } } | undefined)?.error;
    const apiError = new ApiError(
      res.status,
      err?.code ?? 'http_' + String(res.status),
      err?.message ?? `The server answered ${res.status} ${res.statusText}`,
    );
    if (res.status === 401 && path !== '/session') onUnauthorized?.();
    throw apiError;
  }
  return parsed as T;
}

const enc = encodeURIComponent;

export const api = {
  signIn: (email: string, password: string) =>
    request<{ user: SessionInfo['user']; csrf_token: string }>('POST', '/session', { email, password }),
  /** The signed-in session, or `{ user: null }` (asked with `optional`: no 401 in the console). */
  session: () => request<SessionInfo | { user: null }>('GET', '/session?optional=true'),
  signOut: () => request<undefined>('DELETE', '/session'),

  account: () => request<Account>('GET', '/account'),
  plans: () => request<{ plans: Plan[] }>('GET', '/plans'),
  usage: () => request<Usage>('GET', '/usage'),

  apps: () => request<{ apps: App[] }>('GET', '/apps'),
  createApp: (name: string) => request<App>('POST', '/apps', { name }),
  app: (id: string) => request<App>('GET', `/apps/${enc(id)}`),
  updateApp: (id: string, patch: { name?: string; settings?: Partial<AppSettings> }) =>
    request<App>('PATCH', `/apps/${enc(id)}`, patch),
  deleteApp: (id: string) => request<undefined>('DELETE', `/apps/${enc(id)}`),
  revealSecret: (id: string) => request<{ secret: string }>('GET', `/apps/${enc(id)}/secret`),
  rotateSecret: (id: string, gracePeriodSeconds: number) =>
    request<{ secret: string; previous_valid_until: string | number | null }>(
      'POST',
      `/apps/${enc(id)}/rotate-secret`,
      { grace_period_seconds: gracePeriodSeconds },
    ),
  stats: (id: string, from: number, to: number, resolution: 'minute' | 'hour') =>
    request<Stats>(
      'GET',
      `/apps/${enc(id)}/stats?from=${new Date(from).toISOString()}&to=${new Date(to).toISOString()}&resolution=${resolution}`,
    ),
  appUsage: (id: string) =>
    request<{ connections: number; messages_today: number }>('GET', `/apps/${enc(id)}/usage`),
  channels: (id: string) => request<{ channels: ChannelInfo[] }>('GET', `/apps/${enc(id)}/channels`),
  channelUsers: (id: string, channel: string) =>
    request<{ users: { id: string; user_info?: unknown }[] }>(
      'GET',
      `/apps/${enc(id)}/channels/${enc(channel)}/users`,
    ),
  publish: (id: string, body: { name: string; channels: string[]; data: string; socket_id?: string }) =>
    request<object>('POST', `/apps/${enc(id)}/events`, body),
  debugStreamUrl: (id: string) => `${BASE}/apps/${enc(id)}/debug`,

  encryptionKey: (id: string) => request<EncryptionKeyStatus>('GET', `/apps/${enc(id)}/encryption-key`),
  generateEncryptionKey: (id: string) => request<NewEncryptionKey>('POST', `/apps/${enc(id)}/encryption-key`),
  rotateEncryptionKey: (id: string, windowSeconds: number) =>
    request<NewEncryptionKey>('POST', `/apps/${enc(id)}/encryption-key/rotate`, {
      confirm: true,
      window_seconds: windowSeconds,
    }),
  finishKeyRotation: (id: string) =>
    request<unknown>('POST', `/apps/${enc(id)}/encryption-key/finish-rotation`),
  retireEncryptionKey: (id: string) => request<undefined>('DELETE', `/apps/${enc(id)}/encryption-key`),

  tokens: () => request<{ tokens: Token[] }>('GET', '/tokens'),
  createToken: (body: { name: string; scopes?: string[]; expires_in_days?: number }) =>
    request<Token & { token: string }>('POST', '/tokens', body),
  revokeToken: (id: string) => request<undefined>('DELETE', `/tokens/${enc(id)}`),

  team: () => request<{ members: Member[] }>('GET', '/team'),
  addMember: (body: { email: string; password: string; role: Role }) =>
    request<Member>('POST', '/team', body),
  setRole: (id: string, role: Role) => request<Member>('PATCH', `/team/${enc(id)}`, { role }),
  removeMember: (id: string) => request<undefined>('DELETE', `/team/${enc(id)}`),

  auditLog: (before?: string) =>
    request<{ entries: AuditEntry[] }>('GET', `/audit-log?limit=50${before ? `&before=${enc(before)}` : ''}`),
};

export const SCOPES = [
  'account:read',
  'account:write',
  'apps:read',
  'apps:write',
  'apps:secrets',
  'keys:write',
  'tokens:write',
  'events:write',
  'debug:read',
] as const;

export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
