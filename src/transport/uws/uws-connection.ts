// A uWebSockets.js socket as the engine's Connection, and uWS topics as the engine's fan-out.
// A uWS socket object throws on any use after its close callback ran: every call checks `closed`.
import type { TemplatedApp, WebSocket } from 'uWebSockets.js';
import type { Connection, Outbound } from '../../core/ports/connection.js';
import type { TopicFanOut } from '../../core/ports/topic-fan-out.js';
import type { SessionHandle } from '../../core/ports/realtime.js';

/** How long a closing socket may take to finish the close handshake before it is cut. */
const CLOSE_GRACE_MS = 2_000;

/**
 * What the gateway keeps on each uWS socket (its user data). uWS copies the user data's properties
 * onto every socket's JS object (out of object, in a property array), so it is one property: the
 * connection, which holds the rest.
 */
export interface SocketData {
  readonly connection: UwsConnection;
}

/** From the upgrade request, until the socket opens: the app key (undefined when the path has none) and any refusal. */
export interface Admission {
  readonly key: string | undefined;
  readonly problem: string | undefined;
  readonly origin: string | undefined;
}

/** Where a connection is: open, closing (our close frame sent), or closed (uWS's close callback ran). */
const OPEN = 0;
const CLOSING = 1;
const CLOSED = 2;

export class UwsConnection implements Connection {
  /** Set when the socket opens (the connection is made at the upgrade, before the socket exists). */
  ws!: WebSocket<SocketData>;
  /** The engine's session, once the socket was admitted. */
  session: SessionHandle | undefined;
  /** Dropped once the socket opens, with the strings it holds. */
  admission: Admission | undefined;
  #state = OPEN;

  constructor(admission: Admission) {
    this.admission = admission;
  }

  /** True once uWS's close callback ran: the socket object then throws on any use. */
  get closed(): boolean {
    return this.#state === CLOSED;
  }

  /** uWS's close callback ran. */
  markClosed(): void {
    this.#state = CLOSED;
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
    if (this.#state !== OPEN) return;
    this.#state = CLOSING;
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
