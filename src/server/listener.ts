// The main port's listener on either transport: node:http(s) + ws, or uWebSockets.js. Both serve
// every HTTP request through one guarded handler and every `/app/{key}` WebSocket through the engine,
// and shut down the same way: stop accepting, close the listener, close sockets (4200), cut the rest
// after the grace period.
import { readFileSync } from 'node:fs';
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../core/ports/logger.js';
import type { HandlerGuard } from '../transport/guard.js';
import type { ExchangeHandler } from '../transport/http/exchange.js';
import type { UwsServer } from '../transport/uws/uws-server.js';
import type { UwsSessionHost } from '../transport/uws/uws-gateway.js';

export interface Listener {
  readonly transport: 'uws' | 'ws';
  readonly port: number;
  /** New WebSockets are refused (503); REST and open sockets are still served. */
  stopAccepting(): void;
  /** Closes the listener, runs `closeSessions` (4200 to every socket), waits up to `graceMs`. */
  close(closeSessions: () => Promise<void>, graceMs: number): Promise<void>;
  /** Releases everything at once (startup failed). */
  abandon(): void;
}

export interface ListenerOptions {
  readonly host: string;
  readonly port: number;
  /** The variable that chose the port, for the error when it cannot be bound. */
  readonly portVariable: string;
  /** Share the port with other processes (SO_REUSEPORT, uws only); false: the port is this node's alone. */
  readonly reusePort: boolean;
  readonly tls: { readonly certFile: string; readonly keyFile: string } | undefined;
  readonly engine: UwsSessionHost;
  readonly logger: Logger;
  readonly guard: HandlerGuard;
}

/** node:http(s) with `ws` on upgrades; `handler` is the guarded node request listener. */
export async function listenNode(
  options: ListenerOptions,
  handler: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<Listener> {
  // Imported here so that the uWS transport never loads `ws`.
  const { attachWebSocketGateway } = await import('../transport/ws/ws-gateway.js');
  const { tls } = options;
  const server: Server = tls
    ? createHttpsServer({ cert: readFileSync(tls.certFile), key: readFileSync(tls.keyFile) }, handler)
    : createHttpServer(handler);
  server.keepAliveTimeout = 65_000;
  const gateway = attachWebSocketGateway(server, options.engine, options.logger, options.guard);
  const abandon = (): void => {
    gateway.close();
    server.close();
  };
  try {
    await listen(server, options.port, options.host, options.portVariable);
  } catch (error) {
    abandon();
    throw error;
  }
  return {
    transport: 'ws',
    port: (server.address() as AddressInfo).port,
    stopAccepting: () => {
      gateway.stopAccepting();
    },
    abandon,
    close: async (closeSessions, graceMs) => {
      const httpClosed = new Promise<void>((resolve) =>
        server.close(() => {
          resolve();
        }),
      );
      server.closeIdleConnections();
      await closeSessions();
      const grace = setTimeout(() => {
        server.closeAllConnections();
      }, graceMs);
      grace.unref();
      await httpClosed;
      clearTimeout(grace);
      gateway.close();
    },
  };
}

/** uWebSockets.js; `handler` is the guarded exchange handler (the router). */
export async function listenUws(
  options: ListenerOptions,
  server: UwsServer,
  handler: ExchangeHandler,
): Promise<Listener> {
  server.attach(options.engine, options.logger, options.guard, handler);
  const port = await server.listen(options.host, options.port, options.portVariable, options.reusePort);
  return {
    transport: 'uws',
    port,
    stopAccepting: () => {
      server.stopAccepting();
    },
    abandon: () => {
      void server.close(0);
    },
    close: async (closeSessions, graceMs) => {
      server.stopListening();
      await closeSessions();
      await server.close(graceMs);
    },
  };
}

/** Checks that TLS files can be read before uWS gets them (it would only say that it failed). */
export function checkTlsFiles(tls: ListenerOptions['tls']): void {
  if (!tls) return;
  readFileSync(tls.certFile);
  readFileSync(tls.keyFile);
}

/** Listens; a port already taken is reported with the variable that chose it. */
export function listen(server: Server, port: number, host: string, variable: string): Promise<void> {
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
