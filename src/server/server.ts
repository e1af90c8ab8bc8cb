// Wires every implementation together — the only place that does — and owns graceful shutdown.
import { readFileSync } from 'node:fs';
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { createChannelHistory } from '../adapters/channel-history-factory.js';
import { ClusterAdapter } from '../adapters/cluster-adapter.js';
import { MemoryBus } from '../adapters/memory-bus.js';
import { NatsBus } from '../adapters/nats-bus.js';
import { RedisBus } from '../adapters/redis-bus.js';
import { ENV_VARS, type Config } from '../config/config.js';
import type { App } from '../core/app.js';
import { ClusterUsageMeter } from '../core/cluster-usage-meter.js';
import type { AppDirectory } from '../core/ports/app-directory.js';
import type { UsageMeter } from '../core/ports/usage-meter.js';
import { readAppsFile } from '../management/apps-file.js';
import { createManagement, type Management } from '../management/management.js';
import { loadPlans } from '../management/plans.js';
import { withHistory } from '../management/usage-history.js';
import { openStore, type CreatePolicy, type OpenedStore } from '../storage/open-store.js';
import { createDashboardHandler, defaultDashboardDir } from '../transport/http/dashboard-static.js';
import { createManagementApi } from '../transport/http/management-api/create-management-api.js';
import { Engine } from '../core/engine.js';
import { MemoryAppDirectory } from '../core/memory-app-directory.js';
import type { ChannelHistory } from '../core/ports/channel-history.js';
import type { ClusterBus } from '../core/ports/cluster-bus.js';
import type { Clock } from '../core/ports/clock.js';
import type { Logger } from '../core/ports/logger.js';
import { PromMetrics } from '../metrics/prom-metrics.js';
import { MawjlyError } from '../protocol/errors.js';
import { clientScripts, createClientBundleHandler } from '../transport/http/client-bundle.js';
import { busReadiness, handleProbe, type ProbeState } from '../transport/http/probes.js';
import { apiTargetOf, plainApiTarget } from '../transport/http/pusher-api/api-target.js';
import { createPusherApi } from '../transport/http/pusher-api/pusher-api.js';
import { createGuard } from '../transport/guard.js';
import { parseRequestTarget } from '../transport/http/request-target.js';
import { attachWebSocketGateway } from '../transport/ws/ws-gateway.js';
import {
  bindsAllInterfaces,
  createDevApp,
  createStoredDevApp,
  describeDevApp,
  exposureWarning,
  listeningLine,
  returningRunHint,
  SIGN_IN_LINE_PREFIX,
  type FirstRunLine,
  type Listening,
} from './first-run.js';
import { createLogger, StartupLogBuffer } from './logger.js';
import { Webhooks } from '../webhooks/webhooks.js';

export interface StartOptions {
  readonly config: Config;
  /** Where the ready line and first-run instructions go (default: nowhere). */
  readonly stdout?: NodeJS.WritableStream;
  readonly logger?: Logger;
  /** Apps to serve from memory only (tests): no store, no management API. The store is the source otherwise. */
  readonly apps?: readonly App[];
  /** Cluster bus to join (tests join several nodes over one MemoryBusHub). */
  readonly bus?: ClusterBus;
  readonly channelHistory?: ChannelHistory; // default: chosen by the cluster URL
  readonly nodeId?: string;
  readonly clock?: Clock;
  /** The built dashboard served under /dashboard (default: dashboard/dist of this checkout). */
  readonly dashboardDir?: string;
  /** When a missing SQLite database may be created (default 'first-run'; `serve --init`: 'always'). */
  readonly createDatabase?: CreatePolicy;
  /** How often the usage history goes to the store (default 60 000 ms; tests shorten it). */
  readonly historyFlushIntervalMs?: number;
  /** How often connection counts are sampled for the history (default 5000 ms). */
  readonly historySampleIntervalMs?: number;
}

export interface RunningServer {
  /** `http(s)://host:port` to connect to. */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  readonly metricsPort: number;
  readonly tls: boolean;
  readonly engine: Engine;
  readonly directory: AppDirectory;
  /** The management layer (absent when started with `apps`). */
  readonly management: Management | undefined;
  close(): Promise<void>;
}

export async function startServer(options: StartOptions): Promise<RunningServer> {
  const { config } = options;
  // `serve` (a stdout to print the banner to, no logger given): the banner comes before info logs.
  const startupLog =
    options.logger === undefined && options.stdout ? new StartupLogBuffer(process.stderr) : undefined;
  const logger = options.logger ?? createLogger(config.logLevel, startupLog);
  const firstRun: FirstRunLine[] = [];

  const bus = options.bus ?? createBus(config.clusterUrl, config.clusterPrefix);
  const adapter = new ClusterAdapter({
    bus,
    logger,
    ...(options.nodeId === undefined ? {} : { nodeId: options.nodeId }),
  });
  const clusterUsage = new ClusterUsageMeter(adapter, options.clock);

  let store: OpenedStore | undefined;
  let management: Management | undefined;
  let directory: AppDirectory;
  let usage: UsageMeter = clusterUsage;
  let seededIds: readonly string[] = [];
  if (options.apps) {
    const memory = new MemoryAppDirectory(options.apps);
    if (memory.all().length === 0) firstRun.push(...describeDevApp(createDevApp(memory)));
    directory = memory;
  } else {
    const plans = loadPlans(config.plansFile);
    const seed = config.appsFile === undefined ? [] : readAppsFile(config.appsFile);
    store = await openStore({
      dataDir: config.dataDir,
      databaseUrl: config.databaseUrl,
      timeoutMs: config.databaseTimeoutMs,
      create: options.createDatabase ?? 'first-run',
      logger,
    });
    try {
      management = await createManagement({
        store,
        plans,
        logger,
        clusterUsage,
        nodeId: adapter.nodeId,
        ...(options.historyFlushIntervalMs === undefined
          ? {}
          : { historyFlushIntervalMs: options.historyFlushIntervalMs }),
        ...(options.historySampleIntervalMs === undefined
          ? {}
          : { historySampleIntervalMs: options.historySampleIntervalMs }),
        seed,
        watchStore: true,
        ...(options.clock === undefined ? {} : { clock: options.clock }),
      });
    } catch (error) {
      await store.close().catch(() => undefined);
      throw error;
    }
    seededIds = seed.map((e) => e.id);
    directory = management.directory;
    usage = management.usage;
  }

  const prom = new PromMetrics();
  prom.observeCluster(() => adapter.health());
  const managed = management;
  // The usage history counts connections, REST API calls and webhook deliveries from the metrics.
  const metrics = managed ? withHistory(prom, managed.history) : prom;
  const webhooks =
    managed && store
      ? new Webhooks({
          store: store.webhooks,
          directory: managed.directory,
          owner: adapter.nodeId,
          settings: webhookSettings(config),
          clock: options.clock ?? { now: () => Date.now() },
          logger,
          metrics,
        })
      : undefined;
  if (webhooks) managed?.webhooks.setOperations(webhooks);
  const engine = new Engine({
    directory,
    adapter,
    usage,
    metrics,
    logger,
    ...(webhooks ? { webhooks: webhooks.sink } : {}),
    ...(options.clock === undefined ? {} : { clock: options.clock }),
    history: options.channelHistory ?? createChannelHistory(config.clusterUrl, config.clusterPrefix, options),
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
  await engine.start();
  await webhooks?.start();
  if (managed) {
    managed.setRealtime(engine);
    managed.directory.onLocalChange((appId) => {
      adapter.notifyAppChanged(appId);
    });
    for (const appId of seededIds) adapter.notifyAppChanged(appId);
  }

  // /ready's dependencies, each a named check: the store (when there is one) and the cluster bus.
  const opened = store;
  const probe: ProbeState = {
    ready: false,
    checks: [
      ...(opened ? [{ name: 'store', check: async () => ({ ...(await opened.checkHealth()) }) }] : []),
      busReadiness(() => adapter.health(), config.readyRequiresBus),
    ],
  };
  const pusherApi = createPusherApi(engine, logger);
  const managementApi = managed
    ? createManagementApi({
        management: managed,
        clusterName: config.clusterName,
        logger,
        trustProxy: config.trustProxy,
      })
    : undefined;
  // The dashboard talks only to the management API, so it is served only where that API is.
  const dashboard = managed
    ? createDashboardHandler(options.dashboardDir ?? defaultDashboardDir())
    : undefined;
  const clientBundle = createClientBundleHandler(
    clientScripts(new URL('../../packages/client/dist/mawjly.js', import.meta.url)),
  );
  // Every handler below runs inside this one guard (src/transport/guard.ts): whatever a request,
  // upgrade or socket listener throws is logged and answered, and never reaches the process.
  const guard = createGuard(logger);
  const handler = (req: IncomingMessage, res: ServerResponse): Promise<void> | undefined => {
    // The REST API is the hot path and owns /apps/: a plain target goes there before anything else.
    const apiTarget = plainApiTarget(req.url ?? '/');
    if (apiTarget) {
      pusherApi(req, res, apiTarget);
      return undefined;
    }
    const url = parseRequestTarget(req.url);
    if (!url) throw new MawjlyError('invalid_target');
    if (handleProbe(req, res, url, probe)) return undefined;
    if (clientBundle(req, res, url)) return undefined;
    if (dashboard?.(req, res)) return undefined;
    return (managementApi ? managementApi(req, res, url) : Promise.resolve(false))
      .then((handled) => handled || pusherApi(req, res, apiTargetOf(url)))
      .then((handled) => {
        if (!handled) throw new MawjlyError('not_found', `Nothing at ${url.pathname.slice(0, 200)}`);
      });
  };
  const tls = config.tlsCert !== undefined && config.tlsKey !== undefined;
  const server: Server = tls
    ? createHttpsServer(
        { cert: readFileSync(config.tlsCert ?? ''), key: readFileSync(config.tlsKey ?? '') },
        guard.request(handler),
      )
    : createHttpServer(guard.request(handler));
  server.keepAliveTimeout = 65_000;
  const gateway = attachWebSocketGateway(server, engine, logger, guard);
  const metricsServer = createHttpServer(
    guard.request(async (req, res) => {
      if (req.url !== '/metrics') {
        res.writeHead(404).end();
        return;
      }
      const text = await prom.registry.metrics();
      res.writeHead(200, { 'content-type': prom.registry.contentType }).end(text);
    }),
  );
  // A port that cannot be bound must not leave the engine, store or other listener open behind it.
  const abandon = async (error: unknown): Promise<never> => {
    startupLog?.release();
    gateway.close();
    server.close();
    metricsServer.close();
    await engine.shutdown();
    await webhooks?.close();
    await managed?.close();
    await store?.close();
    throw error;
  };
  await listen(server, config.port, config.host, ENV_VARS.port).catch(abandon);
  const port = (server.address() as AddressInfo).port;

  await listen(metricsServer, config.metricsPort, config.host, ENV_VARS.metricsPort).catch(abandon);
  const metricsPort = (metricsServer.address() as AddressInfo).port;

  // Only once both ports are bound: a first run that cannot listen (port taken) would otherwise
  // store the development app and owner without ever printing their secret and password.
  if (managed && store && (await store.listApps()).length === 0)
    firstRun.push(...(await createStoredDevApp(managed, config.clusterName)));

  probe.ready = true;
  const connectHost = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
  const url = `${tls ? 'https' : 'http'}://${connectHost.includes(':') ? `[${connectHost}]` : connectHost}:${port}`;
  const out = options.stdout;
  if (out) {
    out.write(`${listeningLine({ host: config.host, port, metricsPort, tls, url, connectHost })}\n`);
    const listening: Listening = { host: connectHost, port, tls };
    for (const line of firstRun) out.write(`${typeof line === 'string' ? line : line(listening)}\n`);
    const freshPassword = firstRun.some(
      (line) => typeof line === 'string' && line.startsWith(SIGN_IN_LINE_PREFIX),
    );
    if (freshPassword && bindsAllInterfaces(config.host))
      out.write(`${exposureWarning(config.host, port)}\n`);
    if (management) {
      out.write(`Dashboard: ${url}/dashboard\n`);
      if (firstRun.length === 0) out.write(`${await returningRunHint(management)}\n`);
    }
  }
  logger.info({ url, metricsPort }, 'ready');
  startupLog?.release();

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closing ??= (async () => {
      probe.ready = false;
      gateway.stopAccepting();
      // Keep listening while load balancers notice /ready's 503 (new WebSockets are refused, REST
      // publishes still work); then close the listener and every socket (4200).
      if (config.drainDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, config.drainDelayMs));
      const httpClosed = new Promise<void>((resolve) =>
        server.close(() => {
          resolve();
        }),
      );
      server.closeIdleConnections();
      await engine.shutdown();
      const grace = setTimeout(() => {
        server.closeAllConnections();
      }, config.shutdownGraceSeconds * 1000);
      grace.unref();
      await httpClosed;
      clearTimeout(grace);
      gateway.close();
      await new Promise<void>((resolve) =>
        metricsServer.close(() => {
          resolve();
        }),
      );
      // After the engine: the sessions it closed decided their last webhooks.
      await webhooks?.close();
      await management?.close();
      await store?.close();
    })());
  return { url, host: connectHost, port, metricsPort, tls, engine, directory, management, close };
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

/** The cluster's bus; `prefix` keeps several Mawjly clusters apart on one Redis or NATS. */
function createBus(clusterUrl: string, prefix: string): ClusterBus {
  if (clusterUrl === 'memory') return new MemoryBus();
  if (/^rediss?:\/\//.test(clusterUrl)) return new RedisBus(clusterUrl, `${prefix}:`);
  if (clusterUrl.startsWith('nats://')) return new NatsBus(clusterUrl, `${prefix}.`);
  throw new Error(
    `MAWJLY_CLUSTER_URL=${clusterUrl.replace(/\/\/[^@/]*@/, '//***@')}: expected "memory", redis://… or nats://…`,
  );
}

/** Listens; a port already taken is reported with the variable that chose it. */
function listen(server: Server, port: number, host: string, variable: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const failed = (error: NodeJS.ErrnoException): void => {
      reject(
        error.code === 'EADDRINUSE'
          ? new Error(`${variable}=${String(port)}: ${host}:${String(port)} is already in use (EADDRINUSE)`)
          : error,
      );
    };
    server.once('error', failed);
    server.listen(port, host, () => {
      server.off('error', failed);
      resolve();
    });
  });
}
