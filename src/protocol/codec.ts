// Wire encoding (PROTOCOL.md §0): server→client `data` is a JSON *string* (double-encoded), except in
// `pusher:error`, whose `data` is a plain object. Client→server `data` arrives as an object from
// pusher-js and as a string from some other SDKs; both are accepted.
import { InternalEvent, PusherEvent } from './events.js';
import { parseUntrustedJson } from './json.js';

export interface ClientFrame {
  readonly event: string;
  readonly channel?: string;
  readonly data: unknown;
}

/** Parses one text frame; returns undefined when it is not a JSON object with a string `event`. */
export function parseClientFrame(text: string): ClientFrame | undefined {
  const parsed = parseUntrustedJson(text);
  if (!parsed.ok) return undefined;
  const value = parsed.value;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const record = value as Record<string, unknown>;
  if (typeof record.event !== 'string' || record.event.length === 0) return undefined;
  if (record.channel !== undefined && typeof record.channel !== 'string') return undefined;
  return record as unknown as ClientFrame;
}

/** `data` of a client frame as an object: pusher-js sends objects, other SDKs JSON strings. */
export function frameDataObject(data: unknown): Record<string, unknown> | undefined {
  let value = data;
  if (typeof value === 'string') {
    const parsed = parseUntrustedJson(value);
    if (!parsed.ok) return undefined;
    value = parsed.value;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  return value as Record<string, unknown>;
}

const q = JSON.stringify;

/** A channel event; `data` is the already-encoded string, relayed byte for byte. */
export function encodeChannelEvent(event: string, channel: string, data: string, userId?: string): string {
  const head = `{"event":${q(event)},"channel":${q(channel)},"data":${q(data)}`;
  return userId === undefined ? `${head}}` : `${head},"user_id":${q(userId)}}`;
}

/** A client event relayed as received: `data` is kept as the client's JSON value (object or string). */
export function encodeRelayedClientEvent(
  event: string,
  channel: string,
  data: unknown,
  userId?: string,
): string {
  const head = `{"event":${q(event)},"channel":${q(channel)},"data":${q(data ?? null)}`;
  return userId === undefined ? `${head}}` : `${head},"user_id":${q(userId)}}`;
}

export function encodeConnectionEstablished(socketId: string, activityTimeoutSeconds: number): string {
  return q({
    event: PusherEvent.connectionEstablished,
    data: q({ socket_id: socketId, activity_timeout: activityTimeoutSeconds }),
  });
}

export function encodeError(code: number | null, message: string): string {
  return q({ event: PusherEvent.error, data: { code, message } });
}

export function encodePong(): string {
  return PONG_FRAME;
}
const PONG_FRAME = q({ event: PusherEvent.pong, data: '{}' });
export const PING_FRAME = q({ event: PusherEvent.ping, data: '{}' });

export function encodeSubscriptionSucceeded(channel: string, data = '{}'): string {
  return encodeChannelEvent(InternalEvent.subscriptionSucceeded, channel, data);
}

export interface PresenceMember {
  readonly userId: string;
  /** The member's user_info as JSON text, or undefined when none was given. */
  readonly userInfoJson: string | undefined;
}

/** `{"presence":{"ids":[…],"hash":{…},"count":N}}`, built as text to reuse each member's JSON once. */
export function encodePresenceData(members: Iterable<PresenceMember>): string {
  const ids: string[] = [];
  const hash: string[] = [];
  for (const m of members) {
    ids.push(q(m.userId));
    hash.push(`${q(m.userId)}:${m.userInfoJson ?? 'null'}`);
  }
  return `{"presence":{"ids":[${ids.join(',')}],"hash":{${hash.join(',')}},"count":${ids.length}}}`;
}

export function encodeSubscriptionError(
  channel: string,
  type: string,
  error: string,
  status: number,
): string {
  return q({ event: PusherEvent.subscriptionError, channel, data: q({ type, error, status }) });
}

export function encodeMemberAdded(channel: string, userId: string, userInfoJson: string | undefined): string {
  const data = `{"user_id":${q(userId)},"user_info":${userInfoJson ?? 'null'}}`;
  return encodeChannelEvent(InternalEvent.memberAdded, channel, data);
}

export function encodeMemberRemoved(channel: string, userId: string): string {
  return encodeChannelEvent(InternalEvent.memberRemoved, channel, q({ user_id: userId }));
}

export function encodeSubscriptionCount(channel: string, count: number): string {
  return encodeChannelEvent(InternalEvent.subscriptionCount, channel, `{"subscription_count":${count}}`);
}

export function encodeCacheMiss(channel: string): string {
  return encodeChannelEvent(PusherEvent.cacheMiss, channel, '{}');
}

export function encodeSigninSuccess(userData: string): string {
  return q({ event: PusherEvent.signinSuccess, data: q({ user_data: userData }) });
}

export interface WatchlistEvent {
  readonly name: 'online' | 'offline';
  readonly user_ids: readonly string[];
}

export function encodeWatchlistEvents(events: readonly WatchlistEvent[]): string {
  return q({ event: InternalEvent.watchlistEvents, data: q({ events }) });
}
