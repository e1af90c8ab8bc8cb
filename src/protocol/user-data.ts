// Parsing of the JSON strings a client hands over for presence (`channel_data`) and sign-in
// (`user_data`). The signature is checked over the exact received string; these only read it.
import type { ErrorCode } from './errors.js';
import { parseUntrustedJson } from './json.js';
import { MAX_USER_ID_LENGTH, MAX_USER_INFO_BYTES } from './limits.js';

export interface PresenceIdentity {
  readonly userId: string;
  /** user_info re-serialised once, or undefined when absent. */
  readonly userInfoJson: string | undefined;
}

/** Reads presence `channel_data`; user ids may be numbers (DOCS uses `user_id: 10`) and are stringified. */
export function parseChannelData(channelData: unknown): PresenceIdentity | ErrorCode {
  if (typeof channelData !== 'string') return 'invalid_channel_data';
  const parsed = parseUntrustedJson(channelData);
  if (!parsed.ok) return 'invalid_channel_data';
  const value = parsed.value;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'invalid_channel_data';
  const { user_id: rawId, user_info: info } = value as Record<string, unknown>;
  const userId =
    typeof rawId === 'string'
      ? rawId
      : typeof rawId === 'number' && Number.isFinite(rawId)
        ? String(rawId)
        : undefined;
  if (userId === undefined || userId.length === 0) return 'invalid_channel_data';
  if (userId.length > MAX_USER_ID_LENGTH) return 'user_id_too_long';
  if (info === undefined || info === null) return { userId, userInfoJson: undefined };
  if (typeof info !== 'object' || Array.isArray(info)) return 'invalid_channel_data';
  const userInfoJson = JSON.stringify(info);
  if (Buffer.byteLength(userInfoJson, 'utf8') > MAX_USER_INFO_BYTES) return 'user_info_too_large';
  return { userId, userInfoJson };
}

export interface SigninUser {
  readonly id: string;
  readonly watchlist: readonly string[];
}

/** Reads sign-in `user_data`: `id` must be a non-empty string; `watchlist` an optional array of ids. */
export function parseUserData(userData: unknown): SigninUser | undefined {
  if (typeof userData !== 'string') return undefined;
  const parsed = parseUntrustedJson(userData);
  if (!parsed.ok) return undefined;
  const value = parsed.value;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const { id, watchlist } = value as Record<string, unknown>;
  if (typeof id !== 'string' || id.length === 0 || id.length > MAX_USER_ID_LENGTH) return undefined;
  if (watchlist === undefined) return { id, watchlist: [] };
  if (!Array.isArray(watchlist)) return undefined;
  const ids = watchlist.filter((w): w is string => typeof w === 'string' && w.length > 0);
  return { id, watchlist: ids };
}
