// WebSocket endpoint `/app/{key}` on uWebSockets.js: the same admission as the ws gateway (path,
// protocol version, then the engine's app/origin/limit checks), the same close codes, and every
// uWS callback inside the guard — an exception escaping a uWS callback would end the process.
import type { HttpRequest, HttpResponse, TemplatedApp, WebSocket, us_socket_context_t } from 'uWebSockets.js';
import type { Logger } from '../../core/ports/logger.js';
import type { Realtime } from '../../core/ports/realtime.js';
import { encodeError } from '../../protocol/codec.js';
import { ERRORS, type ErrorCode } from '../../protocol/errors.js';
import { MAX_INCOMING_FRAME_BYTES } from '../../protocol/limits.js';
import type { HandlerGuard } from '../guard.js';
import { parseRequestTarget } from '../http/request-target.js';
import { parseTarget, type SessionHost } from '../socket-target.js';
import { UwsConnection, type SocketData, type UwsFanOut } from './uws-connection.js';

/**
 * uWS closes a socket whose frame passes maxPayloadLength without a close frame (the client sees
 * 1006). It is set this far past the protocol's limit so that a frame just over the limit is still
 * read and answered with 1009, as on ws; memory per frame stays bounded by it.
 */
const OVERSIZE_CUTOFF = 4 * MAX_INCOMING_FRAME_BYTES;

/** How often socket queues are checked against the bound after fan-out publishes. */
const BACKPRESSURE_SWEEP_MS = 250;

export type UwsSessionHost = SessionHost & Pick<Realtime, 'terminate' | 'maxBufferedBytes'>;

export interface UwsGateway {
  stopAccepting(): void;
  /** Open sockets (sessions or being refused). */
  readonly size: number;
  /** Resolves once every socket has closed, or after `ms`, when the rest are cut. */
  closeAll(ms: number): Promise<void>;
}

export function attachUwsGateway(
  app: TemplatedApp,
  fanOut: UwsFanOut,
  engine: UwsSessionHost,
  logger: Logger,
  guard: HandlerGuard,
): UwsGateway {
  let accepting = true;
  const open = new Set<UwsConnection>();
  let emptied: (() => void) | undefined;
  const bound = engine.maxBufferedBytes;

  /** Past the bound: the engine says 4100 (its error frame and close frame queue behind the backlog). */
  const checkQueue = (connection: UwsConnection, session: UwsConnection['session']): void => {
    if (!session || session.closed || connection.closed) return;
    const buffered = connection.bufferedBytes;
    if (buffered <= bound) return;
    logger.warn({ socketId: session.socketId, bufferedBytes: buffered }, 'closing a slow consumer (4100)');
    engine.terminate(session, 'over_capacity');
  };

  const sweep = setInterval(
    guard.listener('the WebSocket backpressure sweep', () => {
      if (!fanOut.published) return;
      fanOut.published = false;
      for (const connection of open) checkQueue(connection, connection.session);
    }),
    BACKPRESSURE_SWEEP_MS,
  );
  sweep.unref();

  const upgrade = (res: HttpResponse, req: HttpRequest, context: us_socket_context_t): void => {
    let answered = false;
    res.onAborted(() => {
      answered = true;
    });
    const respond = (status: string, body = ''): void => {
      if (answered) return;
      answered = true;
      res.cork(() => {
        res.writeStatus(status);
        if (body !== '') res.writeHeader('Content-Type', 'application/json');
        // end(…, true) writes `Connection: close` itself.
        res.end(body, true);
      });
    };
    try {
      if (!accepting) {
        respond('503 Service Unavailable');
        return;
      }
      const query = req.getQuery();
      const url = parseRequestTarget(query ? `${req.getUrl()}?${query}` : req.getUrl());
      if (!url) {
        const spec = ERRORS.invalid_target;
        respond(
          '400 Bad Request',
          JSON.stringify({ error: { code: 'invalid_target', message: spec.message } }),
        );
        return;
      }
      const target = parseTarget(url);
      if (!target) {
        respond('404 Not Found');
        return;
      }
      const origin = req.getHeader('origin');
      // Like ws: the first offered subprotocol, if any, is accepted.
      const protocols = req.getHeader('sec-websocket-protocol');
      const data: SocketData = {
        connection: new UwsConnection({
          key: target.key,
          problem: target.problem,
          origin: origin === '' ? undefined : origin,
        }),
      };
      answered = true;
      res.upgrade(
        data,
        req.getHeader('sec-websocket-key'),
        protocols === '' ? '' : (protocols.split(',')[0] ?? '').trim(),
        req.getHeader('sec-websocket-extensions'),
        context,
      );
    } catch (error) {
      logger.error({ err: error }, 'unexpected error in a WebSocket upgrade handler');
      respond(
        '500 Internal Server Error',
        JSON.stringify({ error: { code: 'internal', message: ERRORS.internal.message } }),
      );
    }
  };

  const onOpen = (ws: WebSocket<SocketData>): void => {
    const connection = ws.getUserData().connection;
    connection.ws = ws;
    open.add(connection);
    // Made at the upgrade, read once here (uWS opens a socket once).
    const admission = connection.admission;
    connection.admission = undefined;
    if (admission?.key === undefined || admission.problem !== undefined) {
      const spec = ERRORS[(admission?.problem ?? 'path_not_found') as ErrorCode];
      const code = 'pusherCode' in spec ? spec.pusherCode : 4005;
      connection.send(encodeError(code, spec.message));
      connection.close(code, spec.message);
      return;
    }
    connection.session = engine.openSession(admission.key, connection, admission.origin);
  };

  // `this` is the socket: the recovery then tells its peer, as the ws gateway does.
  const onMessage = guard.listener(
    'a WebSocket message handler',
    function (this: WebSocket<SocketData>, message: ArrayBuffer, isBinary: boolean): void {
      const connection = this.getUserData().connection;
      const session = connection.session;
      if (!session) return;
      if (message.byteLength > MAX_INCOMING_FRAME_BYTES) {
        // As ws does: 1009. (uWS itself takes up to OVERSIZE_CUTOFF, and cuts the socket past it.)
        connection.close(1009, 'Max payload size exceeded');
        return;
      }
      if (isBinary) engine.handleBinary(session);
      // Decoded at once: uWS reuses the message's memory after this callback.
      else engine.handleMessage(session, Buffer.from(message).toString('utf8'));
    },
    function (this: WebSocket<SocketData>): void {
      this.getUserData().connection.send(encodeError(null, ERRORS.internal.message));
    },
  );
  const onOpenGuarded = guard.listener(
    'a WebSocket open handler',
    function (this: WebSocket<SocketData>): void {
      onOpen(this);
    },
    function (this: WebSocket<SocketData>): void {
      this.getUserData().connection.close(1011, ERRORS.internal.message);
    },
  );

  const onDrain = (ws: WebSocket<SocketData>): void => {
    const connection = ws.getUserData().connection;
    checkQueue(connection, connection.session);
  };

  const onClose = (ws: WebSocket<SocketData>): void => {
    const connection = ws.getUserData().connection;
    connection.markClosed();
    open.delete(connection);
    if (connection.session) engine.closeSession(connection.session);
    if (open.size === 0) emptied?.();
  };

  app.ws<SocketData>('/*', {
    compression: 0,
    maxPayloadLength: OVERSIZE_CUTOFF,
    // The engine runs its own activity timer (pusher:ping / pong) for every socket.
    idleTimeout: 0,
    sendPingsAutomatically: false,
    // A hard ceiling well past the engine's bound, where uWS itself cuts the socket; the engine's
    // 4100 comes first, from the sweep after publishes, the drain callback and every direct send.
    maxBackpressure: bound * 2 + 1024 * 1024,
    closeOnBackpressureLimit: 1,
    upgrade,
    open: (ws) => {
      onOpenGuarded.call(ws);
    },
    message: (ws, message, isBinary) => {
      onMessage.call(ws, message, isBinary);
    },
    drain: guard.listener('a WebSocket drain handler', onDrain),
    close: guard.listener('a WebSocket close handler', onClose),
  });

  return {
    stopAccepting: () => {
      accepting = false;
    },
    get size() {
      return open.size;
    },
    closeAll: (ms) =>
      new Promise<void>((resolve) => {
        const done = (): void => {
          clearTimeout(timer);
          clearInterval(sweep);
          resolve();
        };
        const timer = setTimeout(() => {
          for (const connection of [...open]) connection.cut();
          done();
        }, ms);
        timer.unref();
        if (open.size === 0) done();
        else emptied = done;
      }),
  };
}
