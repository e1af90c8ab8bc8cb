// Channel types by anchored prefix (PROTOCOL.md §2.4–2.5), checked most specific first so that
// `private-encrypted-` is never mistaken for `private-`.
import type { ErrorCode } from './errors.js';
import { MAX_CHANNEL_NAME_LENGTH } from './limits.js';

export type ChannelKind = 'public' | 'private' | 'encrypted' | 'presence' | 'server-to-user';

export interface ChannelType {
  readonly kind: ChannelKind;
  /** Cache channels keep the last REST event and replay it (or send pusher:cache_miss) on subscribe. */
  readonly cache: boolean;
}

export const SERVER_TO_USER_PREFIX = '#server-to-user-';

const PREFIXES: readonly (readonly [string, ChannelType])[] = [
  ['private-encrypted-cache-', { kind: 'encrypted', cache: true }],
  ['private-encrypted-', { kind: 'encrypted', cache: false }],
  ['private-cache-', { kind: 'private', cache: true }],
  ['private-', { kind: 'private', cache: false }],
  ['presence-cache-', { kind: 'presence', cache: true }],
  ['presence-', { kind: 'presence', cache: false }],
  ['cache-', { kind: 'public', cache: true }],
  [SERVER_TO_USER_PREFIX, { kind: 'server-to-user', cache: false }],
];
const PUBLIC: ChannelType = { kind: 'public', cache: false };

export function classifyChannel(name: string): ChannelType {
  for (const [prefix, type] of PREFIXES) if (name.startsWith(prefix)) return type;
  return PUBLIC;
}

/** Private, encrypted and presence channels need a signed `auth`. */
export function requiresAuth(kind: ChannelKind): boolean {
  return kind === 'private' || kind === 'encrypted' || kind === 'presence';
}

export function isEncryptedChannel(name: string): boolean {
  return name.startsWith('private-encrypted-');
}

export function isPresenceChannel(name: string): boolean {
  return name.startsWith('presence-');
}

const NAME_CHARS = /^[A-Za-z0-9_\-=@,.;]+$/;

/**
 * Returns why a channel name is unacceptable, or undefined when it is fine. `#` is legal only in
 * `#server-to-user-{id}`, and only where `allowServerToUser` says so (subscribe and the REST API).
 */
export function checkChannelName(name: unknown, allowServerToUser = true): ErrorCode | undefined {
  if (typeof name !== 'string' || name.length === 0) return 'invalid_channel_name';
  if (name.length > MAX_CHANNEL_NAME_LENGTH) return 'channel_name_too_long';
  if (name.startsWith(SERVER_TO_USER_PREFIX)) {
    if (!allowServerToUser) return 'invalid_channel_name';
    const userId = name.slice(SERVER_TO_USER_PREFIX.length);
    return userId.length > 0 && NAME_CHARS.test(userId) ? undefined : 'invalid_channel_name';
  }
  return NAME_CHARS.test(name) ? undefined : 'invalid_channel_name';
}

/** The user id of a `#server-to-user-{id}` channel, or undefined for any other channel. */
export function serverToUserId(name: string): string | undefined {
  return name.startsWith(SERVER_TO_USER_PREFIX) ? name.slice(SERVER_TO_USER_PREFIX.length) : undefined;
}

export function serverToUserChannel(userId: string): string {
  return SERVER_TO_USER_PREFIX + userId;
}
