// When to send `pusher_internal:subscription_count` (PROTOCOL.md §10): on every change, except that
// channels with more than 100 subscribers get it at most every 5 s (the latest count, trailing).
import type { Clock } from './ports/clock.js';

export const COUNT_THROTTLE_THRESHOLD = 100;
export const COUNT_THROTTLE_MS = 5_000;

interface State {
  lastMs: number;
  timer: NodeJS.Timeout | undefined;
}

export class SubscriptionCountThrottle {
  readonly #clock: Clock;
  readonly #intervalMs: number;
  readonly #states = new Map<string, State>();

  constructor(clock: Clock, intervalMs = COUNT_THROTTLE_MS) {
    this.#clock = clock;
    this.#intervalMs = intervalMs;
  }

  /**
   * A channel's count changed to `total`: calls `send` now, or schedules one trailing call (which
   * reads the count current at that time through `send`'s caller).
   */
  changed(key: string, total: number, send: (trailing: boolean) => void): void {
    const now = this.#clock.now();
    const state = this.#states.get(key);
    if (total <= COUNT_THROTTLE_THRESHOLD || !state || now - state.lastMs >= this.#intervalMs) {
      if (state?.timer) clearTimeout(state.timer);
      if (total > COUNT_THROTTLE_THRESHOLD) this.#states.set(key, { lastMs: now, timer: undefined });
      else this.#states.delete(key);
      send(false);
      return;
    }
    if (state.timer) return;
    state.timer = setTimeout(
      () => {
        state.timer = undefined;
        state.lastMs = this.#clock.now();
        send(true);
      },
      this.#intervalMs - (now - state.lastMs),
    );
    state.timer.unref();
  }

  close(): void {
    for (const state of this.#states.values()) if (state.timer) clearTimeout(state.timer);
    this.#states.clear();
  }
}
