// One client connection: its identity, subscriptions and timers' state. The engine's sweeper drives
// activity checks for all sessions from one shared timer; a session holds only numbers, no timers.
import type { App } from './app.js';
import type { Connection, Outbound } from './ports/connection.js';
import type { Logger } from './ports/logger.js';
import { encodeError } from '../protocol/codec.js';
import { ERRORS, type ErrorCode } from '../protocol/errors.js';

export interface Subscription {
  /** Presence channels: the member's user id on this channel. */
  readonly userId?: string;
}

/**
 * The bounded-buffer rule of the WebSocket transport, shared by every session of an engine: before
 * any frame is queued for a socket, its unsent bytes are compared with `maxBufferedBytes`; past it,
 * nothing more is queued and `overflow` disconnects the socket (4100, `over_capacity`).
 */
export interface OutboundBound {
  readonly maxBufferedBytes: number;
  overflow(session: Session): void;
}

/** The engine's bound: a socket past `maxBufferedBytes` is logged and closed by `close` (4100). */
export function slowConsumerBound(
  maxBufferedBytes: number,
  logger: Logger,
  close: (session: Session) => void,
): OutboundBound {
  return {
    maxBufferedBytes,
    overflow: (session) => {
      const bufferedBytes = session.connection.bufferedBytes;
      logger.warn(
        { socketId: session.socketId, appId: session.app.id, bufferedBytes },
        'closing a slow consumer (4100)',
      );
      close(session);
    },
  };
}

/** Up to this many subscriptions, a socket keeps them in a flat array rather than a Map. */
const SMALL_SUBSCRIPTIONS = 8;
/** The watchlist of every socket that has not signed in with one. */
const NO_WATCHLIST: readonly string[] = Object.freeze([]);

export class Session {
  readonly socketId: string;
  readonly connection: Connection;
  /** Refreshed by the engine when the app's record changes. */
  app: App;
  /**
   * This socket's subscriptions, channel → record. Most sockets of a busy server are idle or on one
   * or two channels, and a Map costs ~180 bytes even with one entry: up to SMALL_SUBSCRIPTIONS they
   * are a flat `[channel, record, channel, record…]` array, past that a Map; none, undefined.
   */
  #subscriptions: (string | Subscription)[] | Map<string, Subscription> | undefined;
  /** Signed-in user id (`pusher:signin`). */
  userId: string | undefined;
  watchlist: readonly string[] = NO_WATCHLIST;
  /** Signed in, or joined a private/presence channel (authorized connections). */
  authorized = false;
  readonly openedAtMs: number;
  lastActivityMs: number;
  /** When the server sent `pusher:ping` and awaits any frame; 0 when not waiting. */
  pingSentAtMs = 0;
  /** Client-event rate limit: fixed one-second window. */
  clientEventWindowStartMs = 0;
  clientEventsInWindow = 0;
  closed = false;
  /** Presence channels among the subscriptions (the per-connection presence cap counts them). */
  presenceChannels = 0;
  /** Channels whose live frames are held while missed events are replayed (history-service.ts). */
  replays: Map<string, ReplayHold> | undefined;
  readonly #bound: OutboundBound;

  constructor(socketId: string, connection: Connection, app: App, nowMs: number, bound: OutboundBound) {
    this.socketId = socketId;
    this.connection = connection;
    this.app = app;
    this.openedAtMs = nowMs;
    this.lastActivityMs = nowMs;
    this.#bound = bound;
  }

  /** The socket's record of a channel it is subscribed to. */
  subscription(channel: string): Subscription | undefined {
    const subs = this.#subscriptions;
    if (subs === undefined) return undefined;
    if (subs instanceof Map) return subs.get(channel);
    for (let i = 0; i < subs.length; i += 2) if (subs[i] === channel) return subs[i + 1] as Subscription;
    return undefined;
  }

  get channelCount(): number {
    const subs = this.#subscriptions;
    return subs === undefined ? 0 : subs instanceof Map ? subs.size : subs.length / 2;
  }

  /** A snapshot of the subscriptions (the caller may leave channels while walking it). */
  subscriptionList(): [string, Subscription][] {
    const subs = this.#subscriptions;
    if (subs === undefined) return [];
    if (subs instanceof Map) return [...subs];
    const list: [string, Subscription][] = [];
    for (let i = 0; i < subs.length; i += 2) list.push([subs[i] as string, subs[i + 1] as Subscription]);
    return list;
  }

  /** Records a new subscription (the channel is not among the socket's). */
  addChannel(channel: string, subscription: Subscription): void {
    const subs = this.#subscriptions;
    if (subs === undefined) this.#subscriptions = [channel, subscription];
    else if (subs instanceof Map) subs.set(channel, subscription);
    // A new array of the exact length: push would give it room for ~16 more elements.
    else if (subs.length < SMALL_SUBSCRIPTIONS * 2) this.#subscriptions = [...subs, channel, subscription];
    else {
      const map = new Map<string, Subscription>(this.subscriptionList());
      map.set(channel, subscription);
      this.#subscriptions = map;
    }
  }

  removeChannel(channel: string): void {
    const subs = this.#subscriptions;
    if (subs === undefined) return;
    if (subs instanceof Map) {
      subs.delete(channel);
      return;
    }
    for (let i = 0; i < subs.length; i += 2) {
      if (subs[i] !== channel) continue;
      subs.splice(i, 2);
      if (subs.length === 0) this.#subscriptions = undefined;
      return;
    }
  }

  /**
   * The one gate of every frame the engine queues for this socket (direct replies and fan-out
   * alike): false, and the socket disconnected with 4100, when its unsent bytes are past the bound.
   * A single frame may take the queue past the bound; the next one is then refused.
   */
  #admit(): boolean {
    if (this.closed) return false;
    if (this.connection.bufferedBytes <= this.#bound.maxBufferedBytes) return true;
    this.#bound.overflow(this);
    return false;
  }

  send(text: string): void {
    if (this.#admit()) this.connection.send(text);
  }

  /** Like send, for a message shared by many sockets; false when the socket was over its bound. */
  sendShared(message: Outbound): boolean {
    if (!this.#admit()) return false;
    this.connection.sendShared(message);
    return true;
  }

  /** A non-closing `pusher:error` frame. */
  sendError(code: ErrorCode, message?: string): void {
    const spec = ERRORS[code];
    this.send(encodeError('pusherCode' in spec ? spec.pusherCode : null, message ?? spec.message));
  }
}

/** Sends the error frame of `code` and closes the connection with its Pusher close code. */
export function closeWithError(connection: Connection, code: ErrorCode, message?: string): void {
  const spec = ERRORS[code];
  const pusherCode = 'pusherCode' in spec ? spec.pusherCode : 4000;
  const text = message ?? spec.message;
  connection.send(encodeError(pusherCode, text));
  connection.close(pusherCode, text);
}

/** Live frames held for one socket's channel while its missed events are read. */
export interface ReplayHold {
  readonly frames: string[];
  bytes: number;
  /**
   * After the replay: the last serial replayed. A live frame of an append that was in flight during
   * the read can still arrive; frames up to this serial are dropped until a later one goes out.
   */
  floor?: number;
}
