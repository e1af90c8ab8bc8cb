// CommonJS shape of `@mawjly/server`, like the `pusher` SDK's: `require('@mawjly/server')` is the
// class; the named exports hang off it as well. Bundled by build.mjs only.
const server = require('./index.ts');

module.exports = Object.assign(server.MawjlyServer, {
  default: server.MawjlyServer,
  MawjlyServer: server.MawjlyServer,
  decodeMasterKey: server.decodeMasterKey,
  deriveSharedSecret: server.deriveSharedSecret,
  isEncryptedChannel: server.isEncryptedChannel,
  keyFingerprint: server.keyFingerprint,
  parseKeyRing: server.parseKeyRing,
});
