// Event names of the Pusher Channels protocol 7. Every protocol string lives here; code never writes
// 'pusher:…' literals inline.

export const PusherEvent = {
  connectionEstablished: 'pusher:connection_established',
  error: 'pusher:error',
  ping: 'pusher:ping',
  pong: 'pusher:pong',
  subscribe: 'pusher:subscribe',
  unsubscribe: 'pusher:unsubscribe',
  signin: 'pusher:signin',
  signinSuccess: 'pusher:signin_success',
  subscriptionError: 'pusher:subscription_error',
  cacheMiss: 'pusher:cache_miss',
} as const;

export const InternalEvent = {
  subscriptionSucceeded: 'pusher_internal:subscription_succeeded',
  memberAdded: 'pusher_internal:member_added',
  memberRemoved: 'pusher_internal:member_removed',
  subscriptionCount: 'pusher_internal:subscription_count',
  watchlistEvents: 'pusher_internal:watchlist_events',
} as const;

/**
 * Mawjly's own events. To clients (docs/history.md): stock pusher-js passes them to channel
 * listeners. From clients (the helper's reports): a stock server answers them with unknown_event.
 */
export const MawjlyEvent = {
  /** A resubscription asked for missed events that cannot be replayed: the app must refetch. */
  cannotRecover: 'mawjly:cannot_recover',
  /** Client → server, `{"count": n}`: events the client helper could not decrypt since its last report. */
  decryptionFailures: 'mawjly:decryption_failures',
} as const;

export const PUSHER_EVENT_PREFIX = 'pusher:';
export const INTERNAL_EVENT_PREFIX = 'pusher_internal:';
export const CLIENT_EVENT_PREFIX = 'client-';

/** Protocol versions accepted in the `protocol` query parameter of the WebSocket URL. */
export const SUPPORTED_PROTOCOL_VERSIONS: ReadonlySet<string> = new Set(['5', '6', '7']);
