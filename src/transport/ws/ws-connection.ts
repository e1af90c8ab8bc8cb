import type { Socket } from 'node:net';
import * as wsModule from 'ws';
import { WebSocket } from 'ws';
import type { Connection, Outbound } from '../../core/ports/connection.js';

/** ws's frame builder: public on the module object, missing from @types/ws. */
interface FrameOptions {
  fin: boolean;
  rsv1: boolean;
  opcode: number;
  mask: boolean;
  readOnly: boolean;
}
const { Sender } = wsModule as unknown as {
  Sender: { frame(data: Buffer, options: FrameOptions): Buffer[] };
};

/** How long a closing socket may take to finish the close handshake before it is destroyed. */
const CLOSE_GRACE_MS = 2_000;

/**
 * A `ws` socket as the engine's Connection. Shared fan-out messages are framed once (ws's
 * `Sender.frame`) and the same bytes are written to each socket's TCP stream. This is safe because
 * permessage-deflate is off, so ws itself writes every frame synchronously and frames never interleave.
 */
export class WsConnection implements Connection {
  readonly #ws: WebSocket;
  readonly #socket: Socket;
  readonly remoteAddress: string;

  constructor(ws: WebSocket, socket: Socket) {
    this.#ws = ws;
    this.#socket = socket;
    this.remoteAddress = socket.remoteAddress ?? '';
  }

  send(text: string): void {
    if (this.#ws.readyState === WebSocket.OPEN) this.#ws.send(text);
  }

  sendShared(message: Outbound): void {
    if (this.#ws.readyState !== WebSocket.OPEN) return;
    message.framed ??= frameText(message);
    this.#socket.write(message.framed);
  }

  close(code: number, reason: string): void {
    const state = this.#ws.readyState;
    if (state === WebSocket.CLOSED) return;
    if (state === WebSocket.CLOSING) return;
    // Close reasons are limited to 123 bytes by the WebSocket protocol.
    this.#ws.close(
      code,
      Buffer.from(reason, 'utf8')
        .subarray(0, 123)
        .toString('utf8')
        .replace(/\uFFFD$/, ''),
    );
    const timer = setTimeout(() => {
      if (this.#ws.readyState !== WebSocket.CLOSED) this.#ws.terminate();
    }, CLOSE_GRACE_MS);
    timer.unref();
  }

  get bufferedBytes(): number {
    return this.#socket.writableLength;
  }
}

function frameText(message: Outbound): Buffer {
  message.payload ??= Buffer.from(message.text, 'utf8');
  const parts = Sender.frame(message.payload, {
    fin: true,
    rsv1: false,
    opcode: 1,
    mask: false,
    readOnly: true,
  });
  return parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts);
}
