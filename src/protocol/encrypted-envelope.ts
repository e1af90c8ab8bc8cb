// The server never decrypts, but it refuses what is certainly not ciphertext on an encrypted channel
// (PRODUCT.md "Encrypted channels" point 3): plaintext leaks PII, and malformed base64 throws inside
// pusher-js's message handler.
import { base64DecodedLength, isStrictBase64 } from './base64.js';
import { SECRETBOX_NONCE_BYTES, SECRETBOX_OVERHEAD_BYTES } from './limits.js';

/** Returns why `data` is not a valid `{"nonce","ciphertext"}` envelope, or undefined when it is. */
export function checkEncryptedEnvelope(data: string): string | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(data);
  } catch {
    return 'data is not JSON; encrypt it with the server SDK configured with encryptionMasterKeyBase64';
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return 'data must be a JSON object {"nonce","ciphertext"} produced by the SDK; plaintext is refused';
  }
  const record = parsed as Record<string, unknown>;
  const extra = Object.keys(record).filter((k) => k !== 'nonce' && k !== 'ciphertext');
  if (extra.length > 0) {
    return `data has unexpected field(s) ${extra.map((k) => JSON.stringify(k)).join(', ')}; only "nonce" and "ciphertext" are allowed (plaintext is refused)`;
  }
  const { nonce, ciphertext } = record;
  if (typeof nonce !== 'string') return 'data.nonce is missing or not a string';
  if (typeof ciphertext !== 'string') return 'data.ciphertext is missing or not a string';
  if (!isStrictBase64(nonce)) return 'data.nonce is not valid standard base64 (with padding)';
  if (base64DecodedLength(nonce) !== SECRETBOX_NONCE_BYTES) {
    return `data.nonce must decode to ${SECRETBOX_NONCE_BYTES} bytes, got ${base64DecodedLength(nonce)}`;
  }
  if (!isStrictBase64(ciphertext)) return 'data.ciphertext is not valid standard base64 (with padding)';
  if (base64DecodedLength(ciphertext) < SECRETBOX_OVERHEAD_BYTES) {
    return `data.ciphertext must decode to at least ${SECRETBOX_OVERHEAD_BYTES} bytes, got ${base64DecodedLength(ciphertext)}`;
  }
  return undefined;
}
