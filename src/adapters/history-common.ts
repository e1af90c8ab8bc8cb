/** What the cluster history engines share: their error, and waiting for a connection with a deadline. */
import type { HistoryRetention } from '../core/ports/channel-history.js';

/** A history call that could not reach its backend (down, cut, slower than the deadline). */
export class HistoryUnavailableError extends Error {
  readonly engine: string;
  constructor(engine: string, reason: string) {
    super(`history unavailable (${engine}): ${reason}`);
    this.name = 'HistoryUnavailableError';
    this.engine = engine;
  }
}

/**
 * Resolves true as soon as `isReady()` holds, false after `deadlineMs`. `subscribe(wake)` registers
 * a wake-up on the connection's ready event and returns its removal.
 */
export async function readyWithin(
  deadlineMs: number,
  isReady: () => boolean,
  subscribe: (wake: () => void) => () => void,
): Promise<boolean> {
  if (isReady()) return true;
  return new Promise<boolean>((resolve) => {
    const done = (value: boolean): void => {
      clearTimeout(timer);
      unsubscribe();
      resolve(value);
    };
    const timer = setTimeout(() => {
      done(isReady());
    }, deadlineMs);
    const unsubscribe = subscribe(() => {
      done(true);
    });
  });
}

export interface PendingGap {
  readonly appId: string;
  readonly channel: string;
  readonly retention: HistoryRetention;
}

/**
 * Channels whose append failed on this node: the event went out live but is not in the history, so
 * a reader whose `since` is older must not be told its history is complete. Once the backend answers
 * again, the engine writes a gap marker into each such channel (an entry readers skip, and that makes
 * `complete` false for any `since` before it). Bounded: past `max` channels the oldest are forgotten
 * (a reader of those may then miss the lost event without being told).
 */
export class GapLedger {
  readonly #pending = new Map<string, PendingGap>();
  readonly #max: number;

  constructor(max = 10_000) {
    this.#max = max;
  }

  get size(): number {
    return this.#pending.size;
  }

  add(gap: PendingGap): void {
    const key = `${gap.appId}\n${gap.channel}`;
    this.#pending.delete(key);
    this.#pending.set(key, gap);
    if (this.#pending.size > this.#max) {
      const oldest = this.#pending.keys().next();
      if (oldest.done !== true) this.#pending.delete(oldest.value);
    }
  }

  /** Removes and returns every pending gap; put back with `add` those that could not be written. */
  takeAll(): PendingGap[] {
    const all = [...this.#pending.values()];
    this.#pending.clear();
    return all;
  }

  dropApp(appId: string): void {
    for (const [key, gap] of this.#pending) if (gap.appId === appId) this.#pending.delete(key);
  }
}

/** `work`, or a rejection after `ms` (then `onExpire` runs); `work` keeps running either way. */
export async function withinDeadline<T>(work: Promise<T>, ms: number, onExpire?: () => void): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      onExpire?.();
      reject(new Error(`no answer within ${String(ms)} ms`));
    }, ms);
  });
  try {
    return await Promise.race([work, expired]);
  } finally {
    clearTimeout(timer);
    work.catch(() => undefined);
  }
}
