// Type declarations of `@mawjly/client` for `require` (hand-written; copied to dist/index.d.cts by
// build.mjs). Like pusher-js, the CommonJS module is the class, with the named exports on it.
import type * as Client from './index.js';

declare const MawjlyPusher: typeof Client.MawjlyPusher & {
  readonly default: typeof Client.MawjlyPusher;
  readonly MawjlyPusher: typeof Client.MawjlyPusher;
  readonly withDerivedSharedSecret: typeof Client.withDerivedSharedSecret;
  readonly decodeMasterKey: typeof Client.decodeMasterKey;
  readonly deriveSharedSecret: typeof Client.deriveSharedSecret;
  readonly isEncryptedChannel: typeof Client.isEncryptedChannel;
  readonly encryptClientEvents: typeof Client.encryptClientEvents;
  readonly DECRYPTION_FAILED_EVENT: typeof Client.DECRYPTION_FAILED_EVENT;
  readonly masterKeyFingerprint: typeof Client.masterKeyFingerprint;
};
declare namespace MawjlyPusher {
  /** An instance: `const pusher: MawjlyPusher.MawjlyPusher = new MawjlyPusher(…)`. */
  type MawjlyPusher = Client.MawjlyPusher;
  type MawjlyOptions = Client.MawjlyOptions;
  type EncryptedEnvelope = Client.EncryptedEnvelope;
  type DecryptionFailure = Client.DecryptionFailure;
}
export = MawjlyPusher;
