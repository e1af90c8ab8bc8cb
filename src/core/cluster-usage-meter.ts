import type { App } from './app.js';
import type { Adapter } from './ports/adapter.js';
import { systemClock, type Clock } from './ports/clock.js';
import type { UsageMeter } from './ports/usage-meter.js';

/** `YYYY-MM-DD` of a time in UTC: the day a message counts against (quotas reset at 00:00 UTC). */
export function utcDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

export const messagesCounter = (accountId: string, day: string): string => `msg:${accountId}:${day}`;

/**
 * Message counts kept in the cluster's replicated counters, so every node sees the account's total.
 * The management layer wraps it to persist daily totals and raise the 80 % warning.
 */
export class ClusterUsageMeter implements UsageMeter {
  readonly #adapter: Adapter;
  readonly #clock: Clock;

  constructor(adapter: Adapter, clock: Clock = systemClock) {
    this.#adapter = adapter;
    this.#clock = clock;
  }

  addMessages(app: App, count: number): void {
    this.#adapter.addToCounter(messagesCounter(app.accountId, utcDay(this.#clock.now())), count);
  }

  messagesToday(accountId: string): number {
    return this.#adapter.counterTotal(messagesCounter(accountId, utcDay(this.#clock.now())));
  }
}
