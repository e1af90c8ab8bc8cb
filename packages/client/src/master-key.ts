// The encryption master key of an app and the per-channel keys derived from it (PROTOCOL.md §3.4).
// Runs unchanged in Node and in browsers: a synchronous pure-JS SHA-256 (WebCrypto's subtle API is
// missing outside secure contexts, e.g. an intranet page served over plain http).
import { sha256 } from '@noble/hashes/sha2.js';

/** What pusher-http-node accepts (`is-base64` defaults): standard alphabet, padding required. */
const STRICT_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export const MASTER_KEY_BYTES = 32;
export const ENCRYPTED_CHANNEL_PREFIX = 'private-encrypted-';

/**
 * Decodes and validates `encryptionMasterKeyBase64`. The error never quotes the value: it is a
 * secret, and error messages end up in logs and crash reports.
 */
export function decodeMasterKey(value: unknown): Uint8Array {
  if (typeof value !== 'string') {
    throw new TypeError(
      `encryptionMasterKeyBase64 must be a string, got ${value === null ? 'null' : typeof value}`,
    );
  }
  if (!STRICT_BASE64.test(value)) {
    throw new Error(
      'encryptionMasterKeyBase64 must be standard base64 with padding (A-Z a-z 0-9 + /, "=" padding, no whitespace); ' +
        'copy the 44-character key shown when it was generated',
    );
  }
  const bytes = base64ToBytes(value);
  if (bytes.length !== MASTER_KEY_BYTES) {
    throw new Error(
      `encryptionMasterKeyBase64 must decode to ${MASTER_KEY_BYTES} bytes, but the provided key decodes to ${bytes.length} bytes`,
    );
  }
  return bytes;
}

/** `base64(SHA-256(utf8(channel name) ‖ master key))`, the `shared_secret` pusher-js expects. */
export function deriveSharedSecret(channelName: string, masterKey: Uint8Array): string {
  if (masterKey.length !== MASTER_KEY_BYTES)
    throw new Error(`the master key must be ${MASTER_KEY_BYTES} bytes`);
  const name = new TextEncoder().encode(channelName);
  const input = new Uint8Array(name.length + masterKey.length);
  input.set(name, 0);
  input.set(masterKey, name.length);
  const digest = sha256(input);
  input.fill(0);
  return bytesToBase64(digest);
}

export function isEncryptedChannel(channelName: string): boolean {
  return channelName.startsWith(ENCRYPTED_CHANNEL_PREFIX);
}

export function base64ToBytes(value: string): Uint8Array {
  const binary = atob(value);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

export function bytesToBase64(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}
