// The uWebSockets.js listener: HTTP (through the transport-neutral router) and WebSockets on one
// port, plain or TLS (SSLApp), with the graceful shutdown the node:http listener has.
import type { TemplatedApp, us_listen_socket } from 'uWebSockets.js';
import type { Logger } from '../../core/ports/logger.js';
import type { ExchangeHandler } from '../http/exchange.js';
import type { HandlerGuard } from '../guard.js';
import { UwsFanOut } from './uws-connection.js';
import { serveUwsExchange, type UwsHttpRequest } from './uws-exchange.js';
import type { UwsHttpResponse } from './uws-response.js';
import { attachUwsGateway, type UwsGateway, type UwsSessionHost } from './uws-gateway.js';
import type { UwsModule } from './uws-loader.js';

/** uSockets' listen option that leaves SO_REUSEPORT unset (libusockets.h; the module exports it too). */
const LIBUS_LISTEN_EXCLUSIVE_PORT = 1;

export interface UwsServerOptions {
  readonly tls?: { readonly certFile: string; readonly keyFile: string };
}

/** The app exists before the engine (which takes its fan-out); sockets and routes come after. */
export class UwsServer {
  readonly app: TemplatedApp;
  readonly fanOut: UwsFanOut;
  readonly tls: boolean;
  readonly #uws: UwsModule;
  #listenSocket: us_listen_socket | undefined;
  #gateway: UwsGateway | undefined;
  /** HTTP responses begun and not ended (server-sent event streams included). */
  #inFlight = 0;

  constructor(uws: UwsModule, options: UwsServerOptions = {}) {
    this.#uws = uws;
    this.tls = options.tls !== undefined;
    this.app = options.tls
      ? uws.SSLApp({ cert_file_name: options.tls.certFile, key_file_name: options.tls.keyFile })
      : uws.App();
    this.fanOut = new UwsFanOut(this.app);
  }

  /**
   * Mounts WebSockets (`/app/{key}` upgrades) and every other request through `handler`, which must
   * already be guarded (it is called straight from uWS's callback and must never throw).
   */
  attach(engine: UwsSessionHost, logger: Logger, guard: HandlerGuard, handler: ExchangeHandler): void {
    this.fanOut.guardWith(guard);
    this.#gateway = attachUwsGateway(this.app, this.fanOut, engine, logger, guard);
    const secure = this.tls;
    const ended = (): void => {
      this.#inFlight--;
    };
    const serve = (request: UwsHttpRequest, response: UwsHttpResponse): void => {
      this.#inFlight++;
      response.onClose(ended);
      handler(request, response);
    };
    const fanOut = this.fanOut;
    this.app.any('/*', (res, req) => {
      serveUwsExchange(res, req, secure, serve, fanOut);
    });
  }

  /**
   * Binds; a port that cannot be bound is reported with the variable that chose it. uSockets sets
   * SO_REUSEPORT on Linux unless told otherwise, so a second process could silently bind the same
   * port and take half the connections: unless `reusePort`, the port is bound exclusively, and a
   * port already taken fails as it does with node:http.
   */
  listen(host: string, port: number, variable: string, reusePort = false): Promise<number> {
    return new Promise((resolve, reject) => {
      const bound = (socket: us_listen_socket | false): void => {
        if (!socket) {
          reject(
            new Error(
              `${variable}=${String(port)}: ${host}:${String(port)} is already in use${
                reusePort ? ' by a process that does not share it' : ''
              }, or not an address of this host (uWebSockets.js could not bind it)`,
            ),
          );
          return;
        }
        this.#listenSocket = socket;
        resolve(this.#uws.us_socket_local_port(socket));
      };
      if (reusePort) this.app.listen(host, port, bound);
      else {
        // listen(host, port, options, cb) exists in the native module but not in the v20 typings.
        const listen = this.app.listen.bind(this.app) as unknown as (
          host: string,
          port: number,
          options: number,
          cb: (socket: us_listen_socket | false) => void,
        ) => TemplatedApp;
        listen(host, port, LIBUS_LISTEN_EXCLUSIVE_PORT, bound);
      }
    });
  }

  stopAccepting(): void {
    this.#gateway?.stopAccepting();
  }

  /** Stops listening: open connections stay. */
  stopListening(): void {
    if (this.#listenSocket) this.#uws.us_listen_socket_close(this.#listenSocket);
    this.#listenSocket = undefined;
  }

  /**
   * Waits up to `graceMs` for the open sockets to close and the HTTP requests in flight to end, cuts
   * the rest, then every connection left (idle keep-alive ones included).
   */
  async close(graceMs: number): Promise<void> {
    this.stopListening();
    const deadline = Date.now() + graceMs;
    await this.#gateway?.closeAll(graceMs);
    // Like node:http's close(): requests in flight (and any pipelined behind them on the same
    // connection) are answered; what is still open at the end of the grace period is cut.
    while (this.#inFlight > 0 && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 50));
    await new Promise((resolve) => setTimeout(resolve, 50));
    // Not in the v20 typings but present in the builds we load: closes keep-alive HTTP connections too.
    const closable = this.app as TemplatedApp & { close?: () => void };
    if (typeof closable.close === 'function') closable.close();
  }
}
