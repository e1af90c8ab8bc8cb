// Wires every implementation together — the only place that does — and owns graceful shutdown.
import { randomBytes, randomInt } from 'node:crypto';
import { readFileSync } from 'node:fs';
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { ClusterAdapter } from '../adapters/cluster-adapter.js';
import { MemoryBus } from '../adapters/memory-bus.js';
import { NatsBus } from '../adapters/nats-bus.js';
import { RedisBus } from '../adapters/redis-bus.js';
import type { Config } from '../config/config.js';
import { DEFAULT_APP_SETTINGS, DEFAULT_PLANS, type App } from '../core/app.js';
import { ClusterUsageMeter } from '../core/cluster-usage-meter.js';
import { Engine } from '../core/engine.js';
import { MemoryAppDirectory } from '../core/memory-app-directory.js';
import type { ClusterBus } from '../core/ports/cluster-bus.js';
import type { Clock } from '../core/ports/clock.js';
import type { Logger } from '../core/ports/logger.js';
import { PromMetrics } from '../metrics/prom-metrics.js';
import { MawjlyError } from '../protocol/errors.js';
import { createClientBundleHandler } from '../transport/http/client-bundle.js';
import { handleProbe, type ProbeState } from '../transport/http/probes.js';
import { createPusherApi } from '../transport/http/pusher-api/pusher-api.js';
import { sendError } from '../transport/http/respond.js';
import { attachWebSocketGateway } from '../transport/ws/ws-gateway.js';
import { createLogger } from './logger.js';

export interface StartOptions {
  readonly config: Config;
  /** Where the ready line and first-run instructions go (default: nowhere). */
  readonly stdout?: NodeJS.WritableStream;
  readonly logger?: Logger;
  /** Apps to serve (tests); the management store is the source otherwise. */
  readonly apps?: readonly App[];
  /** Cluster bus to join (tests join several nodes over one MemoryBusHub). */
  readonly bus?: ClusterBus;
  readonly nodeId?: string;
  readonly clock?: Clock;
}

export interface RunningServer {
  /** `http(s)://host:port` to connect to. */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  readonly metricsPort: number;
  readonly tls: boolean;
  readonly engine: Engine;
  readonly directory: MemoryAppDirectory;
  close(): Promise<void>;
}

export async function startServer(options: StartOptions): Promise<RunningServer> {
  const { config } = options;
  const logger = options.logger ?? createLogger(config.logLevel);
  const directory = new MemoryAppDirectory(options.apps ?? []);
  const firstRun: string[] = [];
  if (directory.all().length === 0) firstRun.push(...describeDevApp(createDevApp(directory)));

  const bus = options.bus ?? createBus(config.clusterUrl);
  const adapter = new ClusterAdapter({
    bus,
    logger,
    ...(options.nodeId === undefined ? {} : { nodeId: options.nodeId }),
  });
  const metrics = new PromMetrics();
  const engine = new Engine({
    directory,
    adapter,
    usage: new ClusterUsageMeter(adapter, options.clock),
    metrics,
    logger,
    ...(options.clock === undefined ? {} : { clock: options.clock }),
    limits: {
      activityTimeoutSeconds: config.activityTimeoutSeconds,
      pongTimeoutMs: config.pongTimeoutMs,
      authorizationTimeoutMs: config.authorizationTimeoutMs,
      maxBufferedBytes: config.maxBufferedBytes,
      cacheTtlSeconds: config.cacheTtlSeconds,
      checkEncryptedEnvelope: config.checkEncryptedEnvelope,
    },
  });
  await engine.start();

  const probe: ProbeState = { ready: false };
  const pusherApi = createPusherApi(engine, logger);
  const clientBundle = createClientBundleHandler(new URL('../../client/dist/mawjly.js', import.meta.url));
  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (handleProbe(req, res, url, probe)) return;
    if (clientBundle(req, res, url)) return;
    pusherApi(req, res, url)
      .then((handled) => {
        if (!handled)
          sendError(res, new MawjlyError('not_found', `Nothing at ${url.pathname.slice(0, 200)}`), logger);
      })
      .catch((error: unknown) => {
        sendError(res, error, logger);
      });
  };
  const tls = config.tlsCert !== undefined && config.tlsKey !== undefined;
  const server: Server = tls
    ? createHttpsServer(
        { cert: readFileSync(config.tlsCert ?? ''), key: readFileSync(config.tlsKey ?? '') },
        handler,
      )
    : createHttpServer(handler);
  server.keepAliveTimeout = 65_000;
  const gateway = attachWebSocketGateway(server, engine, logger);
  await listen(server, config.port, config.host);
  const port = (server.address() as AddressInfo).port;

  const metricsServer = createHttpServer((req, res) => {
    if (req.url !== '/metrics') {
      res.writeHead(404).end();
      return;
    }
    metrics.registry
      .metrics()
      .then((text) => {
        res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(text);
      })
      .catch((error: unknown) => {
        logger.error({ err: error }, 'metrics collection failed');
        res.writeHead(500).end();
      });
  });
  await listen(metricsServer, config.metricsPort, config.host);
  const metricsPort = (metricsServer.address() as AddressInfo).port;

  probe.ready = true;
  const connectHost = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
  const url = `${tls ? 'https' : 'http'}://${connectHost.includes(':') ? `[${connectHost}]` : connectHost}:${port}`;
  const out = options.stdout;
  if (out) {
    out.write(
      `Mawjly listening on ${url} (WebSocket ${tls ? 'wss' : 'ws'}://…:${port}/app/{key}, metrics http://${connectHost}:${metricsPort}/metrics)\n`,
    );
    for (const line of firstRun) out.write(`${line}\n`);
  }
  logger.info({ url, metricsPort }, 'ready');

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closing ??= (async () => {
      probe.ready = false;
      gateway.stopAccepting();
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
    })());
  return { url, host: connectHost, port, metricsPort, tls, engine, directory, close };
}

function createBus(clusterUrl: string): ClusterBus {
  if (clusterUrl === 'memory') return new MemoryBus();
  if (/^rediss?:\/\//.test(clusterUrl)) return new RedisBus(clusterUrl);
  if (clusterUrl.startsWith('nats://')) return new NatsBus(clusterUrl);
  throw new Error(
    `MAWJLY_CLUSTER_URL=${clusterUrl.replace(/\/\/[^@/]*@/, '//***@')}: expected "memory", redis://… or nats://…`,
  );
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

function createDevApp(directory: MemoryAppDirectory): App {
  const app: App = {
    id: String(randomInt(1_000_000, 9_999_999)),
    key: randomBytes(10).toString('hex'),
    secrets: [randomBytes(16).toString('hex')],
    accountId: 'development',
    name: 'Development app',
    plan: DEFAULT_PLANS.startup,
    settings: DEFAULT_APP_SETTINGS,
  };
  directory.upsert(app);
  return app;
}

function describeDevApp(app: App): string[] {
  return [
    'No apps configured: created a development app (Startup plan) for this run:',
    `  app_id: ${app.id}`,
    `  key:    ${app.key}`,
    `  secret: ${app.secrets[0] ?? ''}`,
  ];
}
