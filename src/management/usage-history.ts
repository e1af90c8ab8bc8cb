// Usage history per app, kept in the store (StatsStore) at 1-minute resolution for a day and
// 1-hour resolution for 90 days.
//
// Counting is in memory and O(1) (the connection, publish, REST API and webhook paths call it); a
// timer samples the connection counts every `sampleIntervalMs` and another adds what was counted
// to the store every `flushIntervalMs` (default one minute), off the hot path. Every node writes
// only its own rows (keyed by its node id) with atomic upserts, so nodes never overwrite each
// other; reads sum the nodes' rows (see src/storage/migrations/stats-schema.ts). A bucket may be
// flushed in several parts (a partial minute, then the rest): the upserts add counts and keep the
// larger peak, so that is exact. A failed flush keeps its counts for the next one.
import { systemClock, type Clock } from '../core/ports/clock.js';
import { silentLogger, type Logger } from '../core/ports/logger.js';
import type { Metrics, WebhookMetrics } from '../core/ports/metrics.js';
import { HOUR_MS, MINUTE_MS, type StatsSample, type StatsStore } from './stats-store.js';

/** Minute rows are kept a day (plus the hour being rolled up); hour rows 90 days. */
export const MINUTE_RETENTION_MS = 25 * HOUR_MS;
export const HOUR_RETENTION_MS = 90 * 24 * HOUR_MS;

export interface UsageHistoryOptions {
  readonly store: StatsStore;
  /** This node's id in the rows it writes. */
  readonly nodeId: string;
  readonly clock?: Clock;
  readonly logger?: Logger;
  /** How often counts go to the store (default 60 000 ms). */
  readonly flushIntervalMs?: number;
  /** How often the connection counts are sampled for the average (default 5000 ms). */
  readonly sampleIntervalMs?: number;
}

interface Bucket {
  peak: number;
  sum: number;
  samples: number;
  messages: number;
  apiCalls: number;
  webhookDeliveries: number;
  decryptionFailures: number;
  decryptionFailedClients: number;
}

const emptyBucket = (): Bucket => ({
  peak: 0,
  sum: 0,
  samples: 0,
  messages: 0,
  apiCalls: 0,
  webhookDeliveries: 0,
  decryptionFailures: 0,
  decryptionFailedClients: 0,
});

export class UsageHistory {
  readonly #store: StatsStore;
  readonly #nodeId: string;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #flushIntervalMs: number;
  readonly #sampleIntervalMs: number;
  /** appId → connections this node holds now. */
  readonly #connections = new Map<string, number>();
  /** `minute|appId` → what was counted and not yet flushed. */
  #pending = new Map<string, Bucket>();
  #timers: NodeJS.Timeout[] = [];
  #flushing: Promise<void> = Promise.resolve();
  #prunedAt = 0;

  constructor(options: UsageHistoryOptions) {
    this.#store = options.store;
    this.#nodeId = options.nodeId;
    this.#clock = options.clock ?? systemClock;
    this.#logger = options.logger ?? silentLogger;
    this.#flushIntervalMs = options.flushIntervalMs ?? 60_000;
    this.#sampleIntervalMs = options.sampleIntervalMs ?? 5_000;
  }

  start(): void {
    if (this.#timers.length > 0) return;
    const sample = setInterval(() => {
      this.sample();
    }, this.#sampleIntervalMs);
    const flush = setInterval(() => void this.flush(), this.#flushIntervalMs);
    sample.unref();
    flush.unref();
    this.#timers = [sample, flush];
  }

  connectionOpened(appId: string): void {
    const now = (this.#connections.get(appId) ?? 0) + 1;
    this.#connections.set(appId, now);
    const bucket = this.#bucket(appId);
    if (now > bucket.peak) bucket.peak = now;
  }

  connectionClosed(appId: string): void {
    const now = (this.#connections.get(appId) ?? 0) - 1;
    if (now > 0) this.#connections.set(appId, now);
    else this.#connections.delete(appId);
  }

  addMessages(appId: string, count: number): void {
    if (count > 0) this.#bucket(appId).messages += count;
  }

  apiCall(appId: string): void {
    this.#bucket(appId).apiCalls += 1;
  }

  webhookDelivered(appId: string): void {
    this.#bucket(appId).webhookDeliveries += 1;
  }

  /** Failures reported by client helpers; `newClient` counts the reporting connection once an hour. */
  decryptionFailures(appId: string, failures: number, newClient: boolean): void {
    const bucket = this.#bucket(appId);
    bucket.decryptionFailures += failures;
    if (newClient) bucket.decryptionFailedClients += 1;
  }

  /** Adds one sample of every app's connection count to the current minute. */
  sample(): void {
    for (const [appId, count] of this.#connections) {
      const bucket = this.#bucket(appId);
      bucket.sum += count;
      bucket.samples += 1;
      if (count > bucket.peak) bucket.peak = count;
    }
  }

  /** Adds what was counted to the store (one flush at a time), then prunes old rows about hourly. */
  flush(): Promise<void> {
    this.#flushing = this.#flushing.then(() => this.#flushOnce());
    return this.#flushing;
  }

  async close(): Promise<void> {
    for (const timer of this.#timers) clearInterval(timer);
    this.#timers = [];
    await this.flush();
  }

  async #flushOnce(): Promise<void> {
    const batch = this.#pending;
    this.#pending = new Map();
    const samples: StatsSample[] = [];
    for (const [key, b] of batch) {
      const at = key.indexOf('|');
      samples.push({
        appId: key.slice(at + 1),
        minute: Number(key.slice(0, at)),
        connectionsPeak: b.peak,
        connectionsSum: b.sum,
        connectionsSamples: b.samples,
        messages: b.messages,
        apiCalls: b.apiCalls,
        webhookDeliveries: b.webhookDeliveries,
        decryptionFailures: b.decryptionFailures,
        decryptionFailedClients: b.decryptionFailedClients,
      });
    }
    if (samples.length > 0) {
      try {
        await this.#store.addStats(this.#nodeId, samples);
      } catch (error) {
        for (const [key, b] of batch) this.#merge(key, b);
        this.#logger.warn({ err: String(error), buckets: samples.length }, 'usage history flush failed');
        return;
      }
    }
    const now = this.#clock.now();
    if (now - this.#prunedAt < HOUR_MS) return;
    this.#prunedAt = now;
    await this.#store
      .pruneStats(now - MINUTE_RETENTION_MS, now - HOUR_RETENTION_MS)
      .catch((error: unknown) => {
        this.#logger.warn({ err: String(error) }, 'usage history prune failed');
      });
  }

  #merge(key: string, b: Bucket): void {
    const into = this.#pending.get(key);
    if (!into) {
      this.#pending.set(key, b);
      return;
    }
    into.peak = Math.max(into.peak, b.peak);
    into.sum += b.sum;
    into.samples += b.samples;
    into.messages += b.messages;
    into.apiCalls += b.apiCalls;
    into.webhookDeliveries += b.webhookDeliveries;
    into.decryptionFailures += b.decryptionFailures;
    into.decryptionFailedClients += b.decryptionFailedClients;
  }

  /**
   * The bucket last used (every publish counts twice, API call and messages, mostly for one app):
   * valid while it is still in the pending map it was put in, for its app and minute.
   */
  #lastPending: Map<string, Bucket> | undefined;
  #lastAppId = '';
  #lastMinute = 0;
  #lastBucket: Bucket | undefined;

  #bucket(appId: string): Bucket {
    const now = this.#clock.now();
    const minute = now - (now % MINUTE_MS);
    if (
      this.#lastBucket !== undefined &&
      this.#lastPending === this.#pending &&
      this.#lastMinute === minute &&
      this.#lastAppId === appId
    )
      return this.#lastBucket;
    const key = `${minute}|${appId}`;
    let bucket = this.#pending.get(key);
    if (!bucket) {
      bucket = emptyBucket();
      // A new minute starts at the connections already held.
      bucket.peak = this.#connections.get(appId) ?? 0;
      this.#pending.set(key, bucket);
    }
    this.#lastPending = this.#pending;
    this.#lastAppId = appId;
    this.#lastMinute = minute;
    this.#lastBucket = bucket;
    return bucket;
  }
}

/** The engine's and webhook worker's metrics, also counted into the usage history. */
export function withHistory(
  inner: Metrics & WebhookMetrics,
  history: UsageHistory,
): Metrics & WebhookMetrics {
  return {
    connectionOpened(appId) {
      inner.connectionOpened(appId);
      history.connectionOpened(appId);
    },
    connectionClosed(appId) {
      inner.connectionClosed(appId);
      history.connectionClosed(appId);
    },
    messageIn: (appId, bytes) => {
      inner.messageIn(appId, bytes);
    },
    messagesOut: (appId, count, bytes) => {
      inner.messagesOut(appId, count, bytes);
    },
    httpCall: (route, status) => {
      inner.httpCall(route, status);
    },
    apiCall(appId) {
      inner.apiCall?.(appId);
      history.apiCall(appId);
    },
    decryptionFailures(appId, failures, newClient) {
      inner.decryptionFailures?.(appId, failures, newClient);
      history.decryptionFailures(appId, failures, newClient);
    },
    publishRejected: (reason) => {
      inner.publishRejected(reason);
    },
    webhookEventsQueued: (appId, count) => {
      inner.webhookEventsQueued(appId, count);
    },
    webhookInFlight: (appId, delta) => {
      inner.webhookInFlight(appId, delta);
    },
    webhookAttempt(appId, outcome, seconds) {
      inner.webhookAttempt(appId, outcome, seconds);
      if (outcome === 'delivered') history.webhookDelivered(appId);
    },
  };
}
