// One client connection: its identity, subscriptions and timers' state. The engine's sweeper drives
// activity checks for all sessions from one shared timer; a session holds only numbers, no timers.
import type { App } from './app.js';
import type { Connection, Outbound } from './ports/connection.js';
import { encodeError } from '../protocol/codec.js';
import { ERRORS, type ErrorCode } from '../protocol/errors.js';

export interface Subscription {
  /** Presence channels: the member's user id on this channel. */
  readonly userId?: string;
}

export class Session {
  readonly socketId: string;
  readonly connection: Connection;
  /** Refreshed by the engine when the app's record changes. */
  app: App;
  readonly channels = new Map<string, Subscription>();
  /** Signed-in user id (`pusher:signin`). */
  userId: string | undefined;
  watchlist: readonly string[] = [];
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

  constructor(socketId: string, connection: Connection, app: App, nowMs: number) {
    this.socketId = socketId;
    this.connection = connection;
    this.app = app;
    this.openedAtMs = nowMs;
    this.lastActivityMs = nowMs;
  }

  send(text: string): void {
    if (!this.closed) this.connection.send(text);
  }

  sendShared(message: Outbound): void {
    if (!this.closed) this.connection.sendShared(message);
  }

  /** A non-closing `pusher:error` frame. */
  sendError(code: ErrorCode, message?: string): void {
    const spec = ERRORS[code];
    this.send(encodeError('pusherCode' in spec ? spec.pusherCode : null, message ?? spec.message));
  }
}
