/**
 * What the cluster history engines share: their error, waiting for a connection with a deadline,
 * and the gap markers of failed appends.
 */
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

/** How an engine writes one gap marker, and whether it can try now (connected, not closed). */
export interface GapWriter {
  readonly write: (gap: PendingGap) => Promise<unknown>;
  readonly canWrite: () => boolean;
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
  readonly #writer: GapWriter;
  readonly #max: number;
  #flushing = false;

  constructor(writer: GapWriter, max = 10_000) {
    this.#writer = writer;
    this.#max = max;
  }

  get size(): number {
    return this.#pending.size;
  }

  /** `append`'s outcome: a failure leaves a gap for `gap`'s channel, a success flushes pending gaps. */
  async track<T>(gap: PendingGap, append: Promise<T>): Promise<T> {
    try {
      const result = await append;
      if (this.#pending.size > 0) this.flush();
      return result;
    } catch (error) {
      this.#add(gap);
      throw error;
    }
  }

  #add(gap: PendingGap): void {
    const key = `${gap.appId}\n${gap.channel}`;
    this.#pending.delete(key);
    this.#pending.set(key, gap);
    if (this.#pending.size > this.#max) {
      const oldest = this.#pending.keys().next();
      if (oldest.done !== true) this.#pending.delete(oldest.value);
    }
  }

  /**
   * Writes a marker for every pending gap, all at once; those that fail stay pending. Does nothing
   * while an earlier flush runs or the writer cannot write.
   */
  flush(): void {
    if (this.#flushing || !this.#writer.canWrite()) return;
    this.#flushing = true;
    const gaps = [...this.#pending.values()];
    this.#pending.clear();
    void Promise.all(
      gaps.map(async (gap) =>
        this.#writer.write(gap).catch(() => {
          this.#add(gap);
        }),
      ),
    ).finally(() => {
      this.#flushing = false;
    });
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
