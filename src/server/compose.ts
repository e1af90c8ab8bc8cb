// The composition root: the one place that builds the store, the management layer, the cluster bus
// and adapter, the engine, webhooks and metrics, and wires them together. `serve` (server.ts), the
// operator commands (src/cli) and the benchmark server (bench/start-server.mjs, through startServer)
// all come here; nothing else constructs these implementations.
import { ClusterAdapter } from '../adapters/cluster-adapter.js';
import { MemoryBus } from '../adapters/memory-bus.js';
import type { Config } from '../config/config.js';
import type { App } from '../core/app.js';
import { ClusterUsageMeter } from '../core/cluster-usage-meter.js';
import { Engine } from '../core/engine.js';
import { MemoryAppDirectory } from '../core/memory-app-directory.js';
import type { Adapter } from '../core/ports/adapter.js';
import type { AppDirectory } from '../core/ports/app-directory.js';
import { systemClock, type Clock } from '../core/ports/clock.js';
import type { TopicFanOut } from '../core/ports/topic-fan-out.js';
import type { ChannelHistory } from '../core/ports/channel-history.js';
import { createChannelHistory } from '../adapters/channel-history-factory.js';
import { clusterBackend } from '../adapters/cluster-url.js';
import type { ClusterBus } from '../core/ports/cluster-bus.js';
import { silentLogger, type Logger } from '../core/ports/logger.js';
import { noopWebhookMetrics, type Metrics, type WebhookMetrics } from '../core/ports/metrics.js';
import type { Realtime } from '../core/ports/realtime.js';
import type { UsageMeter } from '../core/ports/usage-meter.js';
import { readAppsFile } from '../management/apps-file.js';
import { createManagement, type Management, type ManagementOptions } from '../management/management.js';
import { loadPlans } from '../management/plans.js';
import { withHistory } from '../management/usage-history.js';
import { PromMetrics } from '../metrics/prom-metrics.js';
import { openStore, type CreatePolicy, type OpenedStore } from '../storage/open-store.js';
import { Webhooks } from '../webhooks/webhooks.js';
import { createDevApp, describeDevApp, type FirstRunLine } from './first-run.js';

/** A store opened from the configuration and the management layer over it. */
export interface OpenedManagement {
  readonly store: OpenedStore;
  readonly management: Management;
  /** Stops the management layer's timers (flushing usage), then closes the store. */
  close(): Promise<void>;
}

/**
 * Opens the configured store (SQLite or PostgreSQL) and builds the management layer over it. A
 * failure leaves nothing open.
 */
export async function openManagement(
  config: Config,
  options: { create: CreatePolicy; logger?: Logger } & Omit<ManagementOptions, 'store' | 'plans' | 'logger'>,
): Promise<OpenedManagement> {
  const { create, ...rest } = options;
  const plans = loadPlans(config.plansFile);
  const store = await openStore({
    dataDir: config.dataDir,
    databaseUrl: config.databaseUrl,
    timeoutMs: config.databaseTimeoutMs,
    create,
    ...(rest.logger === undefined ? {} : { logger: rest.logger }),
  });
  let management: Management;
  try {
    management = await createManagement({ ...rest, store, plans });
  } catch (error) {
    await store.close().catch(() => undefined);
    throw error;
  }
  return {
    store,
    management,
    close: async () => {
      try {
        await management.close();
      } finally {
        await store.close();
      }
    },
  };
}

/**
 * The webhook machinery of a process over the management layer's store, wired into
 * `management.webhooks` (test sends, target checks). The worker runs only once `start()` is called.
 */
export function createWebhooks(
  management: Management,
  config: Config,
  options: { owner: string; clock?: Clock; logger?: Logger; metrics?: WebhookMetrics },
): Webhooks {
  const webhooks = new Webhooks({
    store: management.store.webhooks,
    directory: management.directory,
    owner: options.owner,
    settings: webhookSettings(config),
    clock: options.clock ?? systemClock,
    logger: options.logger ?? silentLogger,
    metrics: options.metrics ?? noopWebhookMetrics,
  });
  management.webhooks.setOperations(webhooks);
  return webhooks;
}

export interface ComposeOptions {
  readonly config: Config;
  readonly logger: Logger;
  /** Apps to serve from memory only (tests, benchmarks): no store, no management API. */
  readonly apps?: readonly App[];
  /** Cluster bus to join (tests join several nodes over one MemoryBusHub). */
  readonly bus?: ClusterBus;
  readonly nodeId?: string;
  readonly clock?: Clock;
  /** When a missing SQLite database may be created (default 'first-run'). */
  readonly createDatabase?: CreatePolicy;
  readonly historyFlushIntervalMs?: number;
  readonly historySampleIntervalMs?: number;
  /** Where channel history is kept (default: chosen by the cluster URL). */
  readonly channelHistory?: ChannelHistory;
  /** The transport's native topic fan-out (uWebSockets.js); absent: the engine's own loop. */
  readonly fanOut?: TopicFanOut;
}

export type ClusterView = Pick<
  Adapter,
  'nodeId' | 'health' | 'members' | 'memberCount' | 'subscriptionCount' | 'isUserOnline'
>;

/** Everything a serving process is made of, built and wired but not yet started. */
export interface Composition {
  readonly engine: Realtime;
  readonly directory: AppDirectory;
  readonly usage: UsageMeter;
  readonly prom: PromMetrics;
  readonly metrics: Metrics;
  /** Read-only cluster facts and this node's link to the cluster (for /ready, logs and tests). */
  readonly cluster: ClusterView;
  /** Absent when serving `apps` from memory. */
  readonly store: OpenedStore | undefined;
  readonly management: Management | undefined;
  /** Lines about a generated in-memory development app (when `apps` was empty). */
  readonly firstRun: readonly FirstRunLine[];
  /** Starts the engine (joins the cluster) and the webhook worker; announces seeded apps. */
  start(): Promise<void>;
  /** Closes what the engine's sessions decided last (webhooks), then management and the store. */
  closeServices(): Promise<void>;
}

export async function compose(options: ComposeOptions): Promise<Composition> {
  const { config, logger } = options;
  const bus = options.bus ?? (await createBus(config.clusterUrl, config.clusterPrefix));
  const adapter = new ClusterAdapter({
    bus,
    logger,
    ...(options.nodeId === undefined ? {} : { nodeId: options.nodeId }),
  });
  const clusterUsage = new ClusterUsageMeter(adapter, options.clock);
  const firstRun: FirstRunLine[] = [];

  let opened: OpenedManagement | undefined;
  let directory: AppDirectory;
  let usage: UsageMeter = clusterUsage;
  let seededIds: readonly string[] = [];
  if (options.apps) {
    const memory = new MemoryAppDirectory(options.apps);
    if (memory.all().length === 0) firstRun.push(...describeDevApp(createDevApp(memory)));
    directory = memory;
  } else {
    const seed = config.appsFile === undefined ? [] : readAppsFile(config.appsFile);
    opened = await openManagement(config, {
      create: options.createDatabase ?? 'first-run',
      logger,
      clusterUsage,
      nodeId: adapter.nodeId,
      seed,
      watchStore: true,
      ...(options.historyFlushIntervalMs === undefined
        ? {}
        : { historyFlushIntervalMs: options.historyFlushIntervalMs }),
      ...(options.historySampleIntervalMs === undefined
        ? {}
        : { historySampleIntervalMs: options.historySampleIntervalMs }),
      ...(options.clock === undefined ? {} : { clock: options.clock }),
    });
    seededIds = seed.map((e) => e.id);
    directory = opened.management.directory;
    usage = opened.management.usage;
  }
  const managed = opened?.management;

  const prom = new PromMetrics();
  prom.observeCluster(() => adapter.health());
  // The usage history counts connections, REST API calls and webhook deliveries from the metrics.
  const metrics = managed ? withHistory(prom, managed.history) : prom;
  const webhooks = managed
    ? createWebhooks(managed, config, {
        owner: adapter.nodeId,
        ...(options.clock === undefined ? {} : { clock: options.clock }),
        logger,
        metrics,
      })
    : undefined;
  const history =
    options.channelHistory ??
    (await createChannelHistory(config.clusterUrl, config.clusterPrefix, {
      ...(options.clock === undefined ? {} : { clock: options.clock }),
    }));
  const engine = new Engine({
    directory,
    adapter,
    usage,
    metrics,
    logger,
    ...(webhooks ? { webhooks: webhooks.sink } : {}),
    ...(options.fanOut ? { fanOut: options.fanOut } : {}),
    history,
    ...(options.clock === undefined ? {} : { clock: options.clock }),
    // Another node (or this one) changed an app record: re-read it from the store.
    ...(managed
      ? {
          onAppChanged: (appId: string) => {
            managed.directory.reload(appId).catch((error: unknown) => {
              logger.error({ appId, err: error }, 'could not reload a changed app');
            });
          },
        }
      : {}),
    limits: {
      activityTimeoutSeconds: config.activityTimeoutSeconds,
      pongTimeoutMs: config.pongTimeoutMs,
      authorizationTimeoutMs: config.authorizationTimeoutMs,
      maxBufferedBytes: config.maxBufferedBytes,
      maxChannelsPerSocket: config.maxChannelsPerSocket,
      maxPresencePerSocket: config.maxPresencePerSocket,
      cacheTtlSeconds: config.cacheTtlSeconds,
      checkEncryptedEnvelope: config.checkEncryptedEnvelope,
    },
  });

  return {
    engine,
    directory,
    usage,
    prom,
    metrics,
    cluster: adapter,
    store: opened?.store,
    management: managed,
    firstRun,
    start: async () => {
      await engine.start();
      await webhooks?.start();
      if (managed) {
        managed.setRealtime(engine);
        managed.directory.onLocalChange((appId) => {
          adapter.notifyAppChanged(appId);
        });
        for (const appId of seededIds) adapter.notifyAppChanged(appId);
      }
    },
    closeServices: async () => {
      await webhooks?.close();
      await opened?.close();
    },
  };
}

export function webhookSettings(config: Config): ConstructorParameters<typeof Webhooks>[0]['settings'] {
  return {
    timeoutMs: config.webhooksTimeoutMs,
    holdMs: config.webhooksHoldMs,
    allowPrivateTargets: config.webhooksAllowPrivateTargets,
    batchMs: config.webhooksBatchMs,
    retryForMs: config.webhooksRetryForMs,
    retryBaseMs: config.webhooksRetryBaseMs,
    retryMaxMs: config.webhooksRetryMaxMs,
    leaseMs: config.webhooksLeaseMs,
    pollMs: config.webhooksPollMs,
    concurrency: config.webhooksConcurrency,
    endpointConcurrency: config.webhooksEndpointConcurrency,
    retentionMs: config.webhooksLogRetentionHours * 3_600_000,
  };
}

/**
 * The cluster's bus; `prefix` keeps several Mawjly clusters apart on one Redis or NATS. The Redis and
 * NATS buses are imported only when chosen, so a lone node never loads ioredis or nats.
 */
async function createBus(clusterUrl: string, prefix: string): Promise<ClusterBus> {
  const backend = clusterBackend(clusterUrl);
  if (backend === 'memory') return new MemoryBus();
  if (backend === 'redis') {
    const { RedisBus } = await import('../adapters/redis-bus.js');
    return new RedisBus(clusterUrl, `${prefix}:`);
  }
  if (backend === 'nats') {
    const { NatsBus } = await import('../adapters/nats-bus.js');
    return new NatsBus(clusterUrl, `${prefix}.`);
  }
  throw new Error(
    `MAWJLY_CLUSTER_URL=${clusterUrl.replace(/\/\/[^@/]*@/, '//***@')}: expected "memory", redis://… or nats://…`,
  );
}
