// Type declarations of `@mawjly/server` for `import` (hand-written; copied to dist/index.d.ts by build.mjs).
// The one source of the package's types: src/key-ring.ts and src/mawjly-server.ts import theirs from here.
import type Pusher from 'pusher';

export interface KeyRingInput {
  /**
   * The key publishers encrypt with, and whose channel secrets auth endpoints hand out first (32 bytes,
   * standard base64 with padding).
   */
  readonly current: string;
  /** The key being rotated away: auth endpoints also hand out its channel secrets, as `previous_shared_secret`. */
  readonly previous?: string | undefined;
}

export interface RingKey {
  readonly base64: string;
  readonly bytes: Buffer;
  readonly fingerprint: string;
}

export interface KeyRing {
  readonly current: RingKey;
  readonly previous: RingKey | undefined;
}

/** The SDK's options (host or cluster form) without its single-key option. */
type WithoutMasterKey<T> = T extends unknown ? Omit<T, 'encryptionMasterKeyBase64'> : never;

export type MawjlyServerOptions = WithoutMasterKey<Pusher.Options> & {
  /** `{ current, previous? }`, each a 32-byte master key in standard base64: replaces the SDK's `encryptionMasterKeyBase64`. */
  encryptionKeys?: KeyRingInput | undefined;
};

export interface MawjlyChannelAuthResponse extends Pusher.ChannelAuthResponse {
  /** The previous key's channel secret (encrypted channels, during a rotation window). */
  previous_shared_secret?: string;
  /** Fingerprint of the master key behind `shared_secret` (as Mawjly shows it). */
  key_fingerprint?: string;
  /** Fingerprint of the master key behind `previous_shared_secret`. */
  previous_key_fingerprint?: string;
}

/** The `pusher` SDK class: publishes with the current key, authorizes with both keys' secrets. */
export declare class MawjlyServer extends Pusher {
  constructor(options: MawjlyServerOptions);
  authorizeChannel(
    socketId: string,
    channel: string,
    data?: Pusher.PresenceChannelData,
  ): MawjlyChannelAuthResponse;
  authenticate(
    socketId: string,
    channel: string,
    data?: Pusher.PresenceChannelData,
  ): MawjlyChannelAuthResponse;
  readonly keyFingerprints: { current: string | null; previous: string | null };
}
export default MawjlyServer;

export declare function decodeMasterKey(value: unknown, which?: string): Buffer;
export declare function deriveSharedSecret(channel: string, key: Uint8Array): string;
export declare function isEncryptedChannel(channel: string): boolean;
export declare function keyFingerprint(key: Uint8Array): string;
export declare function parseKeyRing(input: KeyRingInput): KeyRing;
