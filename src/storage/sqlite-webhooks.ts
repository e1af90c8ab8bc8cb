// Webhooks in the SQLite store: endpoints, the held and due queues, leases and the delivery log.
// Every multi-statement change runs in one IMMEDIATE transaction; processes sharing the file take
// turns, so the queue moves atomically between them too.
import type { Clock } from '../core/ports/clock.js';
import type {
  NewWebhookDelivery,
  NewWebhookEvent,
  QueuedWebhookEvent,
  WebhookAttemptResult,
  WebhookDeliveryCounts,
  WebhookDeliveryRecord,
  WebhookDeliveryState,
  WebhookEndpointPatch,
  WebhookEndpointRecord,
  WebhookStore,
} from '../core/ports/webhook-store.js';
import { MawjlyError } from '../protocol/errors.js';
import { translateSqliteError, type SqliteDatabase } from './sqlite-database.js';
import { notFoundError } from './store-errors.js';
import { integer, type Row } from './store-rows.js';
import {
  batchSummary,
  endpointPatchColumns,
  OPEN_STATES,
  toDelivery,
  toEndpoint,
  toQueued,
} from './webhook-rows.js';

export class SqliteWebhooks implements WebhookStore {
  private readonly db: SqliteDatabase;
  private readonly clock: Clock;

  constructor(db: SqliteDatabase, clock: Clock) {
    this.db = db;
    this.clock = clock;
  }

  async createEndpoint(
    input: Omit<WebhookEndpointRecord, 'createdAt' | 'updatedAt'>,
  ): Promise<WebhookEndpointRecord> {
    const now = this.clock.now();
    let row: Row | undefined;
    try {
      row = this.db.one(
        `INSERT INTO webhook_endpoints (id, app_id, url, event_types, channel_prefix, headers, enabled, created_at, updated_at, seq)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM webhook_endpoints)) RETURNING *`,
        input.id,
        input.appId,
        input.url,
        JSON.stringify(input.eventTypes),
        input.channelPrefix,
        JSON.stringify(input.headers),
        input.enabled ? 1 : 0,
        now,
        now,
      );
    } catch (err) {
      throw translateSqliteError(err, 'App');
    }
    if (!row) throw new Error('INSERT … RETURNING returned no row');
    return Promise.resolve(toEndpoint(row));
  }

  async findEndpoint(id: string): Promise<WebhookEndpointRecord | undefined> {
    const row = this.db.one('SELECT * FROM webhook_endpoints WHERE id = ?', id);
    return Promise.resolve(row && toEndpoint(row));
  }

  async listEndpoints(appId?: string): Promise<WebhookEndpointRecord[]> {
    const rows =
      appId === undefined
        ? this.db.all('SELECT * FROM webhook_endpoints ORDER BY seq')
        : this.db.all('SELECT * FROM webhook_endpoints WHERE app_id = ? ORDER BY seq', appId);
    return Promise.resolve(rows.map(toEndpoint));
  }

  async updateEndpoint(id: string, patch: WebhookEndpointPatch): Promise<WebhookEndpointRecord> {
    const columns = endpointPatchColumns(patch).map(
      ([c, v]) => [c, typeof v === 'boolean' ? (v ? 1 : 0) : v] as const,
    );
    const row = this.db.one(
      `UPDATE webhook_endpoints SET ${[...columns.map(([c]) => `${c} = ?`), 'updated_at = ?'].join(', ')}
       WHERE id = ? RETURNING *`,
      ...columns.map(([, v]) => v),
      this.clock.now(),
      id,
    );
    if (!row) throw notFoundError('Webhook endpoint');
    return Promise.resolve(toEndpoint(row));
  }

  async deleteEndpoint(id: string): Promise<void> {
    if (this.db.run('DELETE FROM webhook_endpoints WHERE id = ?', id) === 0)
      throw notFoundError('Webhook endpoint');
    return Promise.resolve();
  }

  async enqueue(events: readonly NewWebhookEvent[], now: number): Promise<void> {
    return this.db.background(() => {
      if (events.length === 0) return;
      this.db.immediate(() => {
        for (const event of events) {
          if (
            event.dedupeKey !== undefined &&
            this.db.run(
              'INSERT INTO webhook_dedupe (key, created_at) VALUES (?, ?) ON CONFLICT (key) DO NOTHING',
              event.dedupeKey,
              now,
            ) === 0
          )
            continue;
          if (
            event.name === 'channel_occupied' &&
            this.db.run(
              "DELETE FROM webhook_held WHERE app_id = ? AND channel = ? AND name = 'channel_vacated'",
              event.appId,
              event.channel,
            ) > 0
          )
            continue;
          if (
            event.name === 'member_added' &&
            this.db.run(
              "DELETE FROM webhook_held WHERE app_id = ? AND channel = ? AND name = 'member_removed' AND user_id = ?",
              event.appId,
              event.channel,
              event.userId,
            ) > 0
          )
            continue;
          if (event.holdUntil !== undefined) {
            this.db.run(
              `INSERT INTO webhook_held (app_id, name, channel, user_id, payload, endpoint_ids, due_at)
               VALUES (?, ?, ?, ?, ?, ?, ?)`,
              event.appId,
              event.name,
              event.channel,
              event.userId,
              event.payload,
              JSON.stringify(event.endpointIds),
              event.holdUntil,
            );
            continue;
          }
          this.#queue(event.endpointIds, event.channel, event.name, event.payload, now);
        }
      });
      return Promise.resolve();
    });
  }

  #queue(endpointIds: readonly string[], channel: string, name: string, payload: string, now: number): void {
    for (const endpointId of endpointIds) {
      this.db.run(
        `INSERT INTO webhook_queue (endpoint_id, channel, name, payload, queued_at)
         SELECT ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM webhook_endpoints WHERE id = ?)`,
        endpointId,
        channel,
        name,
        payload,
        now,
        endpointId,
      );
    }
  }

  async releaseHeld(now: number, limit: number): Promise<number> {
    return this.db.background(() => {
      let released = 0;
      this.db.immediate(() => {
        const rows = this.db.all(
          'SELECT * FROM webhook_held WHERE due_at <= ? ORDER BY id LIMIT ?',
          now,
          limit,
        );
        for (const row of rows) {
          const ids = JSON.parse(String(row.endpoint_ids)) as string[];
          this.#queue(ids, String(row.channel), String(row.name), String(row.payload), now);
          this.db.run('DELETE FROM webhook_held WHERE id = ?', row.id);
        }
        released = rows.length;
      });
      return Promise.resolve(released);
    });
  }

  async endpointsWithWork(): Promise<string[]> {
    const rows = this.db.all(
      `SELECT id FROM webhook_endpoints e WHERE enabled = 1 AND (
         EXISTS (SELECT 1 FROM webhook_queue q WHERE q.endpoint_id = e.id)
         OR EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.endpoint_id = e.id AND d.state IN ${OPEN_STATES}))`,
    );
    return Promise.resolve(rows.map((r) => String(r.id)));
  }

  acquireLease(endpointId: string, owner: string, now: number, expiresAt: number): Promise<boolean> {
    return this.db.background(() => {
      try {
        const changed = this.db.run(
          `INSERT INTO webhook_leases (endpoint_id, owner, expires_at) VALUES (?, ?, ?)
           ON CONFLICT (endpoint_id) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at
           WHERE webhook_leases.owner = excluded.owner OR webhook_leases.expires_at < ?`,
          endpointId,
          owner,
          expiresAt,
          now,
        );
        return Promise.resolve(changed > 0);
      } catch {
        // The endpoint was deleted meanwhile (foreign key).
        return Promise.resolve(false);
      }
    });
  }

  async renewLeases(owner: string, expiresAt: number): Promise<string[]> {
    return this.db.background(() => {
      const rows = this.db.all(
        'UPDATE webhook_leases SET expires_at = ? WHERE owner = ? RETURNING endpoint_id',
        expiresAt,
        owner,
      );
      return Promise.resolve(rows.map((r) => String(r.endpoint_id)));
    });
  }

  async releaseLease(endpointId: string, owner: string): Promise<void> {
    return this.db.background(() => {
      this.db.run('DELETE FROM webhook_leases WHERE endpoint_id = ? AND owner = ?', endpointId, owner);
      return Promise.resolve();
    });
  }

  async peekQueue(endpointId: string, limit: number): Promise<QueuedWebhookEvent[]> {
    const rows = this.db.all(
      'SELECT * FROM webhook_queue WHERE endpoint_id = ? ORDER BY seq LIMIT ?',
      endpointId,
      limit,
    );
    return Promise.resolve(rows.map(toQueued));
  }

  async createDelivery(
    endpointId: string,
    events: readonly QueuedWebhookEvent[],
    delivery: NewWebhookDelivery,
    now: number,
  ): Promise<WebhookDeliveryRecord | undefined> {
    return this.db.background(() => {
      const first = events[0];
      if (!first) return undefined;
      const { names, channels } = batchSummary(events);
      let row: Row | undefined;
      try {
        this.db.immediate(() => {
          const deleted = this.db.run(
            `DELETE FROM webhook_queue WHERE endpoint_id = ? AND seq IN (${events.map(() => '?').join(', ')})`,
            endpointId,
            ...events.map((e) => e.seq),
          );
          if (deleted !== events.length) throw new TakenAlready();
          row = this.db.one(
            `INSERT INTO webhook_deliveries (id, endpoint_id, app_id, seq, body, event_names, channels, state, attempts,
               created_at, next_attempt_at, deadline_at)
             SELECT ?, id, app_id, ?, ?, ?, ?, 'pending', 0, ?, ?, ? FROM webhook_endpoints WHERE id = ?
             RETURNING *`,
            delivery.id,
            first.seq,
            delivery.body,
            JSON.stringify(names),
            JSON.stringify(channels),
            now,
            now,
            delivery.deadlineAt,
            endpointId,
          );
        });
      } catch (err) {
        if (err instanceof TakenAlready) return undefined;
        throw err;
      }
      return Promise.resolve(row && toDelivery(row));
    });
  }

  async openDeliveries(endpointId: string, limit: number): Promise<WebhookDeliveryRecord[]> {
    const rows = this.db.all(
      `SELECT * FROM webhook_deliveries WHERE endpoint_id = ? AND state IN ${OPEN_STATES} ORDER BY seq LIMIT ?`,
      endpointId,
      limit,
    );
    return Promise.resolve(rows.map(toDelivery));
  }

  async recordAttempt(id: string, result: WebhookAttemptResult): Promise<void> {
    return this.db.background(() => {
      this.db.run(
        `UPDATE webhook_deliveries SET state = ?, attempts = attempts + 1, last_attempt_at = ?, last_status = ?,
           last_error = ?, latency_ms = ?, next_attempt_at = ?,
           delivered_at = CASE WHEN ? = 'delivered' THEN ? ELSE delivered_at END
         WHERE id = ?`,
        result.state,
        result.at,
        result.status,
        result.error,
        result.latencyMs,
        result.nextAttemptAt,
        result.state,
        result.at,
        id,
      );
      return Promise.resolve();
    });
  }

  async findDelivery(id: string): Promise<WebhookDeliveryRecord | undefined> {
    const row = this.db.one('SELECT * FROM webhook_deliveries WHERE id = ?', id);
    return Promise.resolve(row && toDelivery(row));
  }

  async listDeliveries(
    endpointId: string,
    options: { limit?: number; before?: string; state?: WebhookDeliveryState } = {},
  ): Promise<WebhookDeliveryRecord[]> {
    const where = ['endpoint_id = ?'];
    const params: unknown[] = [endpointId];
    if (options.before !== undefined) {
      where.push('seq < (SELECT seq FROM webhook_deliveries WHERE id = ?)');
      params.push(options.before);
    }
    if (options.state !== undefined) {
      where.push('state = ?');
      params.push(options.state);
    }
    const rows = this.db.all(
      `SELECT * FROM webhook_deliveries WHERE ${where.join(' AND ')} ORDER BY seq DESC LIMIT ?`,
      ...params,
      options.limit ?? 50,
    );
    return Promise.resolve(rows.map(toDelivery));
  }

  async retryDelivery(id: string, now: number, deadlineAt: number): Promise<WebhookDeliveryRecord> {
    const row = this.db.one(
      `UPDATE webhook_deliveries SET state = 'pending', next_attempt_at = ?, deadline_at = ?
       WHERE id = ? AND state IN ('retrying', 'dead') RETURNING *`,
      now,
      deadlineAt,
      id,
    );
    if (row) return Promise.resolve(toDelivery(row));
    if (this.db.one('SELECT 1 AS x FROM webhook_deliveries WHERE id = ?', id)) throw notRetryable();
    throw notFoundError('Delivery');
  }

  async deliveryCounts(appId: string): Promise<Map<string, WebhookDeliveryCounts>> {
    const rows = this.db.all(
      `SELECT endpoint_id, state, COUNT(*) AS n FROM webhook_deliveries
       WHERE app_id = ? AND state IN ('pending', 'retrying', 'dead') GROUP BY endpoint_id, state`,
      appId,
    );
    return Promise.resolve(countsByEndpoint(rows));
  }

  async prune(deliveriesBefore: number, dedupeBefore: number): Promise<void> {
    return this.db.background(() => {
      this.db.run(
        "DELETE FROM webhook_deliveries WHERE state IN ('delivered', 'dead') AND created_at < ?",
        deliveriesBefore,
      );
      this.db.run('DELETE FROM webhook_dedupe WHERE created_at < ?', dedupeBefore);
      return Promise.resolve();
    });
  }
}

class TakenAlready extends Error {}

export function notRetryable(): MawjlyError {
  return new MawjlyError('delivery_not_retryable');
}

export function countsByEndpoint(rows: readonly Row[]): Map<string, WebhookDeliveryCounts> {
  const result = new Map<string, { pending: number; retrying: number; dead: number }>();
  for (const row of rows) {
    const id = String(row.endpoint_id);
    let entry = result.get(id);
    if (!entry) result.set(id, (entry = { pending: 0, retrying: 0, dead: 0 }));
    const state = String(row.state) as 'pending' | 'retrying' | 'dead';
    entry[state] = integer(row, 'n');
  }
  return result;
}
