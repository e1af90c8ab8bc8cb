// `@mawjly/client`: a drop-in for the pusher-js class that honours `encryptionMasterKeyBase64`.
// In Node, pusher-js's main entry already includes tweetnacl; the browser builds swap in
// `pusher-js/with-encryption` (build.mjs).
export { MawjlyPusher, MawjlyPusher as default, type MawjlyOptions } from './mawjly-pusher.js';
export { withDerivedSharedSecret } from './derived-secret-authorizer.js';
export { decodeMasterKey, deriveSharedSecret, isEncryptedChannel } from './master-key.js';
export { encryptClientEvents, type EncryptedEnvelope } from './encrypted-client-events.js';
export {
  DECRYPTION_FAILED_EVENT,
  masterKeyFingerprint,
  type DecryptionFailure,
  type TriedKey,
} from './key-ring-decryption.js';
