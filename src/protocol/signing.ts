// Signatures of the Pusher protocol (PROTOCOL.md §3, §5, §7.2, §8). Everything is HMAC-SHA256 with
// the app secret, lowercase hex, compared in constant time over the exact strings received.
import * as crypto from 'node:crypto';
import { createHash } from 'node:crypto';

/**
 * The one-shot digest, `crypto.hash` (every Node this package supports has it; our @types/node do
 * not declare it): no Hash object per call.
 */
const oneShotHash = (
  crypto as unknown as {
    hash: (algorithm: string, data: string | Buffer, encoding: 'hex' | 'latin1') => string;
  }
).hash;

/** SHA-256's block size: HMAC pads its key to one block (RFC 2104). */
const BLOCK = 64;
/** Messages up to this many UTF-16 units are written into `innerInput` (3 UTF-8 bytes at most each). */
const MAX_SCRATCH_UNITS = 4096;
/** The inner hash's input, `(key ^ ipad) || message`; reused, as every call is synchronous. */
const innerInput = Buffer.allocUnsafe(BLOCK + 3 * MAX_SCRATCH_UNITS);
/** The secret whose inner key block `innerInput` starts with, and its pads (most calls repeat it). */
let lastSecret: string | undefined;
let lastPads: KeyPads | undefined;

/**
 * HMAC-SHA256 of `message` keyed with `secret`, lowercase hex. It is computed from its definition,
 * H((K ^ opad) || H((K ^ ipad) || m)), with two one-shot digests over key blocks made once per secret:
 * node:crypto's HMAC object costs more to set up per call (OpenSSL looks the digest up by name
 * each time) than both digests together, and this runs for every REST request, signed
 * subscription and sign-in. A long message (a webhook body) gets its own input buffer.
 */
export function hmacSha256Hex(secret: string, message: string): string {
  let pads = lastPads;
  if (lastSecret !== secret || pads === undefined) {
    pads = keyPads(secret);
    pads.inner.copy(innerInput, 0);
    lastSecret = secret;
    lastPads = pads;
  }
  const input =
    message.length > MAX_SCRATCH_UNITS
      ? Buffer.concat([pads.inner, Buffer.from(message, 'utf8')])
      : innerInput.subarray(0, BLOCK + innerInput.write(message, BLOCK, 'utf8'));
  // The inner digest as a latin1 string (one byte per char): cheaper to make than a Buffer.
  pads.outer.write(oneShotHash('sha256', input, 'latin1'), BLOCK, 'latin1');
  return oneShotHash('sha256', pads.outer, 'hex');
}

/** A secret's key blocks: `key ^ ipad`, and `key ^ opad` with room for the inner digest after it. */
interface KeyPads {
  readonly inner: Buffer;
  readonly outer: Buffer;
}

/**
 * The key blocks of the secrets in use, made once per secret. Bounded, since secrets rotate;
 * clearing it only costs one re-derivation per secret.
 */
const secretPads = new Map<string, KeyPads>();
const MAX_SECRETS = 10_000;

function keyPads(secret: string): KeyPads {
  let pads = secretPads.get(secret);
  if (!pads) {
    if (secretPads.size >= MAX_SECRETS) secretPads.clear();
    let key = Buffer.from(secret, 'utf8');
    // A key longer than a block is replaced by its digest (RFC 2104 §2).
    if (key.length > BLOCK) key = createHash('sha256').update(key).digest();
    const inner = Buffer.alloc(BLOCK, 0x36);
    const outer = Buffer.alloc(BLOCK + 32, 0x5c);
    for (let i = 0; i < key.length; i++) {
      inner[i] = (key[i] as number) ^ 0x36;
      outer[i] = (key[i] as number) ^ 0x5c;
    }
    secretPads.set(secret, (pads = { inner, outer }));
  }
  return pads;
}

export function md5Hex(body: string | Buffer): string {
  return oneShotHash('md5', body, 'hex');
}

/**
 * Constant-time string comparison (length is not secret): every UTF-16 code unit is compared, with
 * no early exit, and no Buffer per call (it runs twice per REST request and per subscription).
 */
export function safeEqual(a: string, b: string): boolean {
  // Unequal lengths compare `a` with itself, so the work depends on `a` only.
  const other = a.length === b.length ? b : a;
  let diff = a.length ^ b.length;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ other.charCodeAt(i);
  return diff === 0;
}

/** String signed for a private, encrypted or presence subscription. */
export function channelStringToSign(socketId: string, channel: string, channelData?: string): string {
  return channelData === undefined ? `${socketId}:${channel}` : `${socketId}:${channel}:${channelData}`;
}

/** String signed for `pusher:signin`. */
export function userStringToSign(socketId: string, userData: string): string {
  return `${socketId}::user::${userData}`;
}

/** The `auth` field a correct auth endpoint returns: `<key>:<hex signature>`. */
export function signAuth(key: string, secret: string, stringToSign: string): string {
  return `${key}:${hmacSha256Hex(secret, stringToSign)}`;
}

/**
 * Checks an `auth` field (`<key>:<hex>`) against every currently valid secret of the app
 * (several during a secret-rotation grace period).
 */
export function verifyAuth(
  auth: unknown,
  key: string,
  secrets: readonly string[],
  stringToSign: string,
): boolean {
  if (typeof auth !== 'string') return false;
  const colon = auth.indexOf(':');
  if (colon < 0) return false;
  const keyOk = safeEqual(auth.slice(0, colon), key);
  const given = auth.slice(colon + 1);
  let ok = false;
  for (const secret of secrets) if (safeEqual(given, hmacSha256Hex(secret, stringToSign))) ok = true;
  return keyOk && ok;
}

/**
 * Canonical query of a REST request: decoded pairs except auth_signature, keys lowercased, sorted by
 * key in code-unit order, joined `k=v` with `&` without escaping.
 */
export function canonicalQuery(params: ReadonlyMap<string, string> | Record<string, string>): string {
  // `instanceof Map` narrows the union to Map<any, any>; a key named "entries" rules out duck typing.
  const entries: Iterable<readonly [string, string]> =
    params instanceof Map ? (params as ReadonlyMap<string, string>).entries() : Object.entries(params);
  const keys: string[] = [];
  const values: string[] = [];
  for (const [k, v] of entries) {
    const lower = k.toLowerCase();
    if (lower === 'auth_signature') continue;
    keys.push(lower);
    values.push(v);
  }
  const n = keys.length;
  let order: number[] | undefined;
  if (n <= INSERTION_SORT_MAX) {
    // A stable insertion sort in place: a signed query has a handful of pairs, and this allocates
    // nothing per pair (a comparator sort over [key, value] tuples did, on every REST request).
    for (let i = 1; i < n; i++) {
      const key = keys[i] as string;
      const value = values[i] as string;
      let j = i;
      while (j > 0 && (keys[j - 1] as string) > key) {
        keys[j] = keys[j - 1] as string;
        values[j] = values[j - 1] as string;
        j--;
      }
      keys[j] = key;
      values[j] = value;
    }
  } else {
    // Many pairs (hostile input): a stable O(n log n) sort of indices.
    order = keys.map((_, i) => i);
    order.sort((a, b) => {
      const ka = keys[a] as string;
      const kb = keys[b] as string;
      return ka < kb ? -1 : ka > kb ? 1 : 0;
    });
  }
  let out = '';
  for (let i = 0; i < n; i++) {
    const at = order ? (order[i] as number) : i;
    out += `${i === 0 ? '' : '&'}${keys[at] as string}=${values[at] as string}`;
  }
  return out;
}

/** Up to this many pairs, the canonical query is sorted by insertion (quadratic, so bounded). */
const INSERTION_SORT_MAX = 24;

export function restStringToSign(
  method: string,
  path: string,
  params: ReadonlyMap<string, string> | Record<string, string>,
): string {
  return restStringToSignOf(method, path, canonicalQuery(params));
}

/** restStringToSign from the canonical query already made. */
export function restStringToSignOf(method: string, path: string, canonical: string): string {
  return `${method.toUpperCase()}\n${path}\n${canonical}`;
}

/** `X-Pusher-Signature` of a webhook: HMAC of the exact body bytes sent. */
export function webhookSignature(secret: string, body: string): string {
  return hmacSha256Hex(secret, body);
}

/** Per-channel key of an encrypted channel: SHA-256(channel name ‖ master key), channel name first. */
export function channelSharedSecret(channel: string, masterKey: Uint8Array): Buffer {
  return createHash('sha256').update(Buffer.from(channel, 'utf8')).update(masterKey).digest();
}
