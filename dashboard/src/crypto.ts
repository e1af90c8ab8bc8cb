// Browser-side cryptography of the Keys page and the debug console. Keys pasted by the user stay in
// this page: nothing here sends, stores or logs them.
import nacl from 'tweetnacl';

const FINGERPRINT_DOMAIN = 'mawjly-encryption-key-fingerprint-v1';
const MASTER_KEY_BYTES = 32;
const STRICT_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export class KeyFormatError extends Error {}

function subtle(): SubtleCrypto {
  // crypto.subtle only exists in secure contexts (HTTPS, or http://localhost).
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition
  if (!globalThis.crypto?.subtle) {
    throw new Error(
      'This browser only allows WebCrypto on HTTPS (or localhost); open the dashboard over HTTPS',
    );
  }
  return globalThis.crypto.subtle;
}

export function base64ToBytes(value: string): Uint8Array {
  const binary = atob(value);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/** Decodes a pasted master key: standard base64 with padding, exactly 32 bytes. */
export function parseMasterKey(input: string): Uint8Array {
  const value = input.trim();
  if (!STRICT_BASE64.test(value)) {
    throw new KeyFormatError('The key must be standard base64 (44 characters, ending in "=")');
  }
  const bytes = base64ToBytes(value);
  if (bytes.length !== MASTER_KEY_BYTES) {
    throw new KeyFormatError(
      `The key must decode to ${MASTER_KEY_BYTES} bytes, this one has ${bytes.length}`,
    );
  }
  return bytes;
}

function concat(...parts: Uint8Array[]): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

/** SHA-256("mawjly-encryption-key-fingerprint-v1" ‖ 0x00 ‖ key), first 16 bytes as hex grouped by 4. */
export async function keyFingerprint(key: Uint8Array): Promise<string> {
  const input = concat(new TextEncoder().encode(FINGERPRINT_DOMAIN), new Uint8Array([0]), key);
  const digest = new Uint8Array(await subtle().digest('SHA-256', input));
  const hex = Array.from(digest.subarray(0, 16), (b) => b.toString(16).padStart(2, '0')).join('');
  return hex.match(/.{4}/g)?.join(':') ?? hex;
}

/** The per-channel secretbox key the SDKs use: SHA-256(utf8(channel) ‖ master key). */
export async function channelKey(channel: string, masterKey: Uint8Array): Promise<Uint8Array> {
  const input = concat(new TextEncoder().encode(channel), masterKey);
  return new Uint8Array(await subtle().digest('SHA-256', input));
}

export interface Envelope {
  readonly nonce: string;
  readonly ciphertext: string;
}

/** Reads `{"nonce","ciphertext"}` from an event's data (a JSON string, or already parsed). */
export function readEnvelope(data: unknown): Envelope | undefined {
  let value: unknown = data;
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value);
    } catch {
      return undefined;
    }
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const { nonce, ciphertext } = value as Record<string, unknown>;
  if (typeof nonce !== 'string' || typeof ciphertext !== 'string') return undefined;
  return { nonce, ciphertext };
}

export type Decrypted =
  | { readonly ok: true; readonly text: string; readonly json: unknown }
  | { readonly ok: false; readonly reason: string };

export async function decryptEnvelope(
  channel: string,
  envelope: Envelope,
  masterKey: Uint8Array,
): Promise<Decrypted> {
  let nonce: Uint8Array;
  let box: Uint8Array;
  try {
    nonce = base64ToBytes(envelope.nonce);
    box = base64ToBytes(envelope.ciphertext);
  } catch {
    return { ok: false, reason: 'nonce or ciphertext is not valid base64' };
  }
  if (nonce.length !== nacl.secretbox.nonceLength) return { ok: false, reason: 'the nonce is not 24 bytes' };
  const opened = nacl.secretbox.open(box, nonce, await channelKey(channel, masterKey));
  if (!opened)
    return { ok: false, reason: 'this key does not decrypt the event (wrong key, or a rotated one)' };
  const text = new TextDecoder().decode(opened);
  let json: unknown = undefined;
  try {
    json = JSON.parse(text);
  } catch {
    // Not JSON: the plaintext is shown as text.
  }
  return { ok: true, text, json };
}
