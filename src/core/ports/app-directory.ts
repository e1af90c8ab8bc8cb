import type { App } from '../app.js';

/**
 * Where the engine finds apps. Lookups are synchronous: they sit on the connection and publish hot
 * paths, so implementations keep an in-memory view that the management layer updates the moment a
 * record changes (here or, through the cluster bus, on another node).
 */
export interface AppDirectory {
  findByKey(key: string): App | undefined;
  findById(id: string): App | undefined;
  /** Every app of an account (for account-wide quotas). */
  appsOfAccount(accountId: string): readonly App[];
  /** Called after an app is added, changed or removed (removed: `app` is undefined). */
  onChange(listener: (appId: string, app: App | undefined) => void): () => void;
}
