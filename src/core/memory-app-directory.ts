import type { App } from './app.js';
import type { AppDirectory } from './ports/app-directory.js';

/**
 * An AppDirectory held in memory. The management layer uses it as the hot-path cache in front of the
 * store (it calls `upsert`/`remove` whenever a record changes); tests use it on its own.
 */
export class MemoryAppDirectory implements AppDirectory {
  readonly #byId = new Map<string, App>();
  readonly #byKey = new Map<string, App>();
  readonly #listeners = new Set<(appId: string, app: App | undefined) => void>();

  constructor(apps: Iterable<App> = []) {
    for (const app of apps) this.upsert(app);
  }

  findByKey(key: string): App | undefined {
    return this.#byKey.get(key);
  }

  findById(id: string): App | undefined {
    return this.#byId.get(id);
  }

  appsOfAccount(accountId: string): readonly App[] {
    return [...this.#byId.values()].filter((a) => a.accountId === accountId);
  }

  all(): readonly App[] {
    return [...this.#byId.values()];
  }

  upsert(app: App): void {
    const previous = this.#byId.get(app.id);
    if (previous && previous.key !== app.key) this.#byKey.delete(previous.key);
    this.#byId.set(app.id, app);
    this.#byKey.set(app.key, app);
    for (const listener of this.#listeners) listener(app.id, app);
  }

  remove(appId: string): void {
    const previous = this.#byId.get(appId);
    if (!previous) return;
    this.#byId.delete(appId);
    this.#byKey.delete(previous.key);
    for (const listener of this.#listeners) listener(appId, undefined);
  }

  onChange(listener: (appId: string, app: App | undefined) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
}
