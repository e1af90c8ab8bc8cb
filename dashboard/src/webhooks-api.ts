// Webhook endpoints and their delivery log (docs/management-api.md, "Webhooks"). Kept apart from
// api.ts so the webhook screens stay in their own files.
import { request } from './api.js';

export const WEBHOOK_EVENT_TYPES = [
  'channel_occupied',
  'channel_vacated',
  'member_added',
  'member_removed',
  'client_event',
  'cache_miss',
  'subscription_count',
] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

export interface Webhook {
  id: string;
  app_id: string;
  url: string;
  event_types: WebhookEventType[];
  channel_prefix: string | null;
  /** Values come back masked ("••••abcd"). */
  headers: Record<string, string>;
  enabled: boolean;
  created_at: string | number;
  updated_at: string | number;
  deliveries: { pending: number; retrying: number; dead: number };
  failing: boolean;
}

export interface WebhookInput {
  url?: string;
  event_types?: WebhookEventType[];
  channel_prefix?: string | null;
  /** Replaces every extra header. */
  headers?: Record<string, string>;
  enabled?: boolean;
}

export type DeliveryState = 'pending' | 'retrying' | 'delivered' | 'dead';

export interface WebhookDelivery {
  id: string;
  webhook_id: string;
  created_at: string | number;
  events: WebhookEventType[];
  channels: string[];
  state: DeliveryState;
  attempts: number;
  last_status: number | null;
  last_error: string | null;
  latency_ms: number | null;
  last_attempt_at: string | number | null;
  next_attempt_at: string | number | null;
  delivered_at: string | number | null;
  retry_until: string | number;
  body: string;
}

export interface WebhookTestResult {
  ok: boolean;
  status: number | null;
  latency_ms: number;
  error: string | null;
  body: string;
}

const enc = encodeURIComponent;
const base = (appId: string): string => `/apps/${enc(appId)}/webhooks`;

export const webhooksApi = {
  list: (appId: string) => request<{ webhooks: Webhook[] }>('GET', base(appId)),
  create: (appId: string, body: WebhookInput) => request<Webhook>('POST', base(appId), body),
  update: (appId: string, id: string, body: WebhookInput) =>
    request<Webhook>('PATCH', `${base(appId)}/${enc(id)}`, body),
  remove: (appId: string, id: string) => request<undefined>('DELETE', `${base(appId)}/${enc(id)}`),
  test: (appId: string, id: string) => request<WebhookTestResult>('POST', `${base(appId)}/${enc(id)}/test`),
  deliveries: (appId: string, id: string, before?: string) =>
    request<{ deliveries: WebhookDelivery[]; next_before: string | null }>(
      'GET',
      `${base(appId)}/${enc(id)}/deliveries?limit=25${before ? `&before=${enc(before)}` : ''}`,
    ),
  retry: (appId: string, id: string, deliveryId: string) =>
    request<WebhookDelivery>('POST', `${base(appId)}/${enc(id)}/deliveries/${enc(deliveryId)}/retry`),
};
