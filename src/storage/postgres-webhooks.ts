// Webhooks in the PostgreSQL store. Nodes of a cluster share these tables: queue moves use
// `FOR UPDATE SKIP LOCKED` or conditional deletes so that two nodes never take the same rows, and
// leases are one conditional upsert.
import type pg from 'pg';
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
import type { PostgresDatabase } from './postgres-database.js';
import { notFoundError } from './store-errors.js';
import { countsByEndpoint, notRetryable } from './sqlite-webhooks.js';
import { returned, type Row } from './store-rows.js';
import {
  batchSummary,
  endpointPatchColumns,
  OPEN_STATES,
  toDelivery,
  toEndpoint,
  toQueued,
} from './webhook-rows.js';

async function queue(
  client: pg.PoolClient,
  endpointIds: readonly string[],
  channel: string,
  name: string,
  payload: string,
  now: number,
): Promise<void> {
  if (endpointIds.length === 0) return;
  // One statement for every endpoint, in the given order, skipping deleted endpoints.
  await client.query(
    `INSERT INTO webhook_queue (endpoint_id, channel, name, payload, queued_at)
     SELECT e.id, $2, $3, $4, $5 FROM unnest($1::text[]) WITH ORDINALITY AS t(id, n)
     JOIN webhook_endpoints e ON e.id = t.id ORDER BY t.n`,
    [endpointIds, channel, name, payload, now],
  );
}

export class PostgresWebhooks implements WebhookStore {
  private readonly db: PostgresDatabase;
  private readonly clock: Clock;

  constructor(db: PostgresDatabase, clock: Clock) {
    this.db = db;
    this.clock = clock;
  }

  async createEndpoint(
    input: Omit<WebhookEndpointRecord, 'createdAt' | 'updatedAt'>,
  ): Promise<WebhookEndpointRecord> {
    const now = this.clock.now();
    const row = await this.db.one(
      `INSERT INTO webhook_endpoints (id, app_id, url, event_types, channel_prefix, headers, enabled, created_at, updated_at)
       VALUES ($1, $2, $3, $4::jsonb, $5, $6::jsonb, $7, $8, $8) RETURNING *`,
      [
        input.id,
        input.appId,
        input.url,
        JSON.stringify(input.eventTypes),
        input.channelPrefix,
        JSON.stringify(input.headers),
        input.enabled,
        now,
      ],
      'App',
    );
    return toEndpoint(returned(row));
  }

  async findEndpoint(id: string): Promise<WebhookEndpointRecord | undefined> {
    const row = await this.db.one('SELECT * FROM webhook_endpoints WHERE id = $1', [id]);
    return row && toEndpoint(row);
  }

  async listEndpoints(appId?: string): Promise<WebhookEndpointRecord[]> {
    const rows =
      appId === undefined
        ? await this.db.rows('SELECT * FROM webhook_endpoints ORDER BY seq')
        : await this.db.rows('SELECT * FROM webhook_endpoints WHERE app_id = $1 ORDER BY seq', [appId]);
    return rows.map(toEndpoint);
  }

  async updateEndpoint(id: string, patch: WebhookEndpointPatch): Promise<WebhookEndpointRecord> {
    const columns = endpointPatchColumns(patch);
    const sets = columns.map(([c, , isJson], i) => `${c} = $${i + 1}${isJson ? '::jsonb' : ''}`);
    sets.push(`updated_at = $${columns.length + 1}`);
    const row = await this.db.one(
      `UPDATE webhook_endpoints SET ${sets.join(', ')} WHERE id = $${columns.length + 2} RETURNING *`,
      [...columns.map(([, v]) => v), this.clock.now(), id],
    );
    if (!row) throw notFoundError('Webhook endpoint');
    return toEndpoint(row);
  }

  async deleteEndpoint(id: string): Promise<void> {
    if ((await this.db.count('DELETE FROM webhook_endpoints WHERE id = $1', [id])) === 0)
      throw notFoundError('Webhook endpoint');
  }

  async enqueue(events: readonly NewWebhookEvent[], now: number): Promise<void> {
    if (events.length === 0) return;
    await this.db.transaction(undefined, async (client) => {
      for (const event of events) {
        if (event.dedupeKey !== undefined) {
          const r = await client.query(
            'INSERT INTO webhook_dedupe (key, created_at) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING',
            [event.dedupeKey, now],
          );
          if (r.rowCount === 0) continue;
        }
        if (event.name === 'channel_occupied') {
          const r = await client.query(
            "DELETE FROM webhook_held WHERE app_id = $1 AND channel = $2 AND name = 'channel_vacated'",
            [event.appId, event.channel],
          );
          if ((r.rowCount ?? 0) > 0) continue;
        }
        if (event.name === 'member_added') {
          const r = await client.query(
            "DELETE FROM webhook_held WHERE app_id = $1 AND channel = $2 AND name = 'member_removed' AND user_id = $3",
            [event.appId, event.channel, event.userId],
          );
          if ((r.rowCount ?? 0) > 0) continue;
        }
        if (event.holdUntil !== undefined) {
          await client.query(
            `INSERT INTO webhook_held (app_id, name, channel, user_id, payload, endpoint_ids, due_at)
             VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7)`,
            [
              event.appId,
              event.name,
              event.channel,
              event.userId,
              event.payload,
              JSON.stringify(event.endpointIds),
              event.holdUntil,
            ],
          );
          continue;
        }
        await queue(client, event.endpointIds, event.channel, event.name, event.payload, now);
      }
    });
  }

  async releaseHeld(now: number, limit: number): Promise<number> {
    return this.db.transaction(undefined, async (client) => {
      const result = await client.query(
        `DELETE FROM webhook_held WHERE id IN (
           SELECT id FROM webhook_held WHERE due_at <= $1 ORDER BY id LIMIT $2 FOR UPDATE SKIP LOCKED)
         RETURNING *`,
        [now, limit],
      );
      const rows = (result.rows as Row[]).sort((a, b) => Number(a.id) - Number(b.id));
      for (const row of rows) {
        await queue(
          client,
          row.endpoint_ids as string[],
          String(row.channel),
          String(row.name),
          String(row.payload),
          now,
        );
      }
      return rows.length;
    });
  }

  async endpointsWithWork(): Promise<string[]> {
    const rows = await this.db.rows(
      `SELECT id FROM webhook_endpoints e WHERE enabled AND (
         EXISTS (SELECT 1 FROM webhook_queue q WHERE q.endpoint_id = e.id)
         OR EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.endpoint_id = e.id AND d.state IN ${OPEN_STATES}))`,
    );
    return rows.map((r) => String(r.id));
  }

  async acquireLease(endpointId: string, owner: string, now: number, expiresAt: number): Promise<boolean> {
    try {
      const changed = await this.db.count(
        `INSERT INTO webhook_leases (endpoint_id, owner, expires_at) VALUES ($1, $2, $3)
         ON CONFLICT (endpoint_id) DO UPDATE SET owner = EXCLUDED.owner, expires_at = EXCLUDED.expires_at
         WHERE webhook_leases.owner = EXCLUDED.owner OR webhook_leases.expires_at < $4`,
        [endpointId, owner, expiresAt, now],
      );
      return changed > 0;
    } catch (err) {
      // The endpoint was deleted meanwhile (foreign key), or two nodes inserted at once.
      if (err instanceof MawjlyError || (err instanceof Error && 'code' in err && err.code === '23503'))
        return false;
      throw err;
    }
  }

  async renewLeases(owner: string, expiresAt: number): Promise<string[]> {
    const rows = await this.db.rows(
      'UPDATE webhook_leases SET expires_at = $1 WHERE owner = $2 RETURNING endpoint_id',
      [expiresAt, owner],
    );
    return rows.map((r) => String(r.endpoint_id));
  }

  async releaseLease(endpointId: string, owner: string): Promise<void> {
    await this.db.count('DELETE FROM webhook_leases WHERE endpoint_id = $1 AND owner = $2', [
      endpointId,
      owner,
    ]);
  }

  async peekQueue(endpointId: string, limit: number): Promise<QueuedWebhookEvent[]> {
    const rows = await this.db.rows(
      'SELECT * FROM webhook_queue WHERE endpoint_id = $1 ORDER BY seq LIMIT $2',
      [endpointId, limit],
    );
    return rows.map(toQueued);
  }

  async createDelivery(
    endpointId: string,
    events: readonly QueuedWebhookEvent[],
    delivery: NewWebhookDelivery,
    now: number,
  ): Promise<WebhookDeliveryRecord | undefined> {
    const first = events[0];
    if (!first) return undefined;
    const { names, channels } = batchSummary(events);
    try {
      return await this.db.transaction(undefined, async (client) => {
        const deleted = await client.query(
          'DELETE FROM webhook_queue WHERE endpoint_id = $1 AND seq = ANY($2::bigint[])',
          [endpointId, events.map((e) => e.seq)],
        );
        if (deleted.rowCount !== events.length) throw new TakenAlready();
        const inserted = await client.query(
          `INSERT INTO webhook_deliveries (id, endpoint_id, app_id, seq, body, event_names, channels, state, attempts,
             created_at, next_attempt_at, deadline_at)
           SELECT $1, id, app_id, $2, $3, $4::jsonb, $5::jsonb, 'pending', 0, $6, $6, $7 FROM webhook_endpoints WHERE id = $8
           RETURNING *`,
          [
            delivery.id,
            first.seq,
            delivery.body,
            JSON.stringify(names),
            JSON.stringify(channels),
            now,
            delivery.deadlineAt,
            endpointId,
          ],
        );
        const row = (inserted.rows as Row[])[0];
        return row && toDelivery(row);
      });
    } catch (err) {
      if (err instanceof TakenAlready) return undefined;
      throw err;
    }
  }

  async openDeliveries(endpointId: string, limit: number): Promise<WebhookDeliveryRecord[]> {
    const rows = await this.db.rows(
      `SELECT * FROM webhook_deliveries WHERE endpoint_id = $1 AND state IN ${OPEN_STATES} ORDER BY seq LIMIT $2`,
      [endpointId, limit],
    );
    return rows.map(toDelivery);
  }

  async recordAttempt(id: string, result: WebhookAttemptResult): Promise<void> {
    await this.db.count(
      `UPDATE webhook_deliveries SET state = $1, attempts = attempts + 1, last_attempt_at = $2, last_status = $3,
         last_error = $4, latency_ms = $5, next_attempt_at = $6,
         delivered_at = CASE WHEN $1 = 'delivered' THEN $2 ELSE delivered_at END
       WHERE id = $7`,
      [result.state, result.at, result.status, result.error, result.latencyMs, result.nextAttemptAt, id],
    );
  }

  async findDelivery(id: string): Promise<WebhookDeliveryRecord | undefined> {
    const row = await this.db.one('SELECT * FROM webhook_deliveries WHERE id = $1', [id]);
    return row && toDelivery(row);
  }

  async listDeliveries(
    endpointId: string,
    options: { limit?: number; before?: string; state?: WebhookDeliveryState } = {},
  ): Promise<WebhookDeliveryRecord[]> {
    const params: unknown[] = [endpointId];
    const where = ['endpoint_id = $1'];
    if (options.before !== undefined) {
      params.push(options.before);
      where.push(`seq < (SELECT seq FROM webhook_deliveries WHERE id = $${params.length})`);
    }
    if (options.state !== undefined) {
      params.push(options.state);
      where.push(`state = $${params.length}`);
    }
    params.push(options.limit ?? 50);
    const rows = await this.db.rows(
      `SELECT * FROM webhook_deliveries WHERE ${where.join(' AND ')} ORDER BY seq DESC LIMIT $${params.length}`,
      params,
    );
    return rows.map(toDelivery);
  }

  async retryDelivery(id: string, now: number, deadlineAt: number): Promise<WebhookDeliveryRecord> {
    const row = await this.db.one(
      `UPDATE webhook_deliveries SET state = 'pending', next_attempt_at = $1, deadline_at = $2
       WHERE id = $3 AND state IN ('retrying', 'dead') RETURNING *`,
      [now, deadlineAt, id],
    );
    if (row) return toDelivery(row);
    if (await this.db.one('SELECT 1 AS x FROM webhook_deliveries WHERE id = $1', [id])) throw notRetryable();
    throw notFoundError('Delivery');
  }

  async deliveryCounts(appId: string): Promise<Map<string, WebhookDeliveryCounts>> {
    const rows = await this.db.rows(
      `SELECT endpoint_id, state, COUNT(*) AS n FROM webhook_deliveries
       WHERE app_id = $1 AND state IN ('pending', 'retrying', 'dead') GROUP BY endpoint_id, state`,
      [appId],
    );
    return countsByEndpoint(rows);
  }

  async prune(deliveriesBefore: number, dedupeBefore: number): Promise<void> {
    await this.db.count(
      "DELETE FROM webhook_deliveries WHERE state IN ('delivered', 'dead') AND created_at < $1",
      [deliveriesBefore],
    );
    await this.db.count('DELETE FROM webhook_dedupe WHERE created_at < $1', [dedupeBefore]);
  }
}

class TakenAlready extends Error {}
