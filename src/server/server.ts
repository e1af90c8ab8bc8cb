// Serves a composition (compose.ts builds it): the HTTP and WebSocket listeners, the metrics
// listener, the ready line and first-run instructions, and graceful shutdown.
import { createServer as createHttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ENV_VARS, type Config } from '../config/config.js';
import type { App } from '../core/app.js';
import type { AppDirectory } from '../core/ports/app-directory.js';
import type { ChannelHistory } from '../core/ports/channel-history.js';
import type { ClusterBus } from '../core/ports/cluster-bus.js';
import { systemClock, type Clock } from '../core/ports/clock.js';
import type { Logger } from '../core/ports/logger.js';
import type { Realtime } from '../core/ports/realtime.js';
import type { UsageMeter } from '../core/ports/usage-meter.js';
import type { Management } from '../management/management.js';
import type { CreatePolicy } from '../storage/open-store.js';
import { defaultDashboardDir } from '../transport/http/dashboard-static.js';
import { createManagementApi } from '../transport/http/management-api/create-management-api.js';
import { clientScripts } from '../transport/http/client-bundle.js';
import { nodeRequestListener } from '../transport/http/node-exchange.js';
import { busReadiness, type ProbeState } from '../transport/http/probes.js';
import { createPusherApi } from '../transport/http/pusher-api/pusher-api.js';
import { createRouter } from '../transport/http/router.js';
import { httpRoutes } from '../transport/http/routes.js';
import { createGuard } from '../transport/guard.js';
import { UwsServer } from '../transport/uws/uws-server.js';
import { compose, type ClusterView } from './compose.js';
import { checkTlsFiles, listen, listenNode, listenUws } from './listener.js';
import { chooseTransport } from './transport-choice.js';
import {
  bindsAllInterfaces,
  createStoredDevApp,
  exposureWarning,
  listeningLine,
  returningRunHint,
  SIGN_IN_LINE_PREFIX,
  type FirstRunLine,
  type Listening,
} from './first-run.js';
import { createLogger, StartupLogBuffer } from './logger.js';
import { warmUp } from './warm-up.js';

export interface StartOptions {
  readonly config: Config;
  /** Where the ready line and first-run instructions go (default: nowhere). */
  readonly stdout?: NodeJS.WritableStream;
  readonly logger?: Logger;
  /** Apps to serve from memory only (tests): no store, no management API. The store is the source otherwise. */
  readonly apps?: readonly App[];
  /** Cluster bus to join (tests join several nodes over one MemoryBusHub). */
  readonly bus?: ClusterBus;
  /** Where channel history is kept (default: chosen by the cluster URL). */
  readonly channelHistory?: ChannelHistory;
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
  /**
   * Rehearse before binding the port (warm-up.ts): `serve` passes MAWJLY_WARM_UP (default `auto`:
   * on the uws transport only); off unless given, and never with `apps`.
   */
  readonly warmUp?: boolean | 'auto';
}

export interface RunningServer {
  /** `http(s)://host:port` to connect to. */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  readonly metricsPort: number;
  readonly tls: boolean;
  /** The transport serving HTTP and WebSockets (MAWJLY_TRANSPORT). */
  readonly transport: 'uws' | 'ws';
  readonly engine: Realtime;
  readonly directory: AppDirectory;
  readonly usage: UsageMeter;
  /** Read-only cluster facts of this node (tests wait on them). */
  readonly cluster: ClusterView;
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

  // The transport first: uWebSockets.js's app exists before the engine, which takes its fan-out.
  const transport = chooseTransport(config.transport);
  // A rehearsal on a throwaway copy before anything else (warm-up.ts; `auto`: on uWS only).
  const rehearse = options.warmUp === true || (options.warmUp === 'auto' && transport.kind === 'uws');
  if (rehearse && options.apps === undefined) await warmUp(startServer, options, logger);
  const tls =
    config.tlsCert !== undefined && config.tlsKey !== undefined
      ? { certFile: config.tlsCert, keyFile: config.tlsKey }
      : undefined;
  if (transport.kind === 'uws') checkTlsFiles(tls);
  // node:http in Node 20 has no SO_REUSEPORT: a second node would fail with EADDRINUSE anyway.
  if (config.reusePort && transport.kind === 'ws')
    throw new Error(
      `${ENV_VARS.reusePort}=true needs the uws transport (node:http in Node 20 cannot share a port)${
        transport.fallbackReason === undefined
          ? ''
          : `; uWebSockets.js is not available: ${transport.fallbackReason}`
      }`,
    );
  const uwsServer = transport.kind === 'uws' ? new UwsServer(transport.uws, tls ? { tls } : {}) : undefined;
  if (transport.kind === 'ws' && transport.fallbackReason !== undefined)
    logger.info(
      { reason: transport.fallbackReason },
      'uWebSockets.js not available: serving with node:http + ws',
    );

  const composition = await compose({
    config,
    logger,
    ...(uwsServer ? { fanOut: uwsServer.fanOut } : {}),
    ...(options.apps === undefined ? {} : { apps: options.apps }),
    ...(options.bus === undefined ? {} : { bus: options.bus }),
    ...(options.channelHistory === undefined ? {} : { channelHistory: options.channelHistory }),
    ...(options.nodeId === undefined ? {} : { nodeId: options.nodeId }),
    ...(options.clock === undefined ? {} : { clock: options.clock }),
    ...(options.createDatabase === undefined ? {} : { createDatabase: options.createDatabase }),
    ...(options.historyFlushIntervalMs === undefined
      ? {}
      : { historyFlushIntervalMs: options.historyFlushIntervalMs }),
    ...(options.historySampleIntervalMs === undefined
      ? {}
      : { historySampleIntervalMs: options.historySampleIntervalMs }),
  });
  const { engine, directory, cluster, prom, metrics, store, management } = composition;
  const managed = management;
  const firstRun: FirstRunLine[] = [...composition.firstRun];
  await composition.start();

  // /ready's dependencies, each a named check: the store (when there is one) and the cluster bus.
  const opened = store;
  const probe: ProbeState = {
    ready: false,
    checks: [
      ...(opened ? [{ name: 'store', check: async () => ({ ...(await opened.checkHealth()) }) }] : []),
      busReadiness(() => cluster.health(), config.readyRequiresBus),
    ],
  };
  // One router for every HTTP endpoint (src/transport/http/routes.ts), transport-neutral.
  const router = createRouter(
    httpRoutes({
      probe,
      pusherApi: createPusherApi(engine, { directory, clock: options.clock ?? systemClock, metrics }, logger),
      ...(managed
        ? {
            managementApi: createManagementApi({
              management: managed,
              clusterName: config.clusterName,
              logger,
              trustProxy: config.trustProxy,
            }),
            // The dashboard talks only to the management API, so it is served only where that API is.
            dashboardDir: options.dashboardDir ?? defaultDashboardDir(),
          }
        : {}),
      clientScripts: clientScripts(new URL('../../packages/client/dist/mawjly.js', import.meta.url)),
    }),
  );
  // Every handler below runs inside this one guard (src/transport/guard.ts): whatever a request,
  // upgrade or socket listener throws is logged and answered, and never reaches the process.
  const guard = createGuard(logger);
  // The one guarded HTTP handler, adapted to each transport's request and response objects.
  const exchange = guard.exchange(router);
  const listenerOptions = {
    host: config.host,
    port: config.port,
    portVariable: ENV_VARS.port,
    reusePort: config.reusePort,
    tls,
    engine,
    logger,
    guard,
  };
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
  const bound: { release?: () => void } = {};
  const abandon = async (error: unknown): Promise<never> => {
    startupLog?.release();
    bound.release?.();
    metricsServer.close();
    await engine.shutdown();
    await composition.closeServices();
    throw error;
  };
  const listener = await (
    uwsServer
      ? listenUws(listenerOptions, uwsServer, exchange)
      : listenNode(listenerOptions, guard.request(nodeRequestListener(exchange)))
  ).catch(abandon);
  bound.release = () => {
    listener.abandon();
  };
  const port = listener.port;

  await listen(metricsServer, config.metricsPort, config.host, ENV_VARS.metricsPort).catch(abandon);
  const metricsPort = (metricsServer.address() as AddressInfo).port;

  // Only once both ports are bound: a first run that cannot listen (port taken) would otherwise
  // store the development app and owner without ever printing their secret and password.
  if (managed && store && (await store.apps.listApps()).length === 0)
    firstRun.push(...(await createStoredDevApp(managed, config.clusterName)));

  probe.ready = true;
  const connectHost = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
  const secure = tls !== undefined;
  const url = `${secure ? 'https' : 'http'}://${connectHost.includes(':') ? `[${connectHost}]` : connectHost}:${port}`;
  const out = options.stdout;
  if (out) {
    out.write(`${listeningLine({ host: config.host, port, metricsPort, tls: secure, url, connectHost })}\n`);
    const listening: Listening = { host: connectHost, port, tls: secure };
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
  logger.info({ url, metricsPort, transport: listener.transport }, 'ready');
  startupLog?.release();

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closing ??= (async () => {
      probe.ready = false;
      listener.stopAccepting();
      // Keep listening while load balancers notice /ready's 503 (new WebSockets are refused, REST
      // publishes still work); then close the listener and every socket (4200).
      if (config.drainDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, config.drainDelayMs));
      await listener.close(() => engine.shutdown(), config.shutdownGraceSeconds * 1000);
      await new Promise<void>((resolve) =>
        metricsServer.close(() => {
          resolve();
        }),
      );
      // After the engine: the sessions it closed decided their last webhooks.
      await composition.closeServices();
    })());
  return {
    url,
    host: connectHost,
    port,
    metricsPort,
    tls: secure,
    transport: listener.transport,
    engine,
    directory,
    usage: composition.usage,
    cluster,
    management,
    close,
  };
}
