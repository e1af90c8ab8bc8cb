// Protocol-level limits that are the same on every plan (PRODUCT.md "Apps, accounts, plans").

/** Channel names: the SDK's limit (pusher-http-node rejects longer names), not the 164 of Pusher's docs. */
export const MAX_CHANNEL_NAME_LENGTH = 200;
export const MAX_EVENT_NAME_LENGTH = 200;
/** Size of an event's `data`, counted in UTF-8 bytes. Larger REST publishes get 413. */
export const MAX_EVENT_DATA_BYTES = 100 * 1024;
export const MAX_CHANNELS_PER_PUBLISH = 100;
export const MAX_EVENTS_PER_BATCH = 10;
/** Presence `user_info`, counted as the UTF-8 bytes of its JSON text. */
export const MAX_USER_INFO_BYTES = 10 * 1024;
export const MAX_USER_ID_LENGTH = 128;
export const CLIENT_EVENTS_PER_SECOND = 10;
/** Only the first N watchlist ids of a sign-in are accepted; the rest get a non-closing 4302. */
export const MAX_WATCHLIST_SIZE = 100;
/** REST requests must carry an auth_timestamp within this many seconds of the server's clock. */
export const REST_TIMESTAMP_WINDOW_SECONDS = 600;
/** Largest incoming WebSocket frame. A client event carries ≤ 100 KB of data plus its envelope. */
export const MAX_INCOMING_FRAME_BYTES = MAX_EVENT_DATA_BYTES + 8 * 1024;
/** Encrypted envelope: secretbox nonce and authenticator sizes (XSalsa20-Poly1305). */
export const SECRETBOX_NONCE_BYTES = 24;
export const SECRETBOX_OVERHEAD_BYTES = 16;
/** Channel history: the largest retention any plan (even an operator's plans file) may allow. */
export const MAX_HISTORY_EVENTS = 10_000;
export const MAX_HISTORY_AGE_SECONDS = 24 * 3600;
/** Events one REST history read or one recovery returns at most. */
export const MAX_HISTORY_READ = 1000;
