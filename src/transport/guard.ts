// The one guard every entry point from the network runs inside: HTTP request handlers, WebSocket
// upgrade handlers, and the per-socket message/close/error listeners. Whatever a handler throws (or
// the promise it returns rejects with) is logged through the project logger and answered with the
// catalogue's error: a MawjlyError with its own status, anything else with 500 `internal`. One bad
// request can therefore never become an uncaught exception that takes the process down.
//
// The server builds one guard (src/server/server.ts) and wraps every handler it mounts with it;
// transports take handlers, never listeners that bypass it.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from '../core/ports/logger.js';
import { ERRORS, MawjlyError } from '../protocol/errors.js';
import type { ExchangeHandler, HttpRequest, HttpResponse } from './http/exchange.js';
import { FALLBACK_HEADERS, sendError } from './http/respond.js';

/** A request handler; it may answer asynchronously and return the promise of that work. */
export type RequestHandler = (req: IncomingMessage, res: ServerResponse) => unknown;

export interface HandlerGuard {
  /** A transport-neutral HTTP handler (the router): the same rule for every transport. */
  exchange(handler: ExchangeHandler): (req: HttpRequest, res: HttpResponse) => void;
  request(handler: RequestHandler): (req: IncomingMessage, res: ServerResponse) => void;
  upgrade<S extends Duplex>(
    handler: (req: IncomingMessage, socket: S, head: Buffer) => unknown,
  ): (req: IncomingMessage, socket: S, head: Buffer) => void;
  /**
   * An event listener (`this` is kept, so one shared function can serve every socket). A throw is
   * logged under `what`; `recover` (itself guarded) may then tell the peer.
   */
  listener<This, Args extends unknown[]>(
    what: string,
    fn: (this: This, ...args: Args) => void,
    recover?: (this: This, error: unknown) => void,
  ): (this: This, ...args: Args) => void;
}

export function createGuard(logger: Logger): HandlerGuard {
  const report = (error: unknown, fields: object, what: string): { status: number; body: string } => {
    const known = error instanceof MawjlyError ? error : undefined;
    const status = known?.httpStatus ?? 500;
    if (known && status < 500) logger.debug({ ...fields, code: known.code }, `${what} refused`);
    else logger.error({ ...fields, err: error }, `unexpected error in ${what}`);
    const code = known && status < 500 ? known.code : 'internal';
    const message = known && status < 500 ? known.message : ERRORS.internal.message;
    return { status, body: JSON.stringify({ error: { code, message } }) };
  };

  const failRequest = (req: IncomingMessage, res: ServerResponse, error: unknown): void => {
    const { status, body } = report(error, requestFields(req), 'an HTTP request handler');
    try {
      if (res.headersSent || res.writableEnded) {
        // Part of another answer is on the wire: cutting the connection is the only honest end.
        res.destroy();
        return;
      }
      res.writeHead(status, {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(body),
        'cache-control': 'no-store',
      });
      res.end(body);
      if (!req.complete) req.resume();
    } catch {
      res.destroy();
    }
  };

  const failExchange = (req: HttpRequest, res: HttpResponse, error: unknown): void => {
    report(
      error,
      { method: req.method.slice(0, 20), path: req.path.slice(0, 200) },
      'an HTTP request handler',
    );
    try {
      sendError(res, error, FALLBACK_HEADERS, undefined, true);
    } catch {
      res.destroy();
    }
  };

  const failUpgrade = (req: IncomingMessage, socket: Duplex, error: unknown): void => {
    const { status, body } = report(error, requestFields(req), 'a WebSocket upgrade handler');
    try {
      const written = socket as Duplex & { bytesWritten?: number };
      if (!socket.writable || (written.bytesWritten ?? 0) > 0 || socket.writableLength > 0) {
        // The handshake (or a refusal) already started: nothing sensible can follow it.
        socket.destroy();
        return;
      }
      socket.end(
        `HTTP/1.1 ${status} ${status === 500 ? 'Internal Server Error' : 'Bad Request'}\r\n` +
          `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
          `Connection: close\r\n\r\n${body}`,
      );
    } catch {
      socket.destroy();
    }
  };

  return {
    exchange: (handler) => (req, res) => {
      let result: unknown;
      try {
        result = handler(req, res);
      } catch (error) {
        failExchange(req, res, error);
        return;
      }
      if (result instanceof Promise)
        result.catch((error: unknown) => {
          failExchange(req, res, error);
        });
    },
    request: (handler) => (req, res) => {
      let result: unknown;
      try {
        result = handler(req, res);
      } catch (error) {
        failRequest(req, res, error);
        return;
      }
      if (result instanceof Promise)
        result.catch((error: unknown) => {
          failRequest(req, res, error);
        });
    },
    upgrade: (handler) => (req, socket, head) => {
      let result: unknown;
      try {
        result = handler(req, socket, head);
      } catch (error) {
        failUpgrade(req, socket, error);
        return;
      }
      if (result instanceof Promise)
        result.catch((error: unknown) => {
          failUpgrade(req, socket, error);
        });
    },
    listener: (what, fn, recover) =>
      function guarded(...args) {
        try {
          fn.apply(this, args);
        } catch (error) {
          logger.error({ err: error, handler: what }, `unexpected error in ${what}`);
          if (!recover) return;
          try {
            recover.call(this, error);
          } catch (again) {
            logger.error({ err: again, handler: what }, `could not recover from an error in ${what}`);
          }
        }
      },
  };
}

/** What is logged about a failed request: method and path only (queries and bodies may hold secrets). */
function requestFields(req: IncomingMessage): { method: string; path: string } {
  const target = req.url ?? '';
  const q = target.indexOf('?');
  return {
    method: (req.method ?? '').slice(0, 20),
    path: (q === -1 ? target : target.slice(0, q)).slice(0, 200),
  };
}
