// The engine's WebhookSink: decided events go into an in-memory buffer (emit is a few map lookups
// and a JSON.stringify, off the fan-out path) and are written to the store's durable queue moments
// later, in order, in one transaction per flush. Which endpoints get an event is decided here from
// a cached copy of the app's endpoint configuration, refreshed whenever the app is announced as
// changed (every webhook change is) and every 30 s.
import type { App } from '../core/app.js';
import type { AppDirectory } from '../core/ports/app-directory.js';
import type { Clock } from '../core/ports/clock.js';
import type { Logger } from '../core/ports/logger.js';
import type { WebhookMetrics } from '../core/ports/metrics.js';
import type { WebhookEmitOptions, WebhookPayload, WebhookSink } from '../core/ports/webhook-sink.js';
import type {
  NewWebhookEvent,
  WebhookEndpointRecord,
  WebhookEventType,
  WebhookStore,
} from '../core/ports/webhook-store.js';

export interface SinkOptions {
  readonly store: WebhookStore;
  readonly directory: AppDirectory;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics: WebhookMetrics;
  /** How long channel_vacated and member_removed are held (default 3000 ms). */
  readonly holdMs: number;
  /** Called after events were written (the worker looks for work). */
  readonly onWritten: () => void;
  /** Events kept in memory while the store cannot be written (default 100 000). */
  readonly maxBuffered?: number;
  /** Delay before a flush, to write a burst in one transaction (default 5 ms). */
  readonly flushDelayMs?: number;
}

/** The event a held one is cancelled by. */
const CANCELLED_BY: Partial<Record<WebhookEventType, WebhookEventType>> = {
  channel_vacated: 'channel_occupied',
  member_removed: 'member_added',
};
const CANCELS: Partial<Record<WebhookEventType, WebhookEventType>> = {
  channel_occupied: 'channel_vacated',
  member_added: 'member_removed',
};

function wants(endpoint: WebhookEndpointRecord, name: WebhookEventType, channel: string): boolean {
  return (
    endpoint.eventTypes.includes(name) &&
    (endpoint.channelPrefix === null || channel.startsWith(endpoint.channelPrefix))
  );
}

export class StoreWebhookSink implements WebhookSink {
  readonly #o: SinkOptions;
  readonly #endpoints = new Map<string, WebhookEndpointRecord[]>();
  #buffer: NewWebhookEvent[] = [];
  #flushTimer: NodeJS.Timeout | undefined;
  #flushing: Promise<void> | undefined;
  #refresh: NodeJS.Timeout | undefined;
  #unsubscribe: (() => void) | undefined;
  #dropped = 0;
  readonly #dirty = new Set<string>();
  #dirtyTimer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(options: SinkOptions) {
    this.#o = options;
  }

  async start(): Promise<void> {
    await this.#loadAll();
    this.#unsubscribe = this.#o.directory.onChange((appId) => {
      this.#dirty.add(appId);
      this.#dirtyTimer ??= setTimeout(() => {
        this.#dirtyTimer = undefined;
        void this.#reloadDirty();
      }, 20);
    });
    this.#refresh = setInterval(() => {
      void this.#loadAll().catch((error: unknown) => {
        this.#o.logger.warn({ err: error }, 'webhook endpoint refresh failed');
      });
    }, 30_000);
    this.#refresh.unref();
  }

  async #loadAll(): Promise<void> {
    const all = await this.#o.store.listEndpoints();
    const byApp = new Map<string, WebhookEndpointRecord[]>();
    for (const endpoint of all) {
      if (!endpoint.enabled) continue;
      let list = byApp.get(endpoint.appId);
      if (!list) byApp.set(endpoint.appId, (list = []));
      list.push(endpoint);
    }
    this.#endpoints.clear();
    for (const [appId, list] of byApp) this.#endpoints.set(appId, list);
  }

  async #loadApp(appId: string): Promise<void> {
    try {
      const list = (await this.#o.store.listEndpoints(appId)).filter((e) => e.enabled);
      if (list.length === 0) this.#endpoints.delete(appId);
      else this.#endpoints.set(appId, list);
    } catch (error) {
      this.#o.logger.warn({ err: error, appId }, 'could not reload webhook endpoints');
    }
  }

  /** Apps announced as changed, re-read together (a directory resync announces every app). */
  async #reloadDirty(): Promise<void> {
    const apps = [...this.#dirty];
    this.#dirty.clear();
    if (apps.length > 20) {
      await this.#loadAll().catch((error: unknown) => {
        this.#o.logger.warn({ err: error }, 'webhook endpoint refresh failed');
      });
      return;
    }
    for (const appId of apps) await this.#loadApp(appId);
  }

  /** Re-reads one app's endpoints now (a change made on this node). */
  reload(appId: string): Promise<void> {
    return this.#loadApp(appId);
  }

  emit(app: App, event: WebhookPayload, options?: WebhookEmitOptions): void {
    const endpoints = this.#endpoints.get(app.id);
    if (!endpoints || this.#closed) return;
    const { name, channel } = event;
    const endpointIds: string[] = [];
    for (const endpoint of endpoints) if (wants(endpoint, name, channel)) endpointIds.push(endpoint.id);
    // An event nobody wants still matters when it holds back or cancels one somebody wants.
    const partner = CANCELLED_BY[name] ?? CANCELS[name];
    if (
      endpointIds.length === 0 &&
      (partner === undefined || !endpoints.some((e) => wants(e, partner, channel)))
    )
      return;
    if (this.#buffer.length >= (this.#o.maxBuffered ?? 100_000)) {
      if (this.#dropped++ % 1000 === 0)
        this.#o.logger.error(
          { appId: app.id, dropped: this.#dropped },
          'webhook buffer full: the store is not accepting writes; events dropped',
        );
      return;
    }
    const now = this.#o.clock.now();
    const entry: NewWebhookEvent = {
      appId: app.id,
      name,
      channel,
      userId: 'user_id' in event ? (event.user_id ?? null) : null,
      payload: JSON.stringify(event),
      endpointIds,
      ...(CANCELLED_BY[name] === undefined ? {} : { holdUntil: now + this.#o.holdMs }),
      ...(options?.dedupeKey === undefined ? {} : { dedupeKey: options.dedupeKey }),
    };
    // The engine learns of a presence channel's first member (member_added) just before it counts
    // the channel occupied, within the same subscribe: put channel_occupied first, as Pusher does.
    let at = this.#buffer.length;
    if (name === 'channel_occupied') {
      for (let i = at - 1; i >= Math.max(0, at - 4); i--) {
        const prior = this.#buffer[i];
        if (prior?.name === 'member_added' && prior.channel === channel && prior.appId === app.id) at = i;
      }
    }
    this.#buffer.splice(at, 0, entry);
    this.#flushTimer ??= setTimeout(() => {
      this.#flushTimer = undefined;
      void this.flush();
    }, this.#o.flushDelayMs ?? 5);
  }

  /** Writes what is buffered (in order; one flush at a time). */
  flush(): Promise<void> {
    this.#flushing ??= this.#write().finally(() => {
      this.#flushing = undefined;
    });
    return this.#flushing;
  }

  async #write(): Promise<void> {
    while (this.#buffer.length > 0) {
      const batch = this.#buffer;
      this.#buffer = [];
      try {
        await this.#o.store.enqueue(batch, this.#o.clock.now());
      } catch (error) {
        // Keep them, in order, ahead of anything newer, and try again shortly.
        this.#buffer = batch.concat(this.#buffer);
        this.#o.logger.warn({ err: error, events: batch.length }, 'could not write webhook events; retrying');
        if (!this.#closed) {
          this.#flushTimer ??= setTimeout(() => {
            this.#flushTimer = undefined;
            void this.flush();
          }, 1000);
        }
        return;
      }
      for (const event of batch) {
        if (event.holdUntil === undefined && event.endpointIds.length > 0)
          this.#o.metrics.webhookEventsQueued(event.appId, event.endpointIds.length);
      }
      this.#o.onWritten();
    }
  }

  /** Writes what is left and stops. */
  async close(): Promise<void> {
    this.#closed = true;
    if (this.#flushTimer) clearTimeout(this.#flushTimer);
    this.#flushTimer = undefined;
    if (this.#refresh) clearInterval(this.#refresh);
    if (this.#dirtyTimer) clearTimeout(this.#dirtyTimer);
    this.#unsubscribe?.();
    await this.flush();
  }
}
