import { randomUUID } from 'node:crypto';
import { Redis, type RedisOptions } from 'ioredis';
import type { ClusterBus } from '../core/ports/cluster-bus.js';

/**
 * ClusterBus over Redis pub/sub: one publishing and one subscribed connection, one channel per
 * cluster (`<prefix>cluster`). Redis echoes a publisher's own messages; each message is prefixed
 * with this bus's id so the echo is dropped here, as the port promises.
 *
 * Outages: the bus is connected when both connections are ready and the channel is subscribed
 * again; it reports each change once (`onConnectionChange`). Publishes are never queued while a
 * connection is down (no offline queue, no resend of unanswered commands): a queued publish flushed
 * on reconnect would race the other nodes' re-subscribe and arrive late or not at all. Errors are
 * kept as the detail of the next change instead of reaching stderr as unhandled `error` events.
 */
export class RedisBus implements ClusterBus {
  readonly kind = 'redis';
  readonly #pub: Redis;
  readonly #sub: Redis;
  readonly #channel: string;
  readonly #origin = `${randomUUID()}|`;
  #pubReady = false;
  #subReady = false;
  #reported = false;
  #closing = false;
  #lastError: string | undefined;
  #listener: ((connected: boolean, detail: string | undefined) => void) | undefined;
  #firstReady: (() => void) | undefined;

  constructor(url: string, prefix = 'mawjly:') {
    const common: RedisOptions = {
      lazyConnect: true,
      // Retry fast (at least every 0.5 s) so the window after Redis returns stays short.
      retryStrategy: (attempt: number) => Math.min(attempt * 100, 500),
    };
    this.#pub = new Redis(url, {
      ...common,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      autoResendUnfulfilledCommands: false,
      enableAutoPipelining: true,
    });
    this.#sub = new Redis(url, { ...common, autoResubscribe: false, maxRetriesPerRequest: null });
    this.#channel = `${prefix}cluster`;
    for (const client of [this.#pub, this.#sub]) {
      client.on('error', (error: Error) => {
        this.#lastError = error.message;
      });
    }
    this.#pub.on('ready', () => {
      this.#pubReady = true;
      this.#update();
    });
    this.#pub.on('close', () => {
      this.#pubReady = false;
      this.#update();
    });
    this.#sub.on('ready', () => {
      // Subscribed again before the bus counts as connected: the adapter re-syncs right after.
      this.#sub.subscribe(this.#channel).then(
        () => {
          this.#subReady = true;
          this.#update();
        },
        (error: unknown) => {
          this.#lastError = error instanceof Error ? error.message : String(error);
        },
      );
    });
    this.#sub.on('close', () => {
      this.#subReady = false;
      this.#update();
    });
  }

  publish(message: string): void {
    if (!this.#pubReady) return;
    // At most once: a publish that fails (connection lost meanwhile) is not retried.
    this.#pub.publish(this.#channel, this.#origin + message).catch(() => undefined);
  }

  async subscribe(handler: (message: string) => void): Promise<void> {
    this.#sub.on('message', (channel: string, message: string) => {
      if (channel === this.#channel && !message.startsWith(this.#origin))
        handler(message.slice(message.indexOf('|') + 1));
    });
    const ready = new Promise<void>((resolve) => {
      this.#firstReady = resolve;
    });
    // A failed first attempt is retried by retryStrategy; startup waits for Redis as before.
    this.#pub.connect().catch(() => undefined);
    this.#sub.connect().catch(() => undefined);
    await ready;
  }

  onConnectionChange(listener: (connected: boolean, detail: string | undefined) => void): void {
    this.#listener = listener;
  }

  async close(): Promise<void> {
    this.#closing = true;
    this.#firstReady?.();
    // QUIT needs a live connection; a client still reconnecting is just stopped.
    await Promise.allSettled(
      [this.#pub, this.#sub].map(async (client) => {
        if (client.status === 'ready') await client.quit();
        else client.disconnect();
      }),
    );
  }

  #update(): void {
    const connected = this.#pubReady && this.#subReady;
    if (connected === this.#reported || this.#closing) return;
    this.#reported = connected;
    if (connected && this.#firstReady) {
      this.#firstReady();
      this.#firstReady = undefined;
      return;
    }
    this.#listener?.(connected, connected ? undefined : this.#lastError);
    if (connected) this.#lastError = undefined;
  }
}
