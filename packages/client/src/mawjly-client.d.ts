// Type declarations of `@mawjly/client` for `import` (hand-written; copied to dist/index.d.ts by build.mjs).
import type * as PusherModule from 'pusher-js';
import type { Channel, ChannelAuthorizationHandler, Options } from 'pusher-js';

// pusher-js is CommonJS typed with `export default`: depending on the consumer's module settings the
// import is the class or a namespace holding it under `default`. Unwrap either way.
type Unwrap<T> = T extends { default: infer D } ? Unwrap<D> : T;
declare const PusherClass: Unwrap<typeof PusherModule>;

export type MawjlyOptions = Options & {
  /**
   * The app's encryption master key (32 bytes, standard base64 with padding). With it the client
   * derives each `private-encrypted-*` channel's key, SHA-256(channel name ‖ master key), whenever the
   * channel authorization carries no `shared_secret`. Whoever holds this key can read every
   * encrypted channel of the app: give it only to trusted processes.
   */
  encryptionMasterKeyBase64?: string | undefined;
  /**
   * The master key being rotated away (with `encryptionMasterKeyBase64`): events encrypted with it
   * still decrypt when the authorization carries no `previous_shared_secret`.
   */
  previousEncryptionMasterKeyBase64?: string | undefined;
  /**
   * Report to the server how many events this client could not decrypt (a count in a
   * `mawjly:decryption_failures` frame, never content). Default true.
   */
  reportDecryptionFailures?: boolean | undefined;
};

/**
 * pusher-js's `Pusher` class, plus the `encryptionMasterKeyBase64` option; `trigger` on its
 * `private-encrypted-*` channels sends encrypted client events.
 */
export declare class MawjlyPusher extends PusherClass {
  constructor(appKey: string, options: MawjlyOptions);
}
export default MawjlyPusher;

/** Wraps a channel authorization handler so encrypted channels get a locally derived `shared_secret`. */
export declare function withDerivedSharedSecret(
  handler: ChannelAuthorizationHandler,
  masterKey: Uint8Array,
): ChannelAuthorizationHandler;

/** Validates a base64 master key (strict standard base64, 32 bytes); the error never contains the key. */
export declare function decodeMasterKey(value: unknown): Uint8Array;

/** base64(SHA-256(utf8(channelName) ‖ masterKey)): an encrypted channel's `shared_secret`. */
export declare function deriveSharedSecret(channelName: string, masterKey: Uint8Array): string;

export declare function isEncryptedChannel(channelName: string): boolean;

/** The `{"nonce","ciphertext"}` (base64) envelope of an encrypted event. */
export interface EncryptedEnvelope {
  readonly nonce: string;
  readonly ciphertext: string;
}

/**
 * Makes `channel.trigger('client-…', data)` on a `private-encrypted-*` channel of any pusher-js
 * client encrypt `data` with the channel's shared secret; other channels are returned untouched.
 * The server relays them only with the app setting `encrypted_client_events` on.
 */
export declare function encryptClientEvents<C extends Channel>(channel: C): C;
/** The channel event the helper emits instead of silently dropping an event it cannot decrypt. */
export declare const DECRYPTION_FAILED_EVENT: 'mawjly:decryption_failed';

export interface TriedKey {
  /** `current` (the channel's secret) or `previous` (the rotation window's older one). */
  readonly key: 'current' | 'previous';
  /** Fingerprint of the master key behind it, as Mawjly shows it; null when the client cannot know. */
  readonly fingerprint: string | null;
}

/** The data of `mawjly:decryption_failed`. */
export interface DecryptionFailure {
  readonly channel: string;
  readonly event: string;
  readonly tried: readonly TriedKey[];
}

/** Mawjly's fingerprint of a master key (what the dashboard and the management API show). */
export declare function masterKeyFingerprint(key: Uint8Array): string;
