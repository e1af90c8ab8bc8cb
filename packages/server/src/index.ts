// `@mawjly/server`: the `pusher` SDK class with an encryption key ring (current + previous master key).
export {
  MawjlyServer,
  MawjlyServer as default,
  type MawjlyChannelAuthResponse,
  type MawjlyServerOptions,
} from './mawjly-server.js';
export {
  decodeMasterKey,
  deriveSharedSecret,
  isEncryptedChannel,
  keyFingerprint,
  parseKeyRing,
  type KeyRing,
  type KeyRingInput,
} from './key-ring.js';
