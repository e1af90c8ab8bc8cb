// A uWebSockets.js socket as the engine's Connection, and uWS topics as the engine's fan-out.
// A uWS socket object throws on any use after its close callback ran: every call checks `closed`.
import type { TemplatedApp, WebSocket } from 'uWebSockets.js';
import type { Connection, Outbound } from '../../core/ports/connection.js';
import type { TopicFanOut } from '../../core/ports/topic-fan-out.js';
import type { SessionHandle } from '../../core/ports/realtime.js';
import type { HandlerGuard } from '../guard.js';

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
 * A turn's answers are held for its deliveries only when the previous turn that published anything
 * began at least this long ago: the server was idle, so latency is worth more than the pipelining
 * an early answer gives a busy publisher (docs/benchmarks.md, "Deliveries before the answer").
 */
const IDLE_GAP_MS = 5;
/**
 * Nor when the turn queued more deliveries than this: a publisher then waits for the writes of
 * every subscriber, which outgrows what the order gains its subscribers.
 */
const MAX_HELD_DELIVERIES = 256;

/**
 * uWS topics: one publish frames the text once and writes it, corked, to every subscriber in native
 * code; from a socket (`ws.publish`) it skips that socket. `published` is set on every publish so
 * that the gateway's backpressure sweep runs only when something may have grown a queue.
 *
 * uWS sends what topics queued when the event-loop turn ends (from its libuv check handle), while an
 * HTTP answer is written at once: left alone, a REST publisher would hear its 200 before any
 * subscriber got the event, the reverse of the ws transport, which writes frames before the handler
 * answers. So an idle turn's answers are held (holdAnswer) until `setImmediate`, which libuv runs
 * after uWS's check handle, when the frames have left.
 */
export class UwsFanOut implements TopicFanOut {
  readonly #app: TemplatedApp;
  published = false;
  /** Deliveries queued on topics this turn (0: nothing published yet, no turn end scheduled). */
  #queued = 0;
  /** When this turn's first publish came, and whether the one before came IDLE_GAP_MS earlier. */
  #turnStart = -Infinity;
  #idle = false;
  /** Answers held until the turn ends. */
  #held: (() => void)[] = [];
  /**
   * Sends one held answer. It runs from setImmediate, outside the request's guarded handler: once
   * attached, the server's guard logs a throw (and the next answers still go).
   */
  #sendHeld: (send: () => void) => void = (send) => {
    send();
  };
  readonly #endTurn = (): void => {
    this.#queued = 0;
    const held = this.#held;
    if (held.length === 0) return;
    this.#held = [];
    for (const send of held) this.#sendHeld(send);
  };

  readonly #now: () => number;

  /** `now`: a monotonic clock in milliseconds (tests give their own). */
  constructor(app: TemplatedApp, now: () => number = () => performance.now()) {
    this.#app = app;
    this.#now = now;
  }

  /** Held answers are sent inside `guard` from now on. */
  guardWith(guard: HandlerGuard): void {
    this.#sendHeld = guard.listener('a held HTTP answer', (send: () => void) => {
      send();
    });
  }

  subscribe(connection: UwsConnection, topic: string): void {
    if (!connection.closed) connection.ws.subscribe(topic);
  }

  unsubscribe(connection: UwsConnection, topic: string): void {
    if (!connection.closed) connection.ws.unsubscribe(topic);
  }

  publish(topic: string, message: Outbound, except: UwsConnection | undefined, deliveries: number): void {
    this.published = true;
    if (deliveries > 0) {
      if (this.#queued === 0) {
        setImmediate(this.#endTurn);
        const now = this.#now();
        this.#idle = now - this.#turnStart >= IDLE_GAP_MS;
        this.#turnStart = now;
      }
      this.#queued += deliveries;
    }
    if (except !== undefined && !except.closed) except.ws.publish(topic, message.text, false, false);
    else this.#app.publish(topic, message.text, false, false);
  }

  /**
   * Holds an HTTP answer until this turn's topic deliveries have left, when the turn is idle and
   * queued some, not too many: true if `send` will be called then (in this same loop iteration).
   */
  holdAnswer(send: () => void): boolean {
    if (!this.#idle || this.#queued === 0 || this.#queued > MAX_HELD_DELIVERIES) return false;
    this.#held.push(send);
    return true;
  }
}
