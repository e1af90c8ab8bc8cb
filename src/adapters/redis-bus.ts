import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import type { ClusterBus } from '../core/ports/cluster-bus.js';

/**
 * ClusterBus over Redis pub/sub: one publishing and one subscribed connection, one channel per
 * cluster (`<prefix>cluster`). Redis echoes a publisher's own messages; each message is prefixed
 * with this bus's id so the echo is dropped here, as the port promises.
 */
export class RedisBus implements ClusterBus {
  readonly #pub: Redis;
  readonly #sub: Redis;
  readonly #channel: string;
  readonly #origin = `${randomUUID()}|`;

  constructor(url: string, prefix = 'mawjly:') {
    const options = { lazyConnect: false, maxRetriesPerRequest: null, enableAutoPipelining: true };
    this.#pub = new Redis(url, options);
    this.#sub = new Redis(url, options);
    this.#channel = `${prefix}cluster`;
  }

  publish(message: string): void {
    // Fire-and-forget: a lost message during a Redis outage is covered by snapshots on reconnect.
    this.#pub.publish(this.#channel, this.#origin + message).catch(() => undefined);
  }

  async subscribe(handler: (message: string) => void): Promise<void> {
    this.#sub.on('message', (channel: string, message: string) => {
      if (channel === this.#channel && !message.startsWith(this.#origin))
        handler(message.slice(message.indexOf('|') + 1));
    });
    await this.#sub.subscribe(this.#channel);
  }

  async close(): Promise<void> {
    await Promise.allSettled([this.#pub.quit(), this.#sub.quit()]);
  }
}
