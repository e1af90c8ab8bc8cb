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
 * Sockets corked during the current event-loop turn. Everything written to one socket while the
 * poll phase runs (member events from many joins, several events of one batch, an ack and its
 * presence data) leaves in one writev when `setImmediate` fires, right after the poll phase, instead
 * of one syscall per frame. Order is kept: every frame of a socket goes through the same stream.
 */
const corked: WsConnection[] = [];
let flushScheduled = false;

function flushCorked(): void {
  flushScheduled = false;
  // A flush may not add to the list (it only uncorks), so iterating by index is safe.
  for (let i = 0; i < corked.length; i++) corked[i]?.uncork();
  corked.length = 0;
}

/**
 * A `ws` socket as the engine's Connection. Shared fan-out messages are framed once (ws's
 * `Sender.frame`) and the same bytes are written to each socket's TCP stream. This is safe because
 * permessage-deflate is off, so ws itself writes every frame synchronously and frames never interleave.
 */
export class WsConnection implements Connection {
  readonly #ws: WebSocket;
  readonly #socket: Socket;
  readonly remoteAddress: string;
  #corked = false;

  constructor(ws: WebSocket, socket: Socket) {
    this.#ws = ws;
    this.#socket = socket;
    this.remoteAddress = socket.remoteAddress ?? '';
  }

  send(text: string): void {
    if (this.#ws.readyState !== WebSocket.OPEN) return;
    this.#cork();
    this.#ws.send(text);
  }

  sendShared(message: Outbound): void {
    if (this.#ws.readyState !== WebSocket.OPEN) return;
    message.framed ??= frameText(message);
    this.#cork();
    this.#socket.write(message.framed);
  }

  #cork(): void {
    if (this.#corked) return;
    this.#corked = true;
    this.#socket.cork();
    corked.push(this);
    if (!flushScheduled) {
      flushScheduled = true;
      setImmediate(flushCorked);
    }
  }

  /** @internal Called once per turn by the flush. */
  uncork(): void {
    this.#corked = false;
    this.#socket.uncork();
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
