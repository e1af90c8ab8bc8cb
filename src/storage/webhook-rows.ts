// Row → record mapping of the webhook tables, shared by the SQLite and PostgreSQL stores (SQLite
// gives JSON columns as text and booleans as 0/1; pg gives jsonb parsed, booleans, BIGINT strings).
import type {
  QueuedWebhookEvent,
  WebhookDeliveryRecord,
  WebhookDeliveryState,
  WebhookEndpointRecord,
  WebhookEventType,
} from '../core/ports/webhook-store.js';
import { integer, type Row } from './store-rows.js';

function text(row: Row, column: string): string {
  const value = row[column];
  if (typeof value !== 'string') throw new Error(`Column ${column} is not text`);
  return value;
}

function textOrNull(row: Row, column: string): string | null {
  return row[column] === null || row[column] === undefined ? null : text(row, column);
}

function integerOrNull(row: Row, column: string): number | null {
  return row[column] === null || row[column] === undefined ? null : integer(row, column);
}

function json(row: Row, column: string): unknown {
  const value = row[column];
  return typeof value === 'string' ? (JSON.parse(value) as unknown) : value;
}

export function toEndpoint(row: Row): WebhookEndpointRecord {
  return {
    id: text(row, 'id'),
    appId: text(row, 'app_id'),
    url: text(row, 'url'),
    eventTypes: json(row, 'event_types') as WebhookEventType[],
    channelPrefix: textOrNull(row, 'channel_prefix'),
    headers: json(row, 'headers') as Record<string, string>,
    enabled: row.enabled === true || row.enabled === 1,
    createdAt: integer(row, 'created_at'),
    updatedAt: integer(row, 'updated_at'),
  };
}

export function toQueued(row: Row): QueuedWebhookEvent {
  return {
    seq: integer(row, 'seq'),
    endpointId: text(row, 'endpoint_id'),
    channel: text(row, 'channel'),
    name: text(row, 'name') as WebhookEventType,
    payload: text(row, 'payload'),
    queuedAt: integer(row, 'queued_at'),
  };
}

export function toDelivery(row: Row): WebhookDeliveryRecord {
  return {
    id: text(row, 'id'),
    endpointId: text(row, 'endpoint_id'),
    appId: text(row, 'app_id'),
    seq: integer(row, 'seq'),
    body: text(row, 'body'),
    eventNames: json(row, 'event_names') as WebhookEventType[],
    channels: json(row, 'channels') as string[],
    state: text(row, 'state') as WebhookDeliveryState,
    attempts: integer(row, 'attempts'),
    createdAt: integer(row, 'created_at'),
    nextAttemptAt: integerOrNull(row, 'next_attempt_at'),
    deadlineAt: integer(row, 'deadline_at'),
    lastAttemptAt: integerOrNull(row, 'last_attempt_at'),
    lastStatus: integerOrNull(row, 'last_status'),
    lastError: textOrNull(row, 'last_error'),
    latencyMs: integerOrNull(row, 'latency_ms'),
    deliveredAt: integerOrNull(row, 'delivered_at'),
  };
}

/** The event names and distinct channels of a batch, for the delivery row. */
export function batchSummary(events: readonly QueuedWebhookEvent[]): {
  names: WebhookEventType[];
  channels: string[];
} {
  return { names: events.map((e) => e.name), channels: [...new Set(events.map((e) => e.channel))] };
}

/** Endpoint patch → [column, value] pairs (JSON columns as text; `json` wraps them per dialect). */
export function endpointPatchColumns(
  patch: Partial<Pick<WebhookEndpointRecord, 'url' | 'eventTypes' | 'channelPrefix' | 'headers' | 'enabled'>>,
): [string, unknown, boolean][] {
  const columns: [string, unknown, boolean][] = [];
  if (patch.url !== undefined) columns.push(['url', patch.url, false]);
  if (patch.eventTypes !== undefined) columns.push(['event_types', JSON.stringify(patch.eventTypes), true]);
  if (patch.channelPrefix !== undefined) columns.push(['channel_prefix', patch.channelPrefix, false]);
  if (patch.headers !== undefined) columns.push(['headers', JSON.stringify(patch.headers), true]);
  if (patch.enabled !== undefined) columns.push(['enabled', patch.enabled, false]);
  return columns;
}

export const OPEN_STATES = "('pending', 'retrying')";
