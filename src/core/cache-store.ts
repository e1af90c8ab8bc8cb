// Last REST event of each cache channel (PROTOCOL.md §2.6), with a TTL. Bounded: one entry per
// channel, dropped when it expires.
export interface CachedEvent {
  readonly event: string;
  readonly data: string;
  readonly expiresAtMs: number;
}

export class CacheStore {
  readonly #entries = new Map<string, CachedEvent>();
  readonly #ttlMs: number;

  constructor(ttlSeconds: number) {
    this.#ttlMs = ttlSeconds * 1000;
  }

  set(appId: string, channel: string, event: string, data: string, nowMs: number): void {
    this.#entries.set(`${appId}\u0000${channel}`, { event, data, expiresAtMs: nowMs + this.#ttlMs });
  }

  find(appId: string, channel: string, nowMs: number): CachedEvent | undefined {
    const key = `${appId}\u0000${channel}`;
    const entry = this.#entries.get(key);
    if (entry && entry.expiresAtMs <= nowMs) {
      this.#entries.delete(key);
      return undefined;
    }
    return entry;
  }

  /** Removes expired entries; called by the engine's sweeper. */
  sweep(nowMs: number): void {
    for (const [key, entry] of this.#entries) if (entry.expiresAtMs <= nowMs) this.#entries.delete(key);
  }
}
