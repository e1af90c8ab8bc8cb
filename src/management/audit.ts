// The audit log: every change made through the management layer, by whom. Callers pass ids, names,
// fingerprints and counts in `details`, never a secret, a token, a password or a key.
import type { Clock } from '../core/ports/clock.js';
import type { AuditEntry, Store } from './store.js';

/** Who did it: `user:<email>`, `token:<prefix>`, `cli`, `system`. */
export type Actor = string;

export class AuditLog {
  readonly #store: Pick<Store, 'auditLog'>;
  readonly #clock: Clock;

  constructor(store: Pick<Store, 'auditLog'>, clock: Clock) {
    this.#store = store;
    this.#clock = clock;
  }

  record(
    accountId: string,
    actor: Actor,
    action: string,
    target: string | null,
    details: Readonly<Record<string, unknown>> = {},
  ): Promise<AuditEntry> {
    return this.#store.auditLog.appendAudit({
      accountId,
      time: this.#clock.now(),
      actor,
      action,
      target,
      details,
    });
  }

  list(accountId: string, options: { limit?: number; before?: string } = {}): Promise<AuditEntry[]> {
    return this.#store.auditLog.listAudit(accountId, options);
  }
}
