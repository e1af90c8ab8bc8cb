// Whether the store can be used right now, as readiness reports it: both stores record failures
// here (PostgreSQL unreachable or too slow, the SQLite file gone or unwritable) and successes that
// end them. A change of state is logged once (loss, then recovery), never per failed call.
import type { Logger } from '../core/ports/logger.js';

export interface StoreHealthReport {
  readonly ok: boolean;
  /** Why the store cannot be used (absent when ok). Never holds a password. */
  readonly detail?: string;
  /** Epoch ms of the first failure of the current outage. */
  readonly since?: number;
}

/** What both stores offer beyond the Store port: a readiness check. */
export interface HealthReporting {
  /** Checks the database now (bounded by the store's timeout) and reports. Never throws. */
  checkHealth(): Promise<StoreHealthReport>;
}

export class StoreHealth {
  readonly #what: string;
  readonly #logger: Logger | undefined;
  #failing: { detail: string; since: number } | undefined;
  /** When the last outage ended: a call begun before it says nothing about the store now. */
  #recoveredAt = 0;

  constructor(what: string, logger: Logger | undefined) {
    this.#what = what;
    this.#logger = logger;
  }

  get ok(): boolean {
    return this.#failing === undefined;
  }

  report(): StoreHealthReport {
    const failing = this.#failing;
    return failing === undefined ? { ok: true } : { ok: false, ...failing };
  }

  /**
   * Records a failure. `startedAt` is when the failed call began: a call begun during an outage
   * that has ended since (e.g. it timed out just after recovery) does not open a new one.
   */
  fail(detail: string, startedAt = Date.now()): void {
    if (this.#failing === undefined && startedAt < this.#recoveredAt) return;
    if (this.#failing !== undefined) {
      this.#failing = { detail, since: this.#failing.since };
      return;
    }
    this.#failing = { detail, since: Date.now() };
    this.#logger?.error({ store: this.#what, reason: detail }, 'database unavailable');
  }

  recover(): void {
    const failing = this.#failing;
    if (failing === undefined) return;
    this.#failing = undefined;
    this.#recoveredAt = Date.now();
    this.#logger?.info({ store: this.#what, downMs: Date.now() - failing.since }, 'database available again');
  }
}
