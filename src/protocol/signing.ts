// Signatures of the Pusher protocol (PROTOCOL.md §3, §5, §7.2, §8). Everything is HMAC-SHA256 with
// the app secret, lowercase hex, compared in constant time over the exact strings received.
import * as crypto from 'node:crypto';
import { createHash, createHmac, createSecretKey, type KeyObject } from 'node:crypto';

/** Node ≥ 20.12's one-shot digest (missing from our @types/node): no Hash object per call. */
const oneShotHash = (
  crypto as unknown as {
    hash?: {
      (algorithm: string, data: string | Buffer, encoding: 'hex'): string;
      (algorithm: string, data: string | Buffer, encoding: 'buffer'): Buffer;
    };
  }
).hash;

export function hmacSha256Hex(secret: string, message: string): string {
  if (padsHmac && message.length <= MAX_PADS_MESSAGE) return padsHmac(secretPads(secret), message);
  return createHmac('sha256', secretKey(secret)).update(message, 'utf8').digest('hex');
}

/**
 * Key objects of the secrets in use: an HMAC keyed with a KeyObject skips re-encoding the secret on
 * every request. Bounded, since secrets rotate; clearing it only costs one re-encoding per secret.
 */
const secretKeys = new Map<string, KeyObject>();
const MAX_SECRET_KEYS = 10_000;

function secretKey(secret: string): KeyObject {
  let key = secretKeys.get(secret);
  if (!key) {
    if (secretKeys.size >= MAX_SECRET_KEYS) secretKeys.clear();
    secretKeys.set(secret, (key = createSecretKey(Buffer.from(secret, 'utf8'))));
  }
  return key;
}

// HMAC-SHA256 as RFC 2104 defines it, H((K ⊕ opad) ‖ H((K ⊕ ipad) ‖ m)), on two one-shot digests:
// createHmac builds a Hmac stream object (and its native handle) per signature, which costs more
// than both digests together on a REST publish. The padded keys are computed once per secret.
// Used only when this Node's one-shot digest agrees with createHmac (checked once below).

/** SHA-256's block size: longer keys are hashed first, shorter ones zero-padded to it. */
const BLOCK = 64;
/** Longer messages (large webhook bodies) take createHmac, so the scratch buffer stays small. */
const MAX_PADS_MESSAGE = 16 * 1024;

interface Pads {
  /** K ⊕ ipad. */
  readonly inner: Buffer;
  /** K ⊕ opad, then room for the inner digest (filled per call). */
  readonly outer: Buffer;
}

const secretPadsCache = new Map<string, Pads>();
/** K ⊕ ipad ‖ message, rewritten per call (single-threaded, never held across calls). */
let scratch = Buffer.allocUnsafe(BLOCK + 1024);

function secretPads(secret: string): Pads {
  let pads = secretPadsCache.get(secret);
  if (!pads) {
    if (secretPadsCache.size >= MAX_SECRET_KEYS) secretPadsCache.clear();
    let key = Buffer.from(secret, 'utf8');
    if (key.length > BLOCK) key = createHash('sha256').update(key).digest();
    const inner = Buffer.alloc(BLOCK);
    const outer = Buffer.alloc(BLOCK + 32);
    for (let i = 0; i < BLOCK; i++) {
      const k = i < key.length ? (key[i] as number) : 0;
      inner[i] = k ^ 0x36;
      outer[i] = k ^ 0x5c;
    }
    secretPadsCache.set(secret, (pads = { inner, outer }));
  }
  return pads;
}

function padsHmacWith(hash: NonNullable<typeof oneShotHash>): (pads: Pads, message: string) => string {
  return (pads, message) => {
    // A UTF-16 code unit is at most 3 UTF-8 bytes.
    if (BLOCK + message.length * 3 > scratch.length) scratch = Buffer.allocUnsafe(BLOCK + message.length * 3);
    pads.inner.copy(scratch, 0);
    const end = BLOCK + scratch.write(message, BLOCK, 'utf8');
    hash('sha256', scratch.subarray(0, end), 'buffer').copy(pads.outer, BLOCK);
    return hash('sha256', pads.outer, 'hex');
  };
}

/** The two-digest HMAC when this Node has a one-shot digest giving Buffers and it matches createHmac. */
const padsHmac = ((): ((pads: Pads, message: string) => string) | undefined => {
  if (!oneShotHash) return undefined;
  try {
    const candidate = padsHmacWith(oneShotHash);
    const probes: [string, string][] = [
      ['secret', 'POST\n/apps/1/events\nauth_key=k&auth_timestamp=1'],
      ['s'.repeat(100), 'é ☃ 😀'],
      ['', ''],
    ];
    for (const [secret, message] of probes) {
      const expected = createHmac('sha256', Buffer.from(secret, 'utf8'))
        .update(message, 'utf8')
        .digest('hex');
      if (candidate(secretPads(secret), message) !== expected) return undefined;
    }
    secretPadsCache.clear();
    return candidate;
  } catch {
    return undefined;
  }
})();

export function md5Hex(body: string | Buffer): string {
  if (oneShotHash) return oneShotHash('md5', body, 'hex');
  return createHash('md5').update(body).digest('hex');
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
