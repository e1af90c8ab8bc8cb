// The UsageMeter of the engine, persisted in the store. Counting is in memory (the publish and
// delivery hot paths call it); a flush every `flushIntervalMs` (and on close) adds the pending counts
// to the store, whose atomic increment returns the cluster-wide total. The flush that carries an
// account over 80 % of its daily quota writes the single `usage.warning` audit entry of that day.
import type { App } from '../core/app.js';
import { systemClock, type Clock } from '../core/ports/clock.js';
import { silentLogger, type Logger } from '../core/ports/logger.js';
import type { UsageMeter } from '../core/ports/usage-meter.js';
import type { AuditLog } from './audit.js';
import type { PlanTable } from './plans.js';
import type { Store } from './store.js';

export const WARNING_RATIO = 0.8;
const DAY_MS = 86_400_000;

export function utcDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

export interface StoreUsageMeterOptions {
  readonly store: Pick<Store, 'accounts' | 'usage'>;
  readonly plans: PlanTable;
  readonly audit: AuditLog;
  readonly clock?: Clock;
  readonly logger?: Logger;
  readonly flushIntervalMs?: number;
  /**
   * The cluster's live meter (core ClusterUsageMeter): counts go to it too, and `messagesToday` is
   * the larger of its total (every node, since the cluster started) and the store's (every node,
   * as of the last flush, plus this node's counts since).
   */
  readonly inner?: UsageMeter;
  /** Where messages are also counted per app and minute (the usage history). */
  readonly history?: { addMessages(appId: string, count: number): void };
}

export class StoreUsageMeter implements UsageMeter {
  readonly #store: Pick<Store, 'accounts' | 'usage'>;
  readonly #plans: PlanTable;
  readonly #audit: AuditLog;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #flushIntervalMs: number;
  readonly #inner: UsageMeter | undefined;
  readonly #history: StoreUsageMeterOptions['history'];
  #day: string;
  #dayEnds: number;
  /** accountId → cluster-wide total known at the last flush plus this node's counts since. */
  #totals = new Map<string, number>();
  /** appId → counted by this node today (the store keeps account totals only). */
  #appCounts = new Map<string, number>();
  /** `day|accountId` → counted here, not yet in the store. */
  #pending = new Map<string, number>();
  #timer: NodeJS.Timeout | undefined;
  #flushing: Promise<void> = Promise.resolve();

  constructor(options: StoreUsageMeterOptions) {
    this.#store = options.store;
    this.#plans = options.plans;
    this.#audit = options.audit;
    this.#clock = options.clock ?? systemClock;
    this.#logger = options.logger ?? silentLogger;
    this.#flushIntervalMs = options.flushIntervalMs ?? 1000;
    this.#inner = options.inner;
    this.#history = options.history;
    const now = this.#clock.now();
    this.#day = utcDay(now);
    this.#dayEnds = Math.floor(now / DAY_MS) * DAY_MS + DAY_MS;
  }

  /** Seeds today's totals from the store and starts the periodic flush. */
  async start(): Promise<void> {
    this.#rollover();
    const accounts = await this.#store.accounts.listAccounts();
    const day = this.#day;
    const totals = await Promise.all(accounts.map((a) => this.#store.usage.getUsage(a.id, day)));
    accounts.forEach((a, i) => {
      const stored = totals[i] ?? 0;
      this.#totals.set(a.id, stored + (this.#pending.get(`${day}|${a.id}`) ?? 0));
    });
    this.#timer ??= setInterval(() => void this.flush(), this.#flushIntervalMs);
    this.#timer.unref();
  }

  addMessages(app: App, count: number): void {
    if (count <= 0) return;
    this.#inner?.addMessages(app, count);
    this.#history?.addMessages(app.id, count);
    this.#rollover();
    this.#totals.set(app.accountId, (this.#totals.get(app.accountId) ?? 0) + count);
    this.#appCounts.set(app.id, (this.#appCounts.get(app.id) ?? 0) + count);
    const key = this.#pendingKey(app.accountId);
    this.#pending.set(key, (this.#pending.get(key) ?? 0) + count);
  }

  /** `day|accountId` of the last account counted, kept (built and hashed once, not per publish). */
  #keyDay = '';
  #keyAccount = '';
  #key = '';

  #pendingKey(accountId: string): string {
    if (accountId !== this.#keyAccount || this.#day !== this.#keyDay) {
      this.#keyDay = this.#day;
      this.#keyAccount = accountId;
      this.#key = `${this.#day}|${accountId}`;
    }
    return this.#key;
  }

  messagesToday(accountId: string): number {
    this.#rollover();
    const stored = this.#totals.get(accountId) ?? 0;
    return this.#inner ? Math.max(stored, this.#inner.messagesToday(accountId)) : stored;
  }

  /** Messages of one app counted by this node since 00:00 UTC (or since it started). */
  appMessagesToday(appId: string): number {
    this.#rollover();
    return this.#appCounts.get(appId) ?? 0;
  }

  /** Writes pending counts to the store (serialized: one flush at a time). */
  flush(): Promise<void> {
    this.#flushing = this.#flushing.then(() => this.#flushOnce());
    return this.#flushing;
  }

  async close(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    await this.flush();
  }

  async #flushOnce(): Promise<void> {
    this.#rollover();
    if (this.#pending.size === 0) return;
    const batch = this.#pending;
    this.#pending = new Map();
    const entries = [...batch];
    for (const [index, [key, count]] of entries.entries()) {
      const [day = '', accountId = ''] = key.split('|');
      let total: number;
      try {
        total = await this.#store.usage.addUsage(accountId, day, count);
      } catch (error) {
        // Keep this count and the rest for the next flush rather than lose them, and stop: the store
        // is unavailable or locked, and each further call would only wait for it again.
        for (const [left, n] of entries.slice(index))
          this.#pending.set(left, (this.#pending.get(left) ?? 0) + n);
        this.#logger.warn(
          { accountId, accountsLeft: entries.length - index, err: String(error) },
          'usage flush failed',
        );
        return;
      }
      if (day === this.#day) this.#totals.set(accountId, total + (this.#pending.get(key) ?? 0));
      await this.#maybeWarn(accountId, day, total - count, total);
    }
  }

  async #maybeWarn(accountId: string, day: string, before: number, after: number): Promise<void> {
    const account = await this.#store.accounts.findAccount(accountId);
    if (!account) return;
    const quota = this.#plans[account.plan].maxMessagesPerDay;
    if (quota === null) return;
    const threshold = Math.ceil(quota * WARNING_RATIO);
    if (before >= threshold || after < threshold) return;
    await this.#audit.record(accountId, 'system', 'usage.warning', `account:${accountId}`, {
      quota: 'messages_per_day',
      day,
      used: after,
      limit: quota,
      percent: Math.floor((after / quota) * 100),
    });
    this.#logger.warn(
      { accountId, day, used: after, limit: quota },
      'account passed 80% of its daily message quota',
    );
  }

  #rollover(): void {
    const now = this.#clock.now();
    if (now < this.#dayEnds) return;
    this.#day = utcDay(now);
    this.#dayEnds = Math.floor(now / DAY_MS) * DAY_MS + DAY_MS;
    // Counts of the previous day still pending keep their day in their key and are flushed under it.
    this.#totals = new Map();
    this.#appCounts = new Map();
  }
}
