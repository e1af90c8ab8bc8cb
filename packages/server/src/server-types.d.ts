// Type declarations of `@mawjly/server` for `import` (hand-written; copied to dist/index.d.ts by build.mjs).
import type Pusher from 'pusher';

export interface KeyRingInput {
  /** The key publishers encrypt with (32 bytes, standard base64 with padding). */
  readonly current: string;
  /** The key being rotated away; auth responses also carry its channel secret. */
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
  /** `{ current, previous? }`: replaces the SDK's `encryptionMasterKeyBase64`. */
  encryptionKeys?: KeyRingInput | undefined;
};

export interface MawjlyChannelAuthResponse extends Pusher.ChannelAuthResponse {
  previous_shared_secret?: string;
  key_fingerprint?: string;
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
