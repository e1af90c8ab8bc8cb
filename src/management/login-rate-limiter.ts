// Failed sign-ins per email+IP in a sliding window: after `maxFailures` within `windowMs`, further
// attempts are refused until the oldest failure leaves the window. In memory, per node.
import type { Clock } from '../core/ports/clock.js';

export class LoginRateLimiter {
  readonly #failures = new Map<string, number[]>();
  readonly #clock: Clock;
  readonly #maxFailures: number;
  readonly #windowMs: number;

  constructor(clock: Clock, maxFailures = 5, windowMs = 15 * 60_000) {
    this.#clock = clock;
    this.#maxFailures = maxFailures;
    this.#windowMs = windowMs;
  }

  #recent(key: string): number[] {
    const since = this.#clock.now() - this.#windowMs;
    const list = (this.#failures.get(key) ?? []).filter((t) => t > since);
    if (list.length === 0) this.#failures.delete(key);
    else this.#failures.set(key, list);
    return list;
  }

  isBlocked(key: string): boolean {
    return this.#recent(key).length >= this.#maxFailures;
  }

  recordFailure(key: string): void {
    const list = this.#recent(key);
    list.push(this.#clock.now());
    this.#failures.set(key, list);
    if (this.#failures.size > 100_000) this.#sweep();
  }

  reset(key: string): void {
    this.#failures.delete(key);
  }

  #sweep(): void {
    for (const key of [...this.#failures.keys()]) this.#recent(key);
  }
}
