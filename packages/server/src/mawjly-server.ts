// The official `pusher` SDK class with a key ring instead of one `encryptionMasterKeyBase64`.
// Publishing is the SDK's, with the current key. Channel authorization adds, for encrypted
// channels, `previous_shared_secret` (the previous key's channel secret) and both keys'
// fingerprints, so `@mawjly/client` decrypts events of either key while publishers switch.
import * as PusherModule from 'pusher';
import type Pusher from 'pusher';
import { deriveSharedSecret, isEncryptedChannel, parseKeyRing, type KeyRing } from './key-ring.js';
// The option and response types are the published declarations' (one source: server-types.d.ts).
import type { MawjlyChannelAuthResponse, MawjlyServerOptions } from './server-types.js';

export type { MawjlyChannelAuthResponse, MawjlyServerOptions };

// `pusher` is CommonJS (`module.exports = Pusher`); depending on the loader the namespace is the
// class or holds it under `default`.
const PusherClass = unwrapDefault(PusherModule) as typeof Pusher;

// Outside the instance: nothing reachable from the object (logs, JSON.stringify) shows the keys.
const rings = new WeakMap<object, KeyRing>();

export class MawjlyServer extends PusherClass {
  constructor(options: MawjlyServerOptions) {
    const { encryptionKeys, ...rest } = options;
    const ring = encryptionKeys === undefined ? undefined : parseKeyRing(encryptionKeys);
    if ('encryptionMasterKeyBase64' in rest || 'encryptionMasterKey' in rest)
      throw new Error('Pass encryptionKeys: { current, previous? } instead of encryptionMasterKeyBase64');
    super({ ...rest, ...(ring ? { encryptionMasterKeyBase64: ring.current.base64 } : {}) });
    if (ring) rings.set(this, ring);
  }

  override authorizeChannel(
    socketId: string,
    channel: string,
    data?: Pusher.PresenceChannelData,
  ): MawjlyChannelAuthResponse {
    const response: MawjlyChannelAuthResponse = super.authorizeChannel(socketId, channel, data);
    const ring = rings.get(this);
    if (!ring || !isEncryptedChannel(channel)) return response;
    response.key_fingerprint = ring.current.fingerprint;
    if (ring.previous) {
      response.previous_shared_secret = deriveSharedSecret(channel, ring.previous.bytes);
      response.previous_key_fingerprint = ring.previous.fingerprint;
    }
    return response;
  }

  /** @deprecated the SDK's old name of authorizeChannel. */
  override authenticate(
    socketId: string,
    channel: string,
    data?: Pusher.PresenceChannelData,
  ): MawjlyChannelAuthResponse {
    return this.authorizeChannel(socketId, channel, data);
  }

  /** The fingerprints of the ring (to compare with the dashboard's); never the keys. */
  get keyFingerprints(): { current: string | null; previous: string | null } {
    const ring = rings.get(this);
    return { current: ring?.current.fingerprint ?? null, previous: ring?.previous?.fingerprint ?? null };
  }
}

export default MawjlyServer;

function unwrapDefault(value: unknown): unknown {
  let current = value;
  while (typeof current === 'object' && current !== null && 'default' in current) current = current.default;
  return current;
}
