// A uWebSockets.js socket as the engine's Connection, and uWS topics as the engine's fan-out.
// A uWS socket object throws on any use after its close callback ran: every call checks `closed`.
import type { TemplatedApp, WebSocket } from 'uWebSockets.js';
import type { Connection, Outbound } from '../../core/ports/connection.js';
import type { TopicFanOut } from '../../core/ports/topic-fan-out.js';
import type { Session } from '../../core/session.js';

/** How long a closing socket may take to finish the close handshake before it is cut. */
const CLOSE_GRACE_MS = 2_000;

/** What the gateway keeps on each uWS socket (its user data). */
export interface SocketData {
  connection: UwsConnection | undefined;
  session: Session | undefined;
  /** From the upgrade request: the app key (undefined when the path has no key) and any refusal. */
  readonly key: string | undefined;
  readonly problem: string | undefined;
  readonly origin: string | undefined;
}

export class UwsConnection implements Connection {
  readonly ws: WebSocket<SocketData>;
  closed = false;
  #closing = false;

  constructor(ws: WebSocket<SocketData>) {
    this.ws = ws;
  }

  /** Read on demand (logs only): keeping it costs memory on every socket. */
  get remoteAddress(): string {
    if (this.closed) return '';
    return Buffer.from(this.ws.getRemoteAddressAsText()).toString('latin1');
  }

  send(text: string): void {
    if (this.closed) return;
    this.ws.send(text, false, false);
  }

  sendShared(message: Outbound): void {
    if (this.closed) return;
    this.ws.send(message.payload ?? message.text, false, false);
  }

  close(code: number, reason: string): void {
    if (this.closed || this.#closing) return;
    this.#closing = true;
    // Close reasons are limited to 123 bytes by the WebSocket protocol.
    const bytes = Buffer.from(reason, 'utf8')
      .subarray(0, 123)
      .toString('utf8')
      .replace(/\uFFFD$/, '');
    this.ws.end(code, bytes);
    const timer = setTimeout(() => {
      if (!this.closed) this.ws.close();
    }, CLOSE_GRACE_MS);
    timer.unref();
  }

  get bufferedBytes(): number {
    return this.closed ? 0 : this.ws.getBufferedAmount();
  }

  /** Cuts the socket without a close handshake (shutdown grace over). */
  cut(): void {
    if (!this.closed) this.ws.close();
  }
}

/**
 * uWS topics: one publish frames the text once and writes it, corked, to every subscriber in native
 * code; from a socket (`ws.publish`) it skips that socket. `published` is set on every publish so
 * that the gateway's backpressure sweep runs only when something may have grown a queue.
 */
export class UwsFanOut implements TopicFanOut {
  readonly #app: TemplatedApp;
  published = false;

  constructor(app: TemplatedApp) {
    this.#app = app;
  }

  subscribe(connection: UwsConnection, topic: string): void {
    if (!connection.closed) connection.ws.subscribe(topic);
  }

  unsubscribe(connection: UwsConnection, topic: string): void {
    if (!connection.closed) connection.ws.unsubscribe(topic);
  }

  publish(topic: string, message: Outbound, except: UwsConnection | undefined): void {
    this.published = true;
    if (except !== undefined && !except.closed) except.ws.publish(topic, message.text, false, false);
    else this.#app.publish(topic, message.text, false, false);
  }
}
