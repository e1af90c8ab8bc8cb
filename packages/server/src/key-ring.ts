// The encryption key ring of an app: the current master key and, during a rotation window, the
// previous one (issue 11 §2). Keys are validated strictly and never quoted in an error; fingerprints
// are Mawjly's (the dashboard and `GET /api/v1/apps/{id}/encryption-key` show the same ones).
import { createHash } from 'node:crypto';
// The ring's types are the published declarations' (one source: server-types.d.ts, copied to dist).
import type { KeyRing, KeyRingInput, RingKey } from './server-types.js';

export type { KeyRing, KeyRingInput, RingKey };

export const MASTER_KEY_BYTES = 32;
export const ENCRYPTED_CHANNEL_PREFIX = 'private-encrypted-';
/** Mawjly's fingerprint domain (src/management/encryption-key.ts in the server). */
const FINGERPRINT_DOMAIN = 'mawjly-encryption-key-fingerprint-v1\0';
/** Standard alphabet, padding required: what Mawjly prints and the pusher SDK accepts. */
const STRICT_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export function isEncryptedChannel(channel: string): boolean {
  return channel.startsWith(ENCRYPTED_CHANNEL_PREFIX);
}

/** Decodes one master key; `which` names it in the error (never the value). */
export function decodeMasterKey(value: unknown, which = 'encryption master key'): Buffer {
  if (typeof value !== 'string') throw new TypeError(`${which} must be a base64 string`);
  if (!STRICT_BASE64.test(value))
    throw new Error(`${which} must be standard base64 with padding (the 44 characters Mawjly showed)`);
  const bytes = Buffer.from(value, 'base64');
  if (bytes.length !== MASTER_KEY_BYTES)
    throw new Error(`${which} must decode to ${MASTER_KEY_BYTES} bytes, not ${bytes.length}`);
  return bytes;
}

/** Mawjly's fingerprint of a master key: SHA-256(domain ‖ key), 16 bytes as hex in groups of 4. */
export function keyFingerprint(key: Uint8Array): string {
  const hex = createHash('sha256').update(FINGERPRINT_DOMAIN, 'utf8').update(key).digest('hex');
  return (hex.slice(0, 32).match(/.{4}/g) ?? []).join(':');
}

/** base64(SHA-256(utf8(channel) ‖ master key)): the `shared_secret` of an encrypted channel. */
export function deriveSharedSecret(channel: string, key: Uint8Array): string {
  return createHash('sha256').update(channel, 'utf8').update(key).digest('base64');
}

export function parseKeyRing(input: KeyRingInput): KeyRing {
  if (typeof input !== 'object' || (input as unknown) === null)
    throw new TypeError('encryptionKeys must be an object { current, previous? }');
  const ringKey = (value: string, which: string): RingKey => {
    const bytes = decodeMasterKey(value, which);
    return { base64: value, bytes, fingerprint: keyFingerprint(bytes) };
  };
  const current = ringKey(input.current, 'encryptionKeys.current');
  const previous =
    input.previous === undefined ? undefined : ringKey(input.previous, 'encryptionKeys.previous');
  if (previous && previous.bytes.equals(current.bytes))
    throw new Error('encryptionKeys.previous must differ from encryptionKeys.current');
  return { current, previous };
}
