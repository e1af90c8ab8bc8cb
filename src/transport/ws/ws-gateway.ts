// WebSocket endpoint `/app/{key}`: `ws` in noServer mode on the host's HTTP(S) server. Checks the
// path and protocol version, then hands the socket to the engine. Errors found here are reported
// the Pusher way: accept the upgrade, send `pusher:error`, close with the code (pusher-js reads it).
import type { IncomingMessage, Server } from 'node:http';
import type { Socket } from 'node:net';
import WebSocket, { WebSocketServer } from 'ws';
import type { Engine } from '../../core/engine.js';
import type { Logger } from '../../core/ports/logger.js';
import type { Session } from '../../core/session.js';
import { encodeError } from '../../protocol/codec.js';
import { ERRORS, MawjlyError, type ErrorCode } from '../../protocol/errors.js';
import { SUPPORTED_PROTOCOL_VERSIONS } from '../../protocol/events.js';
import { MAX_INCOMING_FRAME_BYTES } from '../../protocol/limits.js';
import type { HandlerGuard } from '../guard.js';
import { parseRequestTarget } from '../http/request-target.js';
import { WsConnection } from './ws-connection.js';

const APP_PATH = /^\/app\/([^/]+)$/;

export interface WsGateway {
  /** Stops accepting new sockets (existing ones stay until the engine closes them). */
  stopAccepting(): void;
  close(): void;
}

/** What the gateway needs of the engine: sessions opened, fed and closed. */
export type SessionHost = Pick<Engine, 'openSession' | 'handleMessage' | 'handleBinary' | 'closeSession'>;

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
  session: Session | undefined = undefined;
}

function sessionOf(ws: WebSocket): Session | undefined {
  return ws instanceof SessionSocket ? ws.session : undefined;
}

/** Shared by every socket: a per-socket arrow function would keep its whole upgrade scope alive. */
function destroyOnError(this: Socket): void {
  this.destroy();
}

export interface Target {
  /** The app key from `/app/{key}`, when the path has that shape. */
  readonly key: string | undefined;
  readonly problem: ErrorCode | undefined;
}

/** Undefined when the path is not under /app/ at all (plain 404, no WebSocket). */
export function parseTarget(url: URL): Target | undefined {
  if (!url.pathname.startsWith('/app/')) return undefined;
  const match = APP_PATH.exec(url.pathname);
  const protocol = url.searchParams.get('protocol');
  let problem: ErrorCode | undefined;
  if (!match) problem = 'path_not_found';
  else if (protocol === null) problem = 'no_protocol';
  else if (!/^\d+$/.test(protocol)) problem = 'invalid_version';
  else if (!SUPPORTED_PROTOCOL_VERSIONS.has(protocol)) problem = 'unsupported_protocol';
  return { key: match ? decodeKey(match[1] ?? '') : undefined, problem };
}

/** A malformed escape cannot name an app: keep the raw text, the engine answers app_not_found. */
function decodeKey(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
