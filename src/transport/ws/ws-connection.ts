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
 * Sockets written to during the current event-loop turn. A socket's first frame of a turn is
 * written at once (one syscall, no extra latency); a second frame in the same turn corks the socket,
 * and everything after it (member events from many joins, events of one batch, concurrent triggers)
 * leaves in one writev when `setImmediate` fires, right after the poll phase. Order is kept: every
 * frame of a socket goes through the same stream, and end() flushes a corked stream.
 */
const touched: WsConnection[] = [];
let flushScheduled = false;

function endTurn(): void {
  flushScheduled = false;
  // Ending a turn writes but never touches a connection, so the list cannot grow meanwhile.
  for (let i = 0; i < touched.length; i++) touched[i]?.endTurn();
  touched.length = 0;
}

/** A connection's writes in the current turn: none, one written directly, or corked. */
const enum Turn {
  Idle = 0,
  Wrote = 1,
  Corked = 2,
}

/**
 * A `ws` socket as the engine's Connection. Shared fan-out messages are framed once (ws's
 * `Sender.frame`) and the same bytes are written to each socket's TCP stream. This is safe because
 * permessage-deflate is off, so ws itself writes every frame synchronously and frames never interleave.
 */
export class WsConnection implements Connection {
  readonly #ws: WebSocket;
  readonly #socket: Socket;
  #turn: Turn = Turn.Idle;

  constructor(ws: WebSocket, socket: Socket) {
    this.#ws = ws;
    this.#socket = socket;
  }

  /** Read on demand: asking the socket caches a peer-name object on it for its whole life. */
  get remoteAddress(): string {
    return this.#socket.remoteAddress ?? '';
  }

  send(text: string): void {
    if (this.#ws.readyState !== WebSocket.OPEN) return;
    this.#beforeWrite();
    this.#ws.send(text);
  }

  sendShared(message: Outbound): void {
    if (this.#ws.readyState !== WebSocket.OPEN) return;
    message.framed ??= frameText(message);
    this.#beforeWrite();
    this.#socket.write(message.framed);
  }

  #beforeWrite(): void {
    if (this.#turn === Turn.Idle) {
      this.#turn = Turn.Wrote;
      touched.push(this);
      if (!flushScheduled) {
        flushScheduled = true;
        setImmediate(endTurn);
      }
    } else if (this.#turn === Turn.Wrote) {
      this.#turn = Turn.Corked;
      this.#socket.cork();
    }
  }

  /** @internal Called once per turn for every connection written to in it. */
  endTurn(): void {
    if (this.#turn === Turn.Corked) this.#socket.uncork();
    this.#turn = Turn.Idle;
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
