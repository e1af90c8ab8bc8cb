// Fills in the `shared_secret` of an encrypted channel's authorization from the master key, so an
// auth endpoint (or custom handler) that returns only `auth` works with pusher-js's EncryptedChannel.
import type { ChannelAuthorizationHandler } from 'pusher-js';
import { deriveSharedSecret, isEncryptedChannel } from './master-key.js';

/**
 * Wraps a pusher-js channel authorization handler. For `private-encrypted-*` channels a
 * `shared_secret` returned by the inner handler is kept as is (the auth endpoint knows best, e.g.
 * during a key rotation); a missing one is derived locally. Other channels pass through untouched.
 */
export function withDerivedSharedSecret(
  handler: ChannelAuthorizationHandler,
  masterKey: Uint8Array,
): ChannelAuthorizationHandler {
  return (params, callback) => {
    if (!isEncryptedChannel(params.channelName)) {
      handler(params, callback);
      return;
    }
    handler(params, (error, authData) => {
      if (error !== null || authData === null) {
        callback(error, authData);
        return;
      }
      const given: unknown = authData.shared_secret;
      if (typeof given === 'string' && given !== '') {
        callback(null, authData);
        return;
      }
      // A copy: pusher-js deletes `shared_secret` from the object it receives.
      callback(null, { ...authData, shared_secret: deriveSharedSecret(params.channelName, masterKey) });
    });
  };
}
