// The one error catalogue. Each stable string code maps to the HTTP status the REST API answers with,
// the Pusher close or error code a WebSocket gets (when the error reaches a socket), and a default
// message. docs/errors.md is generated from this table (`npm run docs:errors`).
//
// Close-code ranges follow what pusher-js does with them (PROTOCOL.md §1.4): 4000–4099 never
// reconnect, 4100–4199 back off 1 s, 4200–4299 reconnect at once, ≥ 4300 are only ever sent as
// non-closing `pusher:error` frames, because a close with them stops pusher-js for good.

import { MAX_JSON_DEPTH } from './json.js';

export interface ErrorSpec {
  readonly httpStatus: number;
  /** Pusher code for a `pusher:error` frame or a close; undefined when the error never reaches a socket. */
  readonly pusherCode?: number;
  /** True when the socket is closed with `pusherCode` after the error frame. */
  readonly closes?: boolean;
  readonly message: string;
}

export const ERRORS = {
  // Connection-level (WebSocket handshake and lifetime).
  app_not_found: { httpStatus: 404, pusherCode: 4001, closes: true, message: 'Application does not exist' },
  app_disabled: { httpStatus: 403, pusherCode: 4003, closes: true, message: 'Application is disabled' },
  connection_quota_exceeded: {
    httpStatus: 403,
    pusherCode: 4004,
    closes: true,
    message: 'Account is over its concurrent connection quota',
  },
  path_not_found: { httpStatus: 404, pusherCode: 4005, closes: true, message: 'Path not found' },
  invalid_version: {
    httpStatus: 400,
    pusherCode: 4006,
    closes: true,
    message: 'Invalid version string format',
  },
  unsupported_protocol: {
    httpStatus: 400,
    pusherCode: 4007,
    closes: true,
    message: 'Unsupported protocol version',
  },
  no_protocol: { httpStatus: 400, pusherCode: 4008, closes: true, message: 'No protocol version supplied' },
  origin_not_allowed: {
    httpStatus: 403,
    pusherCode: 4009,
    closes: true,
    message: 'Origin not allowed for this application',
  },
  authorization_timeout: {
    httpStatus: 401,
    pusherCode: 4009,
    closes: true,
    message: 'Connection not authorized within timeout',
  },
  terminated_by_app: {
    httpStatus: 200,
    pusherCode: 4009,
    closes: true,
    message: 'Connection terminated by the application',
  },
  over_capacity: {
    httpStatus: 503,
    pusherCode: 4100,
    closes: true,
    message: 'Over capacity: the connection could not keep up with its messages',
  },
  server_shutting_down: {
    httpStatus: 503,
    pusherCode: 4200,
    closes: true,
    message: 'Server is shutting down; reconnect',
  },
  pong_timeout: {
    httpStatus: 408,
    pusherCode: 4201,
    closes: true,
    message: 'Pong reply not received in time',
  },

  // Frame-level errors: non-closing `pusher:error` frames.
  invalid_message: {
    httpStatus: 400,
    message: 'Invalid message: expected a JSON object with a string "event"',
  },
  unknown_event: { httpStatus: 400, message: 'Unknown event' },
  client_event_rate_limited: {
    httpStatus: 429,
    pusherCode: 4301,
    message: 'Client event rejected due to rate limit',
  },
  watchlist_too_long: {
    httpStatus: 400,
    pusherCode: 4302,
    message: 'Watchlist limit exceeded: only the first 100 user ids are watched',
  },
  client_events_disabled: { httpStatus: 403, message: 'Client events are not enabled for this application' },
  client_event_channel_type: {
    httpStatus: 400,
    message: 'Client events are only supported on private and presence channels',
  },
  client_event_encrypted: {
    httpStatus: 400,
    message: 'Client events are not supported on encrypted channels',
  },
  client_event_not_subscribed: {
    httpStatus: 400,
    message: 'Cannot broadcast client event (connection not subscribed to channel)',
  },
  signin_disabled: { httpStatus: 403, message: 'User authentication is not enabled for this application' },
  signin_invalid: { httpStatus: 401, message: 'Invalid sign-in: bad signature or user_data' },
  signin_other_user: { httpStatus: 409, message: 'Connection is already signed in as another user' },

  // Subscription errors: `pusher:subscription_error` with the channel and this HTTP-like status.
  invalid_channel_name: { httpStatus: 400, message: 'Invalid channel name' },
  channel_name_too_long: { httpStatus: 400, message: 'Channel name too long (maximum 200 characters)' },
  invalid_signature: { httpStatus: 401, message: 'Invalid signature' },
  invalid_channel_data: {
    httpStatus: 400,
    message: 'Invalid channel_data: expected a JSON object with a user_id and an optional user_info hash',
  },
  user_id_too_long: { httpStatus: 400, message: 'user_id too long (maximum 128 characters)' },
  user_info_too_large: { httpStatus: 413, message: 'user_info too large (maximum 10 KB)' },
  presence_full: { httpStatus: 403, message: 'Presence channel is full: member limit of the plan reached' },
  subscription_limit: {
    httpStatus: 403,
    message: 'Too many subscriptions on this connection (MAWJLY_MAX_CHANNELS_PER_SOCKET)',
  },
  presence_channel_limit: {
    httpStatus: 403,
    message: 'Too many presence channels on this connection (MAWJLY_MAX_PRESENCE_PER_SOCKET)',
  },
  already_subscribed: { httpStatus: 409, message: 'Existing subscription to channel' },
  server_to_user_forbidden: {
    httpStatus: 403,
    message: 'Only the connection signed in as this user may subscribe to its #server-to-user channel',
  },
  plan_feature_unavailable: {
    httpStatus: 403,
    message: 'Encrypted channels are not available on the Free plan; upgrade to Startup or above',
  },

  history_disabled: {
    httpStatus: 403,
    message:
      "Channel history is off for this app: turn on the app's history setting (Pro and Business plans)",
  },
  history_unavailable: {
    httpStatus: 503,
    message: 'Channel history cannot be read right now (its storage does not answer); retry later',
  },

  // REST API (PROTOCOL.md §7).
  auth_missing: {
    httpStatus: 401,
    message: 'Missing auth_key, auth_timestamp, auth_version or auth_signature',
  },
  auth_key_mismatch: { httpStatus: 401, message: 'Unknown auth_key for this app' },
  auth_timestamp_expired: { httpStatus: 401, message: 'Timestamp expired: not within 600 s of server time' },
  auth_body_md5: { httpStatus: 401, message: 'body_md5 is missing or does not match the request body' },
  auth_signature_invalid: { httpStatus: 401, message: 'Invalid signature' },
  invalid_json: { httpStatus: 400, message: 'Request body is not valid JSON' },
  json_too_deep: {
    httpStatus: 400,
    message: `JSON nested too deeply (maximum ${MAX_JSON_DEPTH} levels of arrays and objects)`,
  },
  invalid_request: { httpStatus: 400, message: 'Invalid request' },
  payload_too_large: { httpStatus: 413, message: 'Event data too large (maximum 100 KB)' },
  body_too_large: { httpStatus: 413, message: 'Request body too large' },
  too_many_channels: { httpStatus: 400, message: 'Too many channels (maximum 100 per publish)' },
  batch_too_large: { httpStatus: 400, message: 'Too many events in batch (maximum 10)' },
  event_name_invalid: { httpStatus: 400, message: 'Invalid event name' },
  encrypted_envelope_invalid: {
    httpStatus: 400,
    message: 'Encrypted channels only accept a {"nonce","ciphertext"} envelope',
  },
  encrypted_multichannel: {
    httpStatus: 400,
    message: 'An encrypted channel cannot share a publish with other channels',
  },
  message_quota_exceeded: { httpStatus: 403, message: 'Account is over its daily message quota' },
  not_presence_channel: { httpStatus: 400, message: 'Channel is not a presence channel' },
  info_not_applicable: {
    httpStatus: 400,
    message: 'Requested info attribute does not apply to this channel',
  },
  // Management API (docs/management-api.md).
  unauthorized: { httpStatus: 401, message: 'Missing or invalid credentials' },
  invalid_credentials: { httpStatus: 401, message: 'Invalid email or password' },
  rate_limited: { httpStatus: 429, message: 'Too many failed attempts; try again later' },
  insufficient_scope: { httpStatus: 403, message: 'The token lacks the scope this request needs' },
  insufficient_role: {
    httpStatus: 403,
    message: 'The caller cannot grant, change or remove this role (only owners manage owners)',
  },
  operator_only: {
    httpStatus: 403,
    message: 'Only the operator can do this (mawjly accounts set-plan NAME PLAN)',
  },
  csrf_invalid: { httpStatus: 403, message: 'Missing or invalid X-CSRF-Token header' },
  plan_limit_reached: { httpStatus: 403, message: 'The plan limit is reached; upgrade to add more' },
  validation_failed: { httpStatus: 422, message: 'Invalid values' },
  webhook_limit_reached: {
    httpStatus: 403,
    message: "The plan's webhook endpoints per app limit is reached; upgrade to add more",
  },
  webhook_target_forbidden: {
    httpStatus: 422,
    message:
      'Webhook URLs must not point at loopback, private, link-local or metadata addresses (MAWJLY_WEBHOOKS_ALLOW_PRIVATE_TARGETS)',
  },
  delivery_not_retryable: {
    httpStatus: 409,
    message: 'Only a failed (retrying) or dead-lettered delivery can be retried',
  },
  key_exists: {
    httpStatus: 409,
    message: 'This app already has an active encryption master key; rotate it instead',
  },
  no_key: { httpStatus: 404, message: 'This app has no active encryption master key' },
  rotation_in_progress: {
    httpStatus: 409,
    message: 'A key rotation window is open; finish the rotation before rotating again',
  },
  no_rotation_window: { httpStatus: 409, message: 'No key rotation window is open' },
  confirmation_required: {
    httpStatus: 400,
    message: 'Rotation invalidates in-flight encrypted messages; send {"confirm":true} to proceed',
  },
  realtime_unavailable: { httpStatus: 503, message: 'The realtime engine is not available on this node' },
  not_found: { httpStatus: 404, message: 'Not found' },
  invalid_target: {
    httpStatus: 400,
    message: 'Malformed request target: expected a path starting with / (or an absolute http URL)',
  },
  method_not_allowed: { httpStatus: 405, message: 'Method not allowed' },
  conflict: { httpStatus: 409, message: 'Conflict: the record already exists' },
  internal: { httpStatus: 500, message: 'Internal server error' },

  // Storage.
  database_unavailable: { httpStatus: 503, message: 'The database cannot be opened or reached' },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERRORS;

/** The single error type thrown across layers; transports catch it once at the edge. */
export class MawjlyError extends Error {
  readonly code: ErrorCode;
  readonly spec: ErrorSpec;
  constructor(code: ErrorCode, message?: string) {
    const spec: ErrorSpec = ERRORS[code];
    super(message ?? spec.message);
    this.name = 'MawjlyError';
    this.code = code;
    this.spec = spec;
  }
  get httpStatus(): number {
    return this.spec.httpStatus;
  }
}
