// The engine's AppDirectory backed by the store: every app is held in memory as a core App and
// refreshed the moment the management services change it (`changed`), or when another node
// announces a change (`reload`). A previous secret stops verifying at the end of its grace period
// even though nothing reloads then: lookups drop it once the clock passes its deadline.
import type { App } from '../core/app.js';
import { MemoryAppDirectory } from '../core/memory-app-directory.js';
import type { AppDirectory } from '../core/ports/app-directory.js';
import { systemClock, type Clock } from '../core/ports/clock.js';
import { toCoreSettings } from './app-settings.js';
import type { PlanTable } from './plans.js';
import type { AccountRecord, AppRecord, Store } from './store.js';

export function toCoreApp(record: AppRecord, account: AccountRecord, plans: PlanTable, now: number): App {
  const secrets = [record.secret];
  if (
    record.previousSecret !== null &&
    record.previousSecretValidUntil !== null &&
    now < record.previousSecretValidUntil
  ) {
    secrets.push(record.previousSecret);
  }
  return {
    id: record.id,
    key: record.key,
    secrets,
    accountId: record.accountId,
    name: record.name,
    plan: plans[account.plan],
    settings: toCoreSettings(record.settings, plans[account.plan]),
  };
}

export interface StoreAppDirectoryOptions {
  readonly store: Store;
  readonly plans: PlanTable;
  readonly clock?: Clock;
}

export class StoreAppDirectory implements AppDirectory {
  readonly #store: Store;
  readonly #plans: PlanTable;
  readonly #clock: Clock;
  readonly #memory = new MemoryAppDirectory();
  /** appId → end of the grace period of the previous secret still in `secrets`. */
  readonly #graceEnds = new Map<string, number>();
  readonly #localChangeListeners = new Set<(appId: string) => void>();
  /** appId → the record and plan the in-memory App was built from, to skip unchanged upserts. */
  readonly #versions = new Map<string, string>();
  #resyncTimer: NodeJS.Timeout | undefined;
  /** The full re-read in progress, and whether another one was asked for meanwhile. */
  #resyncing: Promise<void> | undefined;
  #resyncAgain = false;

  constructor(options: StoreAppDirectoryOptions) {
    this.#store = options.store;
    this.#plans = options.plans;
    this.#clock = options.clock ?? systemClock;
  }

  /**
   * Re-reads the whole store every `intervalMs` as a safety net: it picks up changes written by
   * processes that cannot announce them (the `mawjly` CLI) and any announcement a node missed.
   * Changes made through the services still apply at once.
   */
  startResync(intervalMs: number, onError: (error: unknown) => void): void {
    if (intervalMs <= 0 || this.#resyncTimer) return;
    this.#resyncTimer = setInterval(() => {
      this.resyncSoon(onError);
    }, intervalMs);
    this.#resyncTimer.unref();
  }

  stopResync(): void {
    if (this.#resyncTimer) clearInterval(this.#resyncTimer);
    this.#resyncTimer = undefined;
  }

  /**
   * A full re-read now (the store reported a change made elsewhere). Requests that arrive during a
   * re-read are coalesced into one more re-read after it, so a burst of changes costs two at most.
   */
  resyncSoon(onError: (error: unknown) => void): void {
    if (this.#resyncing) {
      this.#resyncAgain = true;
      return;
    }
    this.#resyncing = this.load()
      .catch(onError)
      .finally(() => {
        this.#resyncing = undefined;
        if (this.#resyncAgain) {
          this.#resyncAgain = false;
          this.resyncSoon(onError);
        }
      });
  }

  /** Loads every app of the store (at start, and on each resync); only changed apps are upserted. */
  async load(): Promise<void> {
    const [apps, accounts] = await Promise.all([
      this.#store.apps.listApps(),
      this.#store.accounts.listAccounts(),
    ]);
    const byId = new Map(accounts.map((a) => [a.id, a]));
    const seen = new Set<string>();
    for (const record of apps) {
      const account = byId.get(record.accountId);
      if (!account) continue;
      seen.add(record.id);
      this.#put(record, account);
    }
    for (const app of this.#memory.all()) if (!seen.has(app.id)) this.#remove(app.id);
  }

  /** Re-reads one app from the store (a change announced by another node). */
  async reload(appId: string): Promise<void> {
    const record = await this.#store.apps.findApp(appId);
    const account = record ? await this.#store.accounts.findAccount(record.accountId) : undefined;
    if (record && account) this.#put(record, account);
    else this.#remove(appId);
  }

  /** Re-reads every app of an account (a plan change). */
  async reloadAccount(accountId: string): Promise<string[]> {
    const [apps, account] = await Promise.all([
      this.#store.apps.listApps(accountId),
      this.#store.accounts.findAccount(accountId),
    ]);
    const ids = new Set(apps.map((a) => a.id));
    for (const app of this.#memory.appsOfAccount(accountId)) {
      if (!ids.has(app.id)) {
        this.#remove(app.id);
        ids.add(app.id);
      }
    }
    if (account) for (const record of apps) this.#put(record, account);
    return [...ids];
  }

  /** A change made on this node: refresh, then tell the local-change listeners (the cluster bus). */
  async changed(appId: string): Promise<void> {
    await this.reload(appId);
    this.#announce(appId);
  }

  async accountChanged(accountId: string): Promise<void> {
    for (const appId of await this.reloadAccount(accountId)) this.#announce(appId);
  }

  /** Listens for changes made through this node's services (to broadcast them to other nodes). */
  onLocalChange(listener: (appId: string) => void): () => void {
    this.#localChangeListeners.add(listener);
    return () => this.#localChangeListeners.delete(listener);
  }

  findByKey(key: string): App | undefined {
    return this.#fresh(this.#memory.findByKey(key));
  }

  findById(id: string): App | undefined {
    return this.#fresh(this.#memory.findById(id));
  }

  appsOfAccount(accountId: string): readonly App[] {
    return this.#memory.appsOfAccount(accountId).map((a) => this.#fresh(a) ?? a);
  }

  all(): readonly App[] {
    return this.#memory.all().map((a) => this.#fresh(a) ?? a);
  }

  onChange(listener: (appId: string, app: App | undefined) => void): () => void {
    return this.#memory.onChange(listener);
  }

  #announce(appId: string): void {
    for (const listener of this.#localChangeListeners) listener(appId);
  }

  #fresh(app: App | undefined): App | undefined {
    if (!app || this.#graceEnds.size === 0) return app;
    const grace = this.#graceEnds.get(app.id);
    if (grace === undefined || this.#clock.now() < grace) return app;
    this.#graceEnds.delete(app.id);
    const trimmed: App = { ...app, secrets: app.secrets.slice(0, 1) };
    this.#memory.upsert(trimmed);
    return trimmed;
  }

  #put(record: AppRecord, account: AccountRecord): void {
    const version = JSON.stringify([record, account.plan]);
    if (this.#versions.get(record.id) === version && this.#memory.findById(record.id)) return;
    this.#versions.set(record.id, version);
    const app = toCoreApp(record, account, this.#plans, this.#clock.now());
    if (app.secrets.length > 1 && record.previousSecretValidUntil !== null) {
      this.#graceEnds.set(app.id, record.previousSecretValidUntil);
    } else {
      this.#graceEnds.delete(app.id);
    }
    this.#memory.upsert(app);
  }

  #remove(appId: string): void {
    this.#versions.delete(appId);
    this.#graceEnds.delete(appId);
    this.#memory.remove(appId);
  }
}
