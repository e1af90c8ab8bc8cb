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
import { ERRORS, type ErrorCode } from '../../protocol/errors.js';
import { SUPPORTED_PROTOCOL_VERSIONS } from '../../protocol/events.js';
import { MAX_INCOMING_FRAME_BYTES } from '../../protocol/limits.js';
import { WsConnection } from './ws-connection.js';

const APP_PATH = /^\/app\/([^/]+)$/;

export interface WsGateway {
  /** Stops accepting new sockets (existing ones stay until the engine closes them). */
  stopAccepting(): void;
  close(): void;
}

export function attachWebSocketGateway(server: Server, engine: Engine, logger: Logger): WsGateway {
  const wss = new WebSocketServer({
    noServer: true,
    perMessageDeflate: false,
    clientTracking: false,
    maxPayload: MAX_INCOMING_FRAME_BYTES,
  });
  let accepting = true;

  const onUpgrade = (req: IncomingMessage, socket: Socket, head: Buffer): void => {
    socket.on('error', () => {
      socket.destroy();
    });
    if (!accepting) {
      socket.end('HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (!url.pathname.startsWith('/app/')) {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      const match = APP_PATH.exec(url.pathname);
      const protocol = url.searchParams.get('protocol');
      let problem: ErrorCode | undefined;
      if (!match) problem = 'path_not_found';
      else if (protocol === null) problem = 'no_protocol';
      else if (!/^\d+$/.test(protocol)) problem = 'invalid_version';
      else if (!SUPPORTED_PROTOCOL_VERSIONS.has(protocol)) problem = 'unsupported_protocol';
      if (problem !== undefined || !match) {
        const spec = ERRORS[problem ?? 'path_not_found'];
        const code = 'pusherCode' in spec ? spec.pusherCode : 4005;
        ws.send(encodeError(code, spec.message));
        ws.close(code, spec.message);
        return;
      }
      const key = decodeURIComponent(match[1] ?? '');
      const connection = new WsConnection(ws, socket);
      const origin = req.headers.origin;
      const session = engine.openSession(key, connection, origin);
      if (session) bindSession(ws, session, engine, logger);
    });
  };

  server.on('upgrade', onUpgrade);
  return {
    stopAccepting: () => {
      accepting = false;
    },
    close: () => {
      server.off('upgrade', onUpgrade);
      wss.close();
    },
  };
}

function bindSession(ws: WebSocket, session: Session, engine: Engine, logger: Logger): void {
  ws.on('message', (data: Buffer, isBinary: boolean) => {
    if (isBinary) engine.handleBinary(session);
    else engine.handleMessage(session, data.toString('utf8'));
  });
  ws.on('close', () => {
    engine.closeSession(session);
  });
  ws.on('error', (error) => {
    // Oversized frames (1009) and invalid UTF-8 (1007) land here; ws closes the socket itself.
    logger.debug({ socketId: session.socketId, err: error.message }, 'websocket error');
  });
}
