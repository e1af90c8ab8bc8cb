import type { ErrorCode } from '../../protocol/errors.js';
import type { App } from '../app.js';
import type { HistoryRead } from './channel-history.js';
import type { Connection } from './connection.js';
import type { PublishInput, RealtimeView } from './realtime-view.js';

/**
 * A client socket's session as a transport holds it between calls: an opaque handle (only the
 * socket id is readable) that goes back to the engine exactly as `openSession` returned it.
 */
export interface SessionHandle {
  readonly socketId: string;
  /** True once the session was closed (by either side); a transport then stops using it. */
  readonly closed: boolean;
}

/** One channel's state for `GET /apps/{id}/channels/{name}` and the `info` of a publish. */
export interface ChannelState {
  /** Cluster-wide subscriptions (every socket, presence included). */
  readonly subscriptionCount: number;
  /** Distinct members (presence channels; 0 otherwise). */
  readonly userCount: number;
  /** The cached last event of a cache channel on this node, with its remaining lifetime. */
  readonly cached: { readonly data: string; readonly ttlSeconds: number } | undefined;
}

/**
 * The realtime engine's public surface: what transports, HTTP endpoints and the server may call.
 * Nothing here hands out a collaborator (adapter, directory, metrics…): callers ask, the engine acts.
 */
export interface Realtime extends RealtimeView {
  /**
   * Handshake of a new socket for the app with `appKey`. Refusals (unknown key, disabled app, quota,
   * origin) send the error frame and close with its code; the result is then undefined.
   */
  openSession(appKey: string, connection: Connection, origin: string | undefined): SessionHandle | undefined;
  /** One text frame from a client. Never throws: bad input gets an error frame. */
  handleMessage(session: SessionHandle, text: string): void;
  /** A binary frame: answered with an error frame (the protocol is text-only). */
  handleBinary(session: SessionHandle): void;
  /** The socket is gone (closed by either side): leave every channel silently and forget it. */
  closeSession(session: SessionHandle): void;
  /** Sends the error's frame and closes the socket with its Pusher code (e.g. 4100 for a slow reader). */
  terminate(session: SessionHandle, code: ErrorCode): void;
  /** MAWJLY_MAX_BUFFERED_BYTES: a socket with more unsent bytes is closed with 4100. */
  readonly maxBufferedBytes: number;

  /** Validates every event first (all or nothing), then publishes them; throws MawjlyError. */
  publishBatch(app: App, inputs: readonly PublishInput[]): void;
  /** Names of the app's occupied channels, cluster-wide. */
  channelNames(appId: string): Iterable<string>;
  channel(appId: string, channel: string): ChannelState;
  /** Asks every node to close the user's signed-in sockets (`terminate_connections`). */
  terminateUserConnections(app: App, userId: string): void;
  /**
   * A channel's kept events after `since` (REST `GET …/channels/{name}/events`). Throws MawjlyError
   * `history_disabled` when the app keeps none, `history_unavailable` when the store cannot answer.
   */
  readHistory(app: App, channel: string, since: number, limit: number): Promise<HistoryRead>;
  /** Whether someone watches the app's debug events on this node. */
  isDebugged(appId: string): boolean;
  /** This node's open sessions. */
  readonly sessionCount: number;

  start(): Promise<void>;
  /** Closes every session with 4200 (reconnect now) and stops timers. */
  shutdown(): Promise<void>;
}
