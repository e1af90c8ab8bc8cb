// This node's side of a channel: who is subscribed here, presence member counts per user, and the
// delivery of one encoded frame to them — by the transport's native topic fan-out when it has one
// (uWebSockets.js), else one send per session (`ws`). With topics the subscribers are held by the
// transport only (a JS set per channel would duplicate them). Sockets replaying a channel's history
// hold its live frames (HistoryService.hold), which a topic publish cannot do: each channel keeps
// its replaying sockets apart (O(1) for a publish to know), and on uWS they leave the topic while
// they hold, so that the topic reaches the others and the engine sends to these one by one.
import type { App } from './app.js';
import type { HistoryHost, HistoryService } from './history-service.js';
import { LocalChannels } from './local-channels.js';
import type { Outbound } from './ports/connection.js';
import { channelTopic, type TopicFanOut } from './ports/topic-fan-out.js';
import type { ReplayHold, Session } from './session.js';
import type { SessionRegistry } from './session-registry.js';

export class LocalDelivery {
  readonly #channels: LocalChannels;
  /** The transport's native fan-out, and the sessions by socket id (for its exclusions). */
  readonly #fanOut: TopicFanOut | undefined;
  readonly #sessions: SessionRegistry;

  constructor(fanOut: TopicFanOut | undefined, sessions: SessionRegistry) {
    this.#fanOut = fanOut;
    this.#sessions = sessions;
    this.#channels = new LocalChannels(fanOut === undefined);
  }

  /** A presence join, before `join`: this node's sockets of the user on the channel, one more. */
  addMember(session: Session, channel: string, userId: string): number {
    const entry = this.#channels.getOrCreate(session.app.id, channel);
    const members = (entry.members ??= new Map<string, number>());
    const sockets = (members.get(userId) ?? 0) + 1;
    members.set(userId, sockets);
    return sockets;
  }

  /** Adds the session to the channel's subscribers here. */
  join(session: Session, channel: string): void {
    const appId = session.app.id;
    const entry = this.#channels.getOrCreate(appId, channel);
    entry.size++;
    entry.sockets?.add(session);
    this.#fanOut?.subscribe(session.connection, channelTopic(appId, channel));
  }

  /**
   * Removes the session from the channel here (and ends a replay hold of it). Returns the channel's
   * remaining local subscribers and, for presence, this node's remaining sockets of the user;
   * undefined when the channel had no entry.
   */
  leave(
    session: Session,
    channel: string,
    userId: string | undefined,
  ): { subscribers: number; userSockets: number } | undefined {
    const appId = session.app.id;
    this.endHold(session, channel);
    const entry = this.#channels.get(appId, channel);
    if (!entry) return undefined;
    if (entry.sockets === undefined || entry.sockets.delete(session)) entry.size--;
    this.#fanOut?.unsubscribe(session.connection, channelTopic(appId, channel));
    let userSockets = 0;
    if (userId !== undefined) {
      const members = (entry.members ??= new Map<string, number>());
      userSockets = (members.get(userId) ?? 1) - 1;
      if (userSockets > 0) members.set(userId, userSockets);
      else members.delete(userId);
    }
    const subscribers = entry.size;
    this.#channels.prune(appId, channel);
    return { subscribers, userSockets };
  }

  /** This node's subscribers of the channel. */
  subscribers(appId: string, channel: string): number {
    return this.#channels.get(appId, channel)?.size ?? 0;
  }

  /** Holds the channel's live frames for the session (a history replay; see HistoryService). */
  startHold(session: Session, channel: string, hold: ReplayHold): void {
    const replays = (session.replays ??= new Map());
    replays.set(channel, hold);
    const appId = session.app.id;
    const entry = this.#channels.get(appId, channel);
    if (!entry || entry.holding?.has(session) === true) return;
    (entry.holding ??= new Set()).add(session);
    this.#fanOut?.unsubscribe(session.connection, channelTopic(appId, channel));
  }

  /** Ends the session's hold of the channel, if any (back on the topic if still subscribed). */
  endHold(session: Session, channel: string): void {
    if (session.replays?.delete(channel) !== true) return;
    if (session.replays.size === 0) session.replays = undefined;
    const appId = session.app.id;
    const entry = this.#channels.get(appId, channel);
    if (!entry?.holding?.delete(session)) return;
    if (entry.holding.size === 0) entry.holding = undefined;
    if (session.subscription(channel) !== undefined)
      this.#fanOut?.subscribe(session.connection, channelTopic(appId, channel));
  }

  /**
   * Sends one encoded event to this node's subscribers of a channel, except one socket; returns the
   * deliveries and the frame's bytes. The text is turned into bytes (and, by the transport, into a
   * frame) once for all of them.
   */
  deliver(
    history: HistoryService | undefined,
    host: HistoryHost,
    app: App,
    channel: string,
    text: string,
    exceptSocketId: string | undefined,
  ): { count: number; message: Outbound } | undefined {
    const entry = this.#channels.get(app.id, channel);
    if (!entry) return undefined;
    const message: Outbound = { text };
    let count = 0;
    const sockets = entry.sockets ?? entry.holding;
    if (this.#fanOut) {
      // The topic reaches every subscriber but the holding ones (the transport's own backpressure
      // rule closes slow ones with 4100); usage counts them, less the excluded one.
      const except = exceptSocketId === undefined ? undefined : this.#sessions.get(exceptSocketId);
      const excluded =
        except !== undefined &&
        except.subscription(channel) !== undefined &&
        entry.holding?.has(except) !== true;
      const onTopic = entry.size - (entry.holding?.size ?? 0);
      if (onTopic > 0) {
        count = onTopic - (excluded ? 1 : 0);
        this.#fanOut.publish(
          channelTopic(app.id, channel),
          message,
          excluded ? except.connection : undefined,
          count,
        );
      }
    }
    if (sockets !== undefined) {
      // A socket over its buffer bound is closed on the way and leaves the set: deleting the current
      // entry of a Set during for…of is safe.
      for (const session of sockets) {
        if (session.socketId === exceptSocketId) continue;
        if (session.replays !== undefined && history?.hold(host, session, channel, text)) continue;
        if (session.sendShared(message)) count++;
      }
    }
    return { count, message };
  }
}
