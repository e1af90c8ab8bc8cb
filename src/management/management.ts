// The management layer in one object: its services, the engine's AppDirectory and UsageMeter.
import { randomUUID } from 'node:crypto';
import { systemClock, type Clock } from '../core/ports/clock.js';
import { silentLogger, type Logger } from '../core/ports/logger.js';
import type { RealtimeView } from '../core/ports/realtime-view.js';
import type { UsageMeter } from '../core/ports/usage-meter.js';
import { AccountService } from './accounts.js';
import { AppService } from './apps.js';
import { seedApps, type AppsFileEntry } from './apps-file.js';
import { AuditLog } from './audit.js';
import { ConnectionQuotaWatch } from './connection-quota-watch.js';
import { EncryptionKeyService } from './encryption-keys.js';
import type { ManagementContext } from './management-context.js';
import type { PlanTable } from './plans.js';
import { SessionService } from './sessions.js';
import type { Store } from './store.js';
import { StoreAppDirectory } from './store-app-directory.js';
import { StoreUsageMeter } from './store-usage-meter.js';
import { TeamService } from './team.js';
import { TokenService } from './tokens.js';
import { UsageHistory } from './usage-history.js';
import { WebhookService } from './webhooks.js';

export interface ManagementOptions {
  /** An open, migrated store. `close()` does not close it: its opener does. */
  readonly store: Store;
  readonly plans: PlanTable;
  readonly clock?: Clock;
  readonly logger?: Logger;
  /** The engine, for live counts, channels, publishing and the debug stream (set later with `setRealtime`). */
  readonly realtime?: RealtimeView;
  /** Apps to upsert at start (from `readAppsFile(config.appsFile)`). */
  readonly seed?: readonly AppsFileEntry[];
  /** Called after an app changed through this node (wire it to the cluster bus). */
  readonly onAppChanged?: (appId: string) => void;
  /** Usage flush period (default 1000 ms). */
  readonly usageFlushIntervalMs?: number;
  /** Full re-read of the store for changes nobody announced, e.g. by the CLI (default 30 s; 0: never). */
  readonly resyncIntervalMs?: number;
  /**
   * Re-read the store as soon as it reports a change made by another process (the CLI, another
   * node): `Store.watchChanges`. Long-running servers set it; one-shot commands do not need it.
   */
  readonly watchStore?: boolean;
  /** How often live connection counts are checked for the 80 % warning (default 5 s; 0: never). */
  readonly connectionCheckIntervalMs?: number;
  /** The cluster's live usage meter, wrapped by the persisted one (see StoreUsageMeter). */
  readonly clusterUsage?: UsageMeter;
  /** This node's id in the usage-history rows it writes (default: a random id). */
  readonly nodeId?: string;
  /** Usage-history flush period (default 60 000 ms) and connection sampling period (default 5000 ms). */
  readonly historyFlushIntervalMs?: number;
  readonly historySampleIntervalMs?: number;
}

export interface Management {
  readonly store: Store;
  readonly plans: PlanTable;
  readonly clock: Clock;
  readonly audit: AuditLog;
  readonly accounts: AccountService;
  readonly apps: AppService;
  readonly team: TeamService;
  readonly tokens: TokenService;
  readonly encryptionKeys: EncryptionKeyService;
  readonly sessions: SessionService;
  /** Webhook endpoints and the delivery log (sending is wired with `webhooks.setOperations`). */
  readonly webhooks: WebhookService;
  /** The engine's AppDirectory; `reload(appId)` for changes announced by other nodes. */
  readonly directory: StoreAppDirectory;
  /** The engine's UsageMeter. */
  readonly usage: StoreUsageMeter;
  /** Usage history per app (counted here, flushed to `store.stats` about once a minute). */
  readonly history: UsageHistory;
  /** Writes the connection-quota `usage.warning` (runs on its own timer; `check()` for tests). */
  readonly connectionQuota: ConnectionQuotaWatch;
  realtime(): RealtimeView | undefined;
  setRealtime(view: RealtimeView): void;
  /** Flushes usage and stops timers. Does not close the store. */
  close(): Promise<void>;
}

/** Loads the directory and usage totals from the store, upserts `seed`, starts the usage flush. */
export async function createManagement(options: ManagementOptions): Promise<Management> {
  const { store, plans } = options;
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? silentLogger;
  const audit = new AuditLog(store, clock);
  const directory = new StoreAppDirectory({ store, plans, clock });
  const ctx: ManagementContext = { store, plans, clock, logger, audit, directory };
  const accounts = new AccountService(ctx);
  const apps = new AppService(ctx);
  const tokens = new TokenService(ctx);
  const team = new TeamService(ctx, tokens);
  const encryptionKeys = new EncryptionKeyService(ctx);
  const sessions = new SessionService(ctx, team);
  const webhooks = new WebhookService(ctx);
  const history = new UsageHistory({
    store: store.stats,
    nodeId: options.nodeId ?? randomUUID(),
    clock,
    logger,
    ...(options.historyFlushIntervalMs !== undefined
      ? { flushIntervalMs: options.historyFlushIntervalMs }
      : {}),
    ...(options.historySampleIntervalMs !== undefined
      ? { sampleIntervalMs: options.historySampleIntervalMs }
      : {}),
  });
  const usage = new StoreUsageMeter({
    history,
    store,
    plans,
    audit,
    clock,
    logger,
    ...(options.usageFlushIntervalMs !== undefined ? { flushIntervalMs: options.usageFlushIntervalMs } : {}),
    ...(options.clusterUsage ? { inner: options.clusterUsage } : {}),
  });

  if (options.onAppChanged) directory.onLocalChange(options.onAppChanged);
  await directory.load();
  if (options.seed && options.seed.length > 0) {
    // Announced like any other change, so running nodes pick up what a starting node's file changed.
    const ids = await seedApps(options.seed, { accounts, apps });
    logger.info({ apps: ids.length }, 'apps file applied');
  }
  await usage.start();
  history.start();
  const onResyncError = (error: unknown): void => {
    logger.warn(
      { err: error instanceof Error ? error.message : String(error) },
      'app directory resync failed',
    );
  };
  // The periodic resync stays as a safety net for anything the watch cannot see.
  directory.startResync(options.resyncIntervalMs ?? 30_000, onResyncError);
  let stopWatch: (() => void) | undefined;
  if (options.watchStore === true) {
    try {
      stopWatch = await store.watchChanges(() => {
        directory.resyncSoon(onResyncError);
      });
    } catch (error) {
      directory.stopResync();
      await usage.close();
      await history.close();
      throw error;
    }
  }

  let realtime = options.realtime;
  const connectionQuota = new ConnectionQuotaWatch({
    plans,
    audit,
    clock,
    logger,
    directory,
    realtime: () => realtime,
  });
  connectionQuota.start(options.connectionCheckIntervalMs ?? 5000);
  return {
    store,
    plans,
    clock,
    audit,
    accounts,
    apps,
    team,
    tokens,
    encryptionKeys,
    sessions,
    webhooks,
    directory,
    usage,
    history,
    connectionQuota,
    realtime: () => realtime,
    setRealtime(view) {
      realtime = view;
    },
    close: async () => {
      stopWatch?.();
      connectionQuota.stop();
      directory.stopResync();
      await usage.close();
      await history.close();
    },
  };
}
