// WebSocket endpoint `/app/{key}`: `ws` in noServer mode on the host's HTTP(S) server. Checks the
// path and protocol version, then hands the socket to the engine. Errors found here are reported
// the Pusher way: accept the upgrade, send `pusher:error`, close with the code (pusher-js reads it).
import type { IncomingMessage, Server } from 'node:http';
import type { Socket } from 'node:net';
import WebSocket, { WebSocketServer } from 'ws';
import type { SessionHandle } from '../../core/ports/realtime.js';
import type { Logger } from '../../core/ports/logger.js';
import { encodeError } from '../../protocol/codec.js';
import { ERRORS, MawjlyError } from '../../protocol/errors.js';
import { MAX_INCOMING_FRAME_BYTES } from '../../protocol/limits.js';
import type { HandlerGuard } from '../guard.js';
import { parseRequestTarget } from '../http/request-target.js';
import { parseTarget, type SessionHost, type Target } from '../socket-target.js';
import { WsConnection } from './ws-connection.js';

export interface WsGateway {
  /** Stops accepting new sockets (existing ones stay until the engine closes them). */
  stopAccepting(): void;
  close(): void;
}

/**
 * Serves `/app/{key}` upgrades on `server`. The upgrade handler and every socket listener run inside
 * `guard`: a throw while opening, feeding or closing a session is logged and answered, never fatal.
 */
export function attachWebSocketGateway(
  server: Server,
  engine: SessionHost,
  logger: Logger,
  guard: HandlerGuard,
): WsGateway {
  const wss = new WebSocketServer<typeof SessionSocket>({
    WebSocket: SessionSocket,
    noServer: true,
    perMessageDeflate: false,
    clientTracking: false,
    maxPayload: MAX_INCOMING_FRAME_BYTES,
  });
  let accepting = true;

  // One set of listeners for every socket (`this` is the socket): per-socket closures cost memory.
  const onMessage = guard.listener(
    'a WebSocket message handler',
    function (this: WebSocket, data: Buffer, isBinary: boolean): void {
      const session = sessionOf(this);
      if (!session) return;
      if (isBinary) engine.handleBinary(session);
      else engine.handleMessage(session, data.toString('utf8'));
    },
    function (this: WebSocket): void {
      // The frame is lost, the socket is not: tell the client the way the engine tells it of its own failures.
      if (this.readyState === WebSocket.OPEN) this.send(encodeError(null, ERRORS.internal.message));
    },
  );
  const onClose = guard.listener('a WebSocket close handler', function (this: WebSocket): void {
    const session = sessionOf(this);
    if (session) engine.closeSession(session);
  });
  const onError = guard.listener('a WebSocket error handler', function (this: WebSocket, error: Error): void {
    // Oversized frames (1009) and invalid UTF-8 (1007) land here; ws closes the socket itself.
    logger.debug({ socketId: sessionOf(this)?.socketId, err: error.message }, 'websocket error');
  });

  const onUpgrade = (req: IncomingMessage, socket: Socket, head: Buffer): void => {
    socket.on('error', destroyOnError);
    if (!accepting) {
      socket.end('HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    const url = parseRequestTarget(req.url);
    if (!url) throw new MawjlyError('invalid_target');
    const target = parseTarget(url);
    if (!target) {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    const origin = req.headers.origin;
    // The callback must not capture req or the URL: whatever it closes over lives as long as the
    // socket does, through the shared function context.
    wss.handleUpgrade(req, socket, head, (ws) => {
      accept(ws, socket, target, origin);
    });
  };

  const accept = (ws: SessionSocket, socket: Socket, target: Target, origin: string | undefined): void => {
    const { key, problem } = target;
    if (problem !== undefined || key === undefined) {
      const spec = ERRORS[problem ?? 'path_not_found'];
      const code = 'pusherCode' in spec ? spec.pusherCode : 4005;
      ws.send(encodeError(code, spec.message));
      ws.close(code, spec.message);
      return;
    }
    const connection = new WsConnection(ws, socket);
    const session = engine.openSession(key, connection, origin);
    if (!session) return;
    ws.session = session;
    ws.on('message', onMessage);
    ws.on('close', onClose);
    ws.on('error', onError);
  };

  const guardedUpgrade = guard.upgrade(onUpgrade);
  server.on('upgrade', guardedUpgrade);
  return {
    stopAccepting: () => {
      accepting = false;
    },
    close: () => {
      server.off('upgrade', guardedUpgrade);
      wss.close();
    },
  };
}

/** ws's socket class, carrying the engine's session so that listeners can be shared. */
class SessionSocket extends WebSocket {
  session: SessionHandle | undefined = undefined;
}

function sessionOf(ws: WebSocket): SessionHandle | undefined {
  return ws instanceof SessionSocket ? ws.session : undefined;
}

/** Shared by every socket: a per-socket arrow function would keep its whole upgrade scope alive. */
function destroyOnError(this: Socket): void {
  this.destroy();
}
