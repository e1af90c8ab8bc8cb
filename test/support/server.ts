// Starts the real server on port 0 with known apps, and builds the official clients against it.
import { randomBytes, randomInt } from 'node:crypto';
import Pusher from 'pusher';
import WebSocket from 'ws';
import { loadConfig, type ConfigInput } from '../../src/config/config.js';
import {
  DEFAULT_APP_SETTINGS,
  DEFAULT_PLANS,
  type App,
  type AppSettings,
  type PlanName,
} from '../../src/core/app.js';
import type { Clock } from '../../src/core/ports/clock.js';
import type { ClusterBus } from '../../src/core/ports/cluster-bus.js';
import { silentLogger, type Logger } from '../../src/core/ports/logger.js';
import { startServer, type RunningServer } from '../../src/server/server.js';
import { PusherJS, type PusherJSOptions } from './pusher-js.js';

export interface TestAppInput {
  readonly plan?: PlanName;
  readonly accountId?: string;
  readonly settings?: Partial<AppSettings>;
  readonly id?: string;
  readonly key?: string;
  readonly secret?: string;
}

export function makeApp(input: TestAppInput = {}): App {
  const plan = input.plan ?? 'startup';
  return {
    id: input.id ?? String(randomInt(1_000_000, 9_999_999)),
    key: input.key ?? `key-${randomBytes(6).toString('hex')}`,
    secrets: [input.secret ?? randomBytes(12).toString('hex')],
    accountId: input.accountId ?? `acct-${randomBytes(4).toString('hex')}`,
    name: 'test app',
    plan: DEFAULT_PLANS[plan],
    settings: { ...DEFAULT_APP_SETTINGS, ...input.settings },
  };
}

export interface TestServer extends RunningServer {
  readonly apps: readonly App[];
  readonly app: App;
}

export async function startTestServer(
  options: {
    apps?: readonly App[];
    config?: ConfigInput;
    bus?: ClusterBus;
    logger?: Logger;
    nodeId?: string;
    /** The server's clock (REST timestamp window, usage day, activity timers). */
    clock?: Clock;
  } = {},
): Promise<TestServer> {
  const apps = options.apps ?? [makeApp()];
  const config = loadConfig(
    {},
    {
      port: 0,
      metricsPort: 0,
      host: '127.0.0.1',
      dataDir: '/nonexistent',
      // `npm test` runs the integration suite once per transport (package.json).
      ...testTransport(),
      ...options.config,
    },
  );
  const server = await startServer({
    config,
    apps,
    logger: options.logger ?? silentLogger,
    ...(options.bus ? { bus: options.bus } : {}),
    ...(options.nodeId ? { nodeId: options.nodeId } : {}),
    ...(options.clock ? { clock: options.clock } : {}),
  });
  const first = apps[0];
  if (!first) throw new Error('startTestServer needs at least one app');
  return Object.assign(Object.create(server) as RunningServer, server, { apps, app: first });
}

/** The transport `npm test` asked for (MAWJLY_TRANSPORT), as a config override. */
export function testTransport(): { transport?: 'auto' | 'uws' | 'ws' } {
  const wanted = process.env.MAWJLY_TRANSPORT;
  return wanted === 'auto' || wanted === 'uws' || wanted === 'ws' ? { transport: wanted } : {};
}

/** The `pusher` server SDK configured for this server and app. */
export function serverSdk(server: RunningServer, app: App, extra: Partial<Pusher.Options> = {}): Pusher {
  return new Pusher({
    appId: app.id,
    key: app.key,
    secret: app.secrets[0] ?? '',
    host: server.host,
    port: String(server.port),
    useTLS: false,
    ...extra,
  });
}

/** What an app's auth endpoint answers for one socket and channel: `auth`, maybe `shared_secret`, … */
/** Whether `channel` has a subscriber, as the server's REST API (`GET /channels/{name}`) says. */
export async function channelOccupied(sdk: Pusher, channel: string): Promise<boolean> {
  const response = await sdk.get({ path: `/channels/${channel}` });
  return ((await response.json()) as { occupied: boolean }).occupied;
}

export type ChannelAuthorizer = (socketId: string, channelName: string) => ChannelAuthorization;
export interface ChannelAuthorization {
  auth: string;
  channel_data?: string;
  shared_secret?: string;
}

/**
 * Options of a pusher-js-compatible client (stock pusher-js, `@mawjly/client`) for this server, whose
 * channel auth endpoint is `authorize`, called in-process as a customer's backend would answer; an
 * error it throws is the endpoint's error.
 */
export function authEndpointOptions(
  server: Pick<RunningServer, 'host' | 'port'>,
  authorize: ChannelAuthorizer,
) {
  return {
    cluster: 'sa',
    wsHost: server.host,
    wsPort: server.port,
    forceTLS: false,
    enabledTransports: ['ws' as const],
    disableStats: true,
    channelAuthorization: {
      endpoint: '/unused',
      transport: 'ajax' as const,
      customHandler: (
        { socketId, channelName }: { socketId: string; channelName: string },
        callback: (error: Error | null, data: ChannelAuthorization | null) => void,
      ) => {
        let answer: ChannelAuthorization;
        try {
          answer = authorize(socketId, channelName);
        } catch (error) {
          callback(error as Error, null);
          return;
        }
        callback(null, answer);
      },
    },
  };
}

/**
 * A `pusher-js` client (Node build, includes tweetnacl) for this server. Channel auth is signed
 * in-process with the `pusher` SDK, as an app's auth endpoint would.
 */
export function clientSdk(
  server: RunningServer,
  app: App,
  options: {
    userId?: string;
    userInfo?: Record<string, unknown>;
    masterKeyBase64?: string;
    /** Sign-in `user_data.watchlist` (user ids whose online/offline status this user follows). */
    watchlist?: readonly string[];
    extra?: Record<string, unknown>;
  } = {},
): PusherJS {
  const sdk = serverSdk(
    server,
    app,
    options.masterKeyBase64 ? { encryptionMasterKeyBase64: options.masterKeyBase64 } : {},
  );
  const userId = options.userId ?? `user-${randomBytes(3).toString('hex')}`;
  return new PusherJS(app.key, {
    ...authEndpointOptions(server, (socketId, channelName) =>
      channelName.startsWith('presence-')
        ? sdk.authorizeChannel(socketId, channelName, {
            user_id: userId,
            user_info: options.userInfo ?? { name: userId },
          })
        : sdk.authorizeChannel(socketId, channelName),
    ),
    userAuthentication: {
      endpoint: '/unused',
      transport: 'ajax',
      customHandler: (
        { socketId }: { socketId: string },
        callback: (error: Error | null, data: unknown) => void,
      ) => {
        callback(
          null,
          sdk.authenticateUser(socketId, {
            id: userId,
            ...(options.userInfo ? { user_info: options.userInfo } : {}),
            ...(options.watchlist ? { watchlist: options.watchlist } : {}),
          }),
        );
      },
    },
    ...options.extra,
  } as unknown as PusherJSOptions);
}

/** A raw WebSocket to `/app/{key}` that records every frame it receives. */
export interface RawClient {
  readonly ws: WebSocket;
  readonly frames: { event: string; channel?: string; data?: unknown; user_id?: string }[];
  readonly socketId: Promise<string>;
  send(frame: unknown): void;
  sendRaw(text: string): void;
  /** Resolves with the first received frame (already received or future) matching the predicate. */
  next(
    predicate: (f: RawClient['frames'][number]) => boolean,
    timeoutMs?: number,
  ): Promise<RawClient['frames'][number]>;
  closed: Promise<{ code: number; reason: string }>;
  close(): void;
}

export function rawClient(
  server: RunningServer,
  key: string,
  query = '?protocol=7&client=js&version=8.6.0&flash=false',
): RawClient {
  const scheme = server.tls ? 'wss' : 'ws';
  const ws = new WebSocket(`${scheme}://${server.host}:${server.port}/app/${key}${query}`);
  const frames: RawClient['frames'] = [];
  const waiters: {
    predicate: (f: RawClient['frames'][number]) => boolean;
    resolve: (f: RawClient['frames'][number]) => void;
  }[] = [];
  ws.on('message', (data: Buffer) => {
    const frame = JSON.parse(data.toString()) as RawClient['frames'][number];
    frames.push(frame);
    for (const waiter of [...waiters]) {
      if (waiter.predicate(frame)) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(frame);
      }
    }
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) => {
    ws.on('close', (code, reason) => {
      resolve({ code, reason: reason.toString() });
    });
  });
  ws.on('error', () => undefined);
  const next: RawClient['next'] = (predicate, timeoutMs = 5000) => {
    const found = frames.find(predicate);
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error(`timed out waiting for a frame; got: ${JSON.stringify(frames).slice(0, 500)}`));
      }, timeoutMs);
      waiters.push({
        predicate,
        resolve: (f) => {
          clearTimeout(timer);
          resolve(f);
        },
      });
    });
  };
  const socketId = next((f) => f.event === 'pusher:connection_established').then(
    (f) => (JSON.parse(f.data as string) as { socket_id: string }).socket_id,
  );
  socketId.catch(() => undefined);
  return {
    ws,
    frames,
    socketId,
    send: (frame) => {
      ws.send(JSON.stringify(frame));
    },
    sendRaw: (text) => {
      ws.send(text);
    },
    next,
    closed,
    close: () => {
      ws.close();
    },
  };
}

/** Waits for a pusher-js connection state. */
export function waitForState(client: PusherJS, state: string, timeoutMs = 5000): Promise<void> {
  if (client.connection.state === state) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new Error(`pusher-js stayed '${client.connection.state}', expected '${state}'`));
    }, timeoutMs);
    const onChange = ({ current }: { current: string }): void => {
      if (current === state) {
        clearTimeout(timer);
        client.connection.unbind('state_change', onChange);
        resolve();
      }
    };
    client.connection.bind('state_change', onChange);
  });
}

/** Resolves with the first emission of an event on a pusher-js channel or connection. */
export function once<T = unknown>(
  target: {
    bind(event: string, cb: (data: T) => void): unknown;
    unbind(event: string, cb: (data: T) => void): unknown;
  },
  event: string,
  timeoutMs = 5000,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      target.unbind(event, handler);
      reject(new Error(`timed out waiting for '${event}'`));
    }, timeoutMs);
    const handler = (data: T): void => {
      clearTimeout(timer);
      target.unbind(event, handler);
      resolve(data);
    };
    target.bind(event, handler);
  });
}

/**
 * When a connected pusher-js socket is closed by the server with a "refused" code (4000–4099, e.g.
 * 4009), pusher-js calls close() on the already-closed faye-websocket client, which then arms a 30 s
 * ref'd close timer that nothing clears: the test process would linger for 30 s. Call this once the
 * client is connected; it unrefs that timer (behaviour is unchanged, the process may just exit).
 */
export function unrefCloseTimerOnRefusal(client: PusherJS): void {
  interface FayeClient {
    close(code?: number, reason?: string): void;
    _closeTimer?: NodeJS.Timeout;
  }
  const socket = (client.connection as unknown as { connection?: { transport?: { socket?: FayeClient } } })
    .connection?.transport?.socket;
  if (!socket) throw new Error('pusher-js is not connected yet');
  const close = socket.close.bind(socket);
  socket.close = (code?: number, reason?: string): void => {
    close(code, reason);
    socket._closeTimer?.unref();
  };
}
