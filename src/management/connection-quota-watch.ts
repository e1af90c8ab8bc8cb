// The 80 % warning for the concurrent-connection quota: the engine enforces the quota itself; this
// watch looks at the live cluster-wide counts every few seconds and writes one `usage.warning`
// audit entry per account and UTC day when an account is at or above 80 % of its plan's limit.
import type { Clock } from '../core/ports/clock.js';
import type { Logger } from '../core/ports/logger.js';
import type { RealtimeView } from '../core/ports/realtime-view.js';
import type { AuditLog } from './audit.js';
import type { PlanTable } from './plans.js';
import type { StoreAppDirectory } from './store-app-directory.js';
import { utcDay, WARNING_RATIO } from './store-usage-meter.js';

export interface ConnectionQuotaWatchOptions {
  readonly plans: PlanTable;
  readonly audit: AuditLog;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly directory: StoreAppDirectory;
  readonly realtime: () => RealtimeView | undefined;
}

export class ConnectionQuotaWatch {
  readonly #o: ConnectionQuotaWatchOptions;
  /** `day|accountId` already warned (here, or found in the audit log). */
  readonly #warned = new Set<string>();
  #timer: NodeJS.Timeout | undefined;
  #running = false;

  constructor(options: ConnectionQuotaWatchOptions) {
    this.#o = options;
  }

  start(intervalMs: number): void {
    if (intervalMs <= 0 || this.#timer) return;
    this.#timer = setInterval(() => void this.check(), intervalMs);
    this.#timer.unref();
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  async check(): Promise<void> {
    const view = this.#o.realtime();
    if (!view || this.#running) return;
    this.#running = true;
    try {
      const day = utcDay(this.#o.clock.now());
      const accounts = new Map<string, number | null>();
      for (const app of this.#o.directory.all()) accounts.set(app.accountId, app.plan.maxConnections);
      for (const [accountId, limit] of accounts) {
        if (limit === null || limit === 0 || this.#warned.has(`${day}|${accountId}`)) continue;
        const used = view.accountConnectionCount(accountId);
        if (used < limit * WARNING_RATIO) continue;
        this.#warned.add(`${day}|${accountId}`);
        // Another node may have written today's warning already.
        const recent = await this.#o.audit.list(accountId, { limit: 100 });
        const already = recent.some(
          (e) => e.action === 'usage.warning' && e.details.quota === 'connections' && e.details.day === day,
        );
        if (already) continue;
        await this.#o.audit.record(accountId, 'system', 'usage.warning', `account:${accountId}`, {
          quota: 'connections',
          day,
          used,
          limit,
          percent: Math.floor((used / limit) * 100),
        });
        this.#o.logger.warn({ accountId, used, limit }, 'account passed 80% of its connection quota');
      }
    } catch (error) {
      this.#o.logger.warn(
        { err: error instanceof Error ? error.message : String(error) },
        'connection quota check failed',
      );
    } finally {
      this.#running = false;
    }
  }
}
