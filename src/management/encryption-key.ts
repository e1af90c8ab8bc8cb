// The encryption master key of an app: 32 CSPRNG bytes shown once as padded standard base64 (the
// form `encryptionMasterKeyBase64` takes). Mawjly keeps only a domain-separated fingerprint, so the
// stored value can never equal a channel's shared secret SHA-256(channel ‖ key).
// Neither the key nor any part of it may reach a log, an error message or the store.
import { createHash, randomBytes } from 'node:crypto';
import { base64DecodedLength, isStrictBase64 } from '../protocol/base64.js';

export const ENCRYPTION_KEY_BYTES = 32;
export const FINGERPRINT_DOMAIN = 'mawjly-encryption-key-fingerprint-v1\0';

/** `SHA-256(domain ‖ key)`, first 16 bytes as hex grouped by 4 with `:` (39 characters). */
export function encryptionKeyFingerprint(key: Uint8Array): string {
  const digest = createHash('sha256').update(FINGERPRINT_DOMAIN, 'utf8').update(key).digest('hex');
  return (digest.slice(0, 32).match(/.{4}/g) ?? []).join(':');
}

export class InvalidEncryptionKeyError extends Error {
  constructor(reason: string) {
    // The message describes the problem only: it never quotes the input.
    super(`Invalid encryption master key: ${reason}`);
    this.name = 'InvalidEncryptionKeyError';
  }
}

/** Strictly decodes a base64 master key (padded standard alphabet, exactly 32 bytes). */
export function parseEncryptionKeyBase64(value: string): Buffer {
  const trimmed = value.trim();
  if (trimmed === '') throw new InvalidEncryptionKeyError('it is empty');
  if (!isStrictBase64(trimmed)) {
    throw new InvalidEncryptionKeyError(
      'expected standard base64 with padding (A-Z a-z 0-9 + /, length a multiple of 4)',
    );
  }
  const length = base64DecodedLength(trimmed);
  if (length !== ENCRYPTION_KEY_BYTES) {
    throw new InvalidEncryptionKeyError(
      `it decodes to ${length} bytes; a master key is exactly 32 bytes (44 base64 characters)`,
    );
  }
  return Buffer.from(trimmed, 'base64');
}

export interface GeneratedEncryptionKey {
  readonly keyBase64: string;
  readonly fingerprint: string;
}

export function generateEncryptionKey(): GeneratedEncryptionKey {
  const key = randomBytes(ENCRYPTION_KEY_BYTES);
  const result = { keyBase64: key.toString('base64'), fingerprint: encryptionKeyFingerprint(key) };
  key.fill(0);
  return result;
}
