// CommonJS shape of `@mawjly/client`, like pusher-js's own: `const Pusher = require('@mawjly/client')`
// is the class; the named exports hang off it as well. Bundled by build.mjs only.
const client = require('./index.ts');

module.exports = Object.assign(client.MawjlyPusher, {
  default: client.MawjlyPusher,
  MawjlyPusher: client.MawjlyPusher,
  withDerivedSharedSecret: client.withDerivedSharedSecret,
  decodeMasterKey: client.decodeMasterKey,
  deriveSharedSecret: client.deriveSharedSecret,
  isEncryptedChannel: client.isEncryptedChannel,
  encryptClientEvents: client.encryptClientEvents,
  DECRYPTION_FAILED_EVENT: client.DECRYPTION_FAILED_EVENT,
  masterKeyFingerprint: client.masterKeyFingerprint,
});
