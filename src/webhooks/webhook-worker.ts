// Sends what the store's queue holds. Per endpoint, one node at a time does the work: it holds the
// endpoint's lease (renewed while alive; a dead node's leases expire and another node takes them),
// so in a cluster each batch is sent by one node. The lease holder:
//   1. turns queued events into batches (deliveries) of up to 20 events, once the oldest has waited
//      `batchMs` (or 20 are waiting); the body is fixed then, and so is the delivery id;
//   2. sends open deliveries in batch order, never one that shares a channel with an earlier open
//      one (per-channel order), at most `endpointConcurrency` at once per endpoint and
//      `concurrency` in total;
//   3. records each attempt: delivered on 2xx, otherwise retried with exponential backoff and
//      jitter until `retryForMs` after the batch was made, then dead-lettered (kept for replay).
// It wakes on its own writes, on a timer for the next due time, and polls every `pollMs` for work
// written by other nodes.
import { randomUUID } from 'node:crypto';
import type { AppDirectory } from '../core/ports/app-directory.js';
import type { Clock } from '../core/ports/clock.js';
import type { Logger } from '../core/ports/logger.js';
import type { WebhookMetrics } from '../core/ports/metrics.js';
import type {
  QueuedWebhookEvent,
  WebhookDeliveryRecord,
  WebhookEndpointRecord,
  WebhookStore,
  WebhookTestResult,
} from '../core/ports/webhook-store.js';
import { webhookSignature } from '../protocol/signing.js';
import type { WebhookSender } from './sender.js';

export const MAX_BATCH_EVENTS = 20;
const OPEN_LOOKAHEAD = 200;

export interface WorkerSettings {
  readonly batchMs: number;
  readonly retryForMs: number;
  readonly retryBaseMs: number;
  readonly retryMaxMs: number;
  readonly leaseMs: number;
  readonly pollMs: number;
  readonly concurrency: number;
  readonly endpointConcurrency: number;
  /** Delivered and dead-lettered deliveries older than this are deleted. */
  readonly retentionMs: number;
}

export interface WorkerOptions {
  readonly store: WebhookStore;
  readonly directory: AppDirectory;
  readonly sender: WebhookSender;
  /** This node's id: the lease owner. */
  readonly owner: string;
  readonly settings: WorkerSettings;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics: WebhookMetrics;
}

/** `{"time_ms":…,"events":[…]}` from the events' JSON texts, byte for byte. */
export function batchBody(timeMs: number, payloads: readonly string[]): string {
  return `{"time_ms":${String(timeMs)},"events":[${payloads.join(',')}]}`;
}

/** The headers of one request: the endpoint's extras, then Pusher's (which win). */
export function webhookHeaders(
  endpoint: WebhookEndpointRecord,
  app: { readonly key: string; readonly secrets: readonly string[] },
  body: string,
  deliveryId: string,
): Record<string, string> {
  return {
    ...endpoint.headers,
    'User-Agent': 'mawjly-webhooks',
    'X-Pusher-Key': app.key,
    // The active secret: during a rotation grace period that is the new one.
    'X-Pusher-Signature': webhookSignature(app.secrets[0] ?? '', body),
    'X-Mawjly-Delivery-Id': deliveryId,
  };
}

export class WebhookWorker {
  readonly #o: WorkerOptions;
  readonly #s: WorkerSettings;
  readonly #owned = new Set<string>();
  /** delivery id → endpoint id, for requests on their way. */
  readonly #inFlight = new Map<string, string>();
  readonly #inFlightPerEndpoint = new Map<string, number>();
  readonly #sends = new Set<Promise<void>>();
  #poll: NodeJS.Timeout | undefined;
  #wakeTimer: NodeJS.Timeout | undefined;
  #wakeAt = Number.POSITIVE_INFINITY;
  #running: Promise<void> | undefined;
  #again = false;
  /** The error of the last pass, while passes fail (logged once). */
  #failing: string | undefined;
  #lastRenew = 0;
  #lastPrune = 0;
  #stopped = false;

  constructor(options: WorkerOptions) {
    this.#o = options;
    this.#s = options.settings;
  }

  get retryWindowMs(): number {
    return this.#s.retryForMs;
  }

  start(): void {
    this.#poll = setInterval(() => {
      this.wake();
    }, this.#s.pollMs);
    this.#poll.unref();
    this.wake();
  }

  refuseTarget(url: URL): string | undefined {
    return this.#o.sender.refuse(url);
  }

  /** Runs a pass now (or right after the current one). */
  wake(): void {
    if (this.#stopped) return;
    if (this.#running) {
      this.#again = true;
      return;
    }
    this.#running = this.#pass()
      .then(() => {
        if (this.#failing === undefined) return;
        this.#failing = undefined;
        this.#o.logger.info({}, 'webhook worker passes succeed again');
      })
      .catch((error: unknown) => {
        // One line per distinct failure: a store locked or down for minutes fails every poll.
        const err = error instanceof Error ? error.message : String(error);
        if (err === this.#failing) return;
        this.#failing = err;
        this.#o.logger.warn({ err }, 'webhook worker pass failed');
      })
      .finally(() => {
        this.#running = undefined;
        if (this.#again) {
          this.#again = false;
          this.wake();
        }
      });
  }

  #wakeLater(at: number): void {
    if (this.#stopped || at >= this.#wakeAt) return;
    if (this.#wakeTimer) clearTimeout(this.#wakeTimer);
    this.#wakeAt = at;
    this.#wakeTimer = setTimeout(
      () => {
        this.#wakeTimer = undefined;
        this.#wakeAt = Number.POSITIVE_INFINITY;
        this.wake();
      },
      Math.max(0, at - this.#o.clock.now()),
    );
    this.#wakeTimer.unref();
  }

  async #pass(): Promise<void> {
    const { store, owner, clock } = this.#o;
    let now = clock.now();
    if (now - this.#lastPrune > 60_000) {
      this.#lastPrune = now;
      await store.prune(now - this.#s.retentionMs, now - 5 * 60_000);
    }
    if (now - this.#lastRenew > this.#s.leaseMs / 3) {
      this.#lastRenew = now;
      const held = new Set(await store.renewLeases(owner, now + this.#s.leaseMs));
      for (const id of this.#owned) if (!held.has(id)) this.#owned.delete(id);
    }
    while ((await store.releaseHeld(now, 500)) === 500) now = clock.now();
    const work = new Set(await store.endpointsWithWork());
    for (const id of work) {
      if (this.#owned.has(id)) continue;
      now = clock.now();
      if (await store.acquireLease(id, owner, now, now + this.#s.leaseMs)) this.#owned.add(id);
    }
    for (const id of [...this.#owned]) {
      if (work.has(id)) continue;
      if ((this.#inFlightPerEndpoint.get(id) ?? 0) > 0) continue;
      this.#owned.delete(id);
      await store.releaseLease(id, owner);
    }
    for (const id of this.#owned) {
      if (this.#stopped) return;
      await this.#serve(id);
    }
  }

  async #serve(endpointId: string): Promise<void> {
    const { store, clock } = this.#o;
    const endpoint = await store.findEndpoint(endpointId);
    if (!endpoint?.enabled) return;
    const app = this.#o.directory.findById(endpoint.appId);
    if (!app) return;

    // 1. Batches.
    for (;;) {
      const queued = await store.peekQueue(endpointId, MAX_BATCH_EVENTS);
      const first = queued[0];
      if (!first) break;
      const now = clock.now();
      if (queued.length < MAX_BATCH_EVENTS && first.queuedAt + this.#s.batchMs > now) {
        this.#wakeLater(first.queuedAt + this.#s.batchMs);
        break;
      }
      const made = await this.#makeBatch(endpointId, queued, now);
      if (!made) break;
    }

    // 2. Sends, in order, channel by channel.
    const open = await store.openDeliveries(endpointId, OPEN_LOOKAHEAD);
    const blocked = new Set<string>();
    const now = clock.now();
    for (const delivery of open) {
      const busy = this.#inFlight.has(delivery.id);
      if (!busy && !delivery.channels.some((c) => blocked.has(c))) {
        const due = delivery.nextAttemptAt ?? now;
        if (due > now) this.#wakeLater(due);
        else if (this.#hasRoom(endpointId)) this.#send(endpoint, delivery);
      }
      for (const channel of delivery.channels) blocked.add(channel);
    }
  }

  async #makeBatch(endpointId: string, queued: QueuedWebhookEvent[], now: number): Promise<boolean> {
    const body = batchBody(
      now,
      queued.map((e) => e.payload),
    );
    const made = await this.#o.store.createDelivery(
      endpointId,
      queued,
      { id: randomUUID(), body, deadlineAt: now + this.#s.retryForMs },
      now,
    );
    return made !== undefined;
  }

  #hasRoom(endpointId: string): boolean {
    return (
      this.#inFlight.size < this.#s.concurrency &&
      (this.#inFlightPerEndpoint.get(endpointId) ?? 0) < this.#s.endpointConcurrency
    );
  }

  #send(endpoint: WebhookEndpointRecord, delivery: WebhookDeliveryRecord): void {
    const app = this.#o.directory.findById(delivery.appId);
    if (!app) return;
    this.#inFlight.set(delivery.id, endpoint.id);
    this.#inFlightPerEndpoint.set(endpoint.id, (this.#inFlightPerEndpoint.get(endpoint.id) ?? 0) + 1);
    this.#o.metrics.webhookInFlight(app.id, 1);
    const headers = webhookHeaders(endpoint, app, delivery.body, delivery.id);
    const sent = this.#o.sender
      .post(endpoint.url, headers, delivery.body)
      .then(async (result) => {
        const at = this.#o.clock.now();
        const seconds = result.latencyMs / 1000;
        if (result.ok) {
          this.#o.metrics.webhookAttempt(app.id, 'delivered', seconds);
          await this.#o.store.recordAttempt(delivery.id, {
            state: 'delivered',
            at,
            status: result.status,
            error: null,
            latencyMs: result.latencyMs,
            nextAttemptAt: null,
          });
          return;
        }
        const next = at + this.#backoff(delivery.attempts + 1);
        const dead = next > delivery.deadlineAt;
        this.#o.metrics.webhookAttempt(app.id, dead ? 'dead_lettered' : 'failed', seconds);
        if (dead)
          this.#o.logger.warn(
            { appId: app.id, webhook: endpoint.id, delivery: delivery.id, error: result.error },
            'webhook delivery dead-lettered after its retry window',
          );
        await this.#o.store.recordAttempt(delivery.id, {
          state: dead ? 'dead' : 'retrying',
          at,
          status: result.status,
          error: result.error,
          latencyMs: result.latencyMs,
          nextAttemptAt: dead ? null : next,
        });
      })
      .catch((error: unknown) => {
        this.#o.logger.warn({ err: error, delivery: delivery.id }, 'could not record a webhook attempt');
      })
      .finally(() => {
        this.#inFlight.delete(delivery.id);
        this.#inFlightPerEndpoint.set(endpoint.id, (this.#inFlightPerEndpoint.get(endpoint.id) ?? 1) - 1);
        this.#o.metrics.webhookInFlight(app.id, -1);
        this.#sends.delete(sent);
        this.wake();
      });
    this.#sends.add(sent);
  }

  /** Exponential backoff with ±25 % jitter: base, 2×base, 4×base … capped at retryMaxMs. */
  #backoff(attempt: number): number {
    const exp = Math.min(this.#s.retryMaxMs, this.#s.retryBaseMs * 2 ** Math.min(30, attempt - 1));
    return Math.round(exp * (0.75 + Math.random() * 0.5));
  }

  async sendTest(
    app: { readonly id: string; readonly key: string; readonly secrets: readonly string[] },
    endpoint: WebhookEndpointRecord,
  ): Promise<WebhookTestResult> {
    const body = batchBody(this.#o.clock.now(), [
      JSON.stringify({ name: 'channel_occupied', channel: 'mawjly-webhook-test' }),
    ]);
    const headers = webhookHeaders(endpoint, app, body, `test-${randomUUID()}`);
    const result = await this.#o.sender.post(endpoint.url, headers, body);
    return { ...result, body };
  }

  /** Stops looking for work, waits for requests on their way (bounded by the send timeout), hands the leases back. */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#poll) clearInterval(this.#poll);
    if (this.#wakeTimer) clearTimeout(this.#wakeTimer);
    await this.#running;
    await Promise.all([...this.#sends]);
    for (const id of this.#owned) await this.#o.store.releaseLease(id, this.#o.owner).catch(() => undefined);
    this.#owned.clear();
  }
}
