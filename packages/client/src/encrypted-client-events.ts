// Client events on encrypted channels (docs/encrypted-channels.md "Encrypted client events").
// pusher-js's EncryptedChannel refuses `trigger`; this replaces it, on one channel object, with a
// trigger that seals the data with the channel's shared secret (the key pusher-js took from the
// authorization, or the one the helper derived from the master key) and sends the same
// `{"nonce","ciphertext"}` envelope the server SDKs publish. Receivers need nothing new: stock
// pusher-js decrypts every non-`pusher:` event of an encrypted channel. The server relays these only
// when the app setting `encrypted_client_events` is on, and only as valid envelopes.
import type { Channel } from 'pusher-js';
import { bytesToBase64, isEncryptedChannel } from './master-key.js';

/** The parts of pusher-js's EncryptedChannel used here (not in its public type declarations). */
interface EncryptedChannelInternals {
  readonly name: string;
  /** The channel's secretbox key, set by pusher-js once the authorization carried `shared_secret`. */
  key: Uint8Array | null;
  /** The tweetnacl instance pusher-js was built with (its Node build, or its with-encryption build). */
  readonly nacl?: Nacl;
  readonly pusher: { send_event(event: string, data: unknown, channel?: string): boolean };
  trigger(event: string, data?: unknown): boolean;
}

interface Nacl {
  randomBytes(length: number): Uint8Array;
  secretbox: ((message: Uint8Array, nonce: Uint8Array, key: Uint8Array) => Uint8Array) & {
    readonly nonceLength: number;
  };
}

export interface EncryptedEnvelope {
  readonly nonce: string;
  readonly ciphertext: string;
}

const enabled = new WeakSet<object>();

/**
 * Makes `channel.trigger('client-…', data)` work on a `private-encrypted-*` channel of pusher-js
 * (stock or MawjlyPusher, which calls this on every subscribe). Other channels are returned
 * untouched. The data is JSON-encoded then encrypted, as the `pusher` server SDK does, so receivers
 * get back the value that was sent.
 */
export function encryptClientEvents<C extends Channel>(channel: C): C {
  if (!isEncryptedChannel(channel.name) || enabled.has(channel)) return channel;
  enabled.add(channel);
  const internals = channel as unknown as EncryptedChannelInternals;
  internals.trigger = (event: unknown, data?: unknown): boolean => {
    if (typeof event !== 'string' || !event.startsWith('client-')) {
      throw new Error(`Event '${String(event)}' does not start with 'client-'`);
    }
    const key = internals.key;
    if (!(key instanceof Uint8Array)) {
      throw new Error(
        `Cannot encrypt ${event} for ${internals.name}: the channel's key is not known yet ` +
          '(trigger client events after pusher:subscription_succeeded)',
      );
    }
    if (internals.nacl === undefined) {
      throw new Error('Encrypted client events need pusher-js with encryption (pusher-js/with-encryption)');
    }
    return internals.pusher.send_event(event, sealClientEvent(data, key, internals.nacl), internals.name);
  };
  return channel;
}

/** `secretbox(utf8(JSON(data)), random 24-byte nonce, key)` as the envelope pusher-js decrypts. */
export function sealClientEvent(data: unknown, key: Uint8Array, nacl: Nacl): EncryptedEnvelope {
  const nonce = nacl.randomBytes(nacl.secretbox.nonceLength);
  const plaintext = new TextEncoder().encode(JSON.stringify(data === undefined ? null : data));
  const box = nacl.secretbox(plaintext, nonce, key);
  plaintext.fill(0);
  return { nonce: bytesToBase64(nonce), ciphertext: bytesToBase64(box) };
}
