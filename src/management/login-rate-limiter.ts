// Attempts per key (email+IP for sign-ins) in a sliding window. An attempt is counted *before* the
// slow work it guards (the password hash), in the same synchronous step as the check, so parallel
// requests cannot all pass the check before any of them is counted: at most `maxAttempts` attempts
// per window get through, the rest are refused until the oldest leaves the window. A success
// clears the key. In memory, per node.
import type { Clock } from '../core/ports/clock.js';

export class LoginRateLimiter {
  readonly #attempts = new Map<string, number[]>();
  readonly #clock: Clock;
  readonly #maxAttempts: number;
  readonly #windowMs: number;

  constructor(clock: Clock, maxAttempts = 5, windowMs = 15 * 60_000) {
    this.#clock = clock;
    this.#maxAttempts = maxAttempts;
    this.#windowMs = windowMs;
  }

  #recent(key: string): number[] {
    const since = this.#clock.now() - this.#windowMs;
    const list = (this.#attempts.get(key) ?? []).filter((t) => t > since);
    if (list.length === 0) this.#attempts.delete(key);
    else this.#attempts.set(key, list);
    return list;
  }

  /** Counts an attempt and returns true, or returns false (counting nothing) when the key is at its limit. */
  tryAttempt(key: string): boolean {
    const list = this.#recent(key);
    if (list.length >= this.#maxAttempts) return false;
    list.push(this.#clock.now());
    this.#attempts.set(key, list);
    if (this.#attempts.size > 100_000) this.#sweep();
    return true;
  }

  /** Forgets the key's attempts (after a successful sign-in). */
  reset(key: string): void {
    this.#attempts.delete(key);
  }

  #sweep(): void {
    for (const key of [...this.#attempts.keys()]) this.#recent(key);
  }
}
