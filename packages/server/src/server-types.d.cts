// Type declarations of `@mawjly/server` for `require` (hand-written; copied to dist/index.d.cts by
// build.mjs). Like the `pusher` SDK, the CommonJS module is the class, with the named exports on it.
import type * as Server from './index.js';

declare const MawjlyServer: typeof Server.MawjlyServer & {
  readonly default: typeof Server.MawjlyServer;
  readonly MawjlyServer: typeof Server.MawjlyServer;
  readonly decodeMasterKey: typeof Server.decodeMasterKey;
  readonly deriveSharedSecret: typeof Server.deriveSharedSecret;
  readonly isEncryptedChannel: typeof Server.isEncryptedChannel;
  readonly keyFingerprint: typeof Server.keyFingerprint;
  readonly parseKeyRing: typeof Server.parseKeyRing;
};
declare namespace MawjlyServer {
  type MawjlyServer = Server.MawjlyServer;
  type MawjlyServerOptions = Server.MawjlyServerOptions;
  type MawjlyChannelAuthResponse = Server.MawjlyChannelAuthResponse;
  type KeyRingInput = Server.KeyRingInput;
}
export = MawjlyServer;
