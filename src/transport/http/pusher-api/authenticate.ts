// REST request authentication, exactly as PROTOCOL.md §7.2: app owns the key, timestamp within
// ±600 s, body_md5 over the raw bytes when there is a body, HMAC over the decoded canonical query,
// compared in constant time against every valid secret.
import type { App } from '../../../core/app.js';
import type { AppDirectory } from '../../../core/ports/app-directory.js';
import { MawjlyError } from '../../../protocol/errors.js';
import { REST_TIMESTAMP_WINDOW_SECONDS } from '../../../protocol/limits.js';
import type { ApiTarget, QueryPairs } from './api-target.js';
import {
  hmacSha256Hex,
  md5Hex,
  restStringToSign,
  restStringToSignOf,
  safeEqual,
} from '../../../protocol/signing.js';

/** The signed query: names lowercased, the last value of a repeated name kept. */
interface SignedParams {
  get(name: string): string | undefined;
  /** restStringToSign of these parameters. */
  stringToSign(method: string, path: string): string;
}

/** Up to this many pairs the parameters are kept sorted in two small arrays (no Map, no re-sort). */
const SMALL_QUERY = 24;

/**
 * Whether a name may change when lowercased (an ASCII capital, or any non-ASCII character): the SDKs
 * send lowercase names, and toLowerCase would copy them.
 */
function needsLowercasing(name: string): boolean {
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if ((c >= 0x41 && c <= 0x5a) || c > 0x7f) return true;
  }
  return false;
}

function signedParams(query: QueryPairs): SignedParams {
  if (query.length > SMALL_QUERY) {
    const map = new Map<string, string>();
    for (const [k, v] of query) map.set(k.toLowerCase(), v);
    return {
      get: (name) => map.get(name),
      stringToSign: (method, path) => restStringToSign(method, path, map),
    };
  }
  // Sorted by name in code-unit order as they arrive (insertion), a repeated name replacing its value:
  // the same pairs, in the same order, that canonicalQuery makes of the Map above.
  const keys: string[] = [];
  const values: string[] = [];
  for (const [k, v] of query) {
    const lower = needsLowercasing(k) ? k.toLowerCase() : k;
    let at = keys.length;
    while (at > 0 && (keys[at - 1] as string) > lower) at--;
    if (at > 0 && keys[at - 1] === lower) {
      values[at - 1] = v;
      continue;
    }
    keys.push(lower);
    values.push(v);
    for (let i = keys.length - 1; i > at; i--) {
      keys[i] = keys[i - 1] as string;
      values[i] = values[i - 1] as string;
    }
    keys[at] = lower;
    values[at] = v;
  }
  return {
    get: (name) => {
      for (let i = 0; i < keys.length; i++) if (keys[i] === name) return values[i];
      return undefined;
    },
    stringToSign: (method, path) => {
      let canonical = '';
      for (let i = 0; i < keys.length; i++) {
        const name = keys[i] as string;
        if (name === 'auth_signature') continue;
        canonical += `${canonical === '' ? '' : '&'}${name}=${values[i] as string}`;
      }
      return restStringToSignOf(method, path, canonical);
    },
  };
}

/**
 * `auth_timestamp` as a number when it is decimal digits only, else NaN (which no window holds).
 * One pass, no RegExp object and no Number() of a sliced string per request.
 */
function decimalSeconds(text: string): number {
  if (text.length === 0) return NaN;
  let value = 0;
  for (let i = 0; i < text.length; i++) {
    const digit = text.charCodeAt(i) - 0x30;
    if (digit < 0 || digit > 9) return NaN;
    value = value * 10 + digit;
  }
  return value;
}

export interface SignedRequest {
  readonly method: string;
  /** Path without the query string, including `/apps/{id}`. */
  readonly path: string;
  /** The query: its pairs, and the string itself when decoding leaves it unchanged. */
  readonly target: Pick<ApiTarget, 'query' | 'plainQuery'>;
  readonly body: Buffer;
}

class CanonicalQuery implements SignedParams {
  constructor(
    private readonly key: string | undefined,
    private readonly timestamp: string | undefined,
    private readonly version: string | undefined,
    private readonly md5: string | undefined,
    private readonly signature: string,
    private readonly canonical: string,
  ) {}

  get(name: string): string | undefined {
    switch (name) {
      case 'auth_key':
        return this.key;
      case 'auth_timestamp':
        return this.timestamp;
      case 'auth_version':
        return this.version;
      case 'body_md5':
        return this.md5;
      case 'auth_signature':
        return this.signature;
      default:
        return undefined;
    }
  }

  stringToSign(method: string, path: string): string {
    return restStringToSignOf(method, path, this.canonical);
  }
}

/**
 * The signed parameters read straight from a query already in canonical form, as every official SDK
 * sends it: nothing to decode, names lowercase, every name but `auth_signature` once and in
 * code-unit order. The canonical query is then the string itself without its `auth_signature`
 * pair, so no pair is split out and nothing is sorted or joined. Undefined for any other query,
 * which signedParams reads the general way (to the same result: authenticate.test.ts compares both).
 */
function canonicalParams(raw: string): SignedParams | undefined {
  let key: string | undefined;
  let timestamp: string | undefined;
  let version: string | undefined;
  let md5: string | undefined;
  let signature: string | undefined;
  let signatureStart = -1;
  let signatureEnd = -1;
  let previous = '';
  let start = 0;
  while (start <= raw.length) {
    let end = raw.indexOf('&', start);
    if (end === -1) end = raw.length;
    const eq = raw.indexOf('=', start);
    // An empty part or a name without a value is canonicalised differently from how it was sent.
    if (eq === -1 || eq >= end || eq === start) return undefined;
    const name = raw.slice(start, eq);
    if (needsLowercasing(name)) return undefined;
    if (name === 'auth_signature') {
      if (signature !== undefined) return undefined;
      signature = raw.slice(eq + 1, end);
      signatureStart = start;
      signatureEnd = end;
    } else {
      if (previous !== '' && !(name > previous)) return undefined;
      previous = name;
      if (name === 'auth_key') key = raw.slice(eq + 1, end);
      else if (name === 'auth_timestamp') timestamp = raw.slice(eq + 1, end);
      else if (name === 'auth_version') version = raw.slice(eq + 1, end);
      else if (name === 'body_md5') md5 = raw.slice(eq + 1, end);
    }
    start = end + 1;
  }
  // Without a signature the general path answers (auth_missing), as it does for every other gap.
  if (signature === undefined) return undefined;
  // The text without the signature's pair and one of the `&` around it.
  const canonical =
    signatureEnd === raw.length
      ? raw.slice(0, Math.max(0, signatureStart - 1))
      : raw.slice(0, signatureStart) + raw.slice(signatureEnd + 1);
  return new CanonicalQuery(key, timestamp, version, md5, signature, canonical);
}

export function authenticateRequest(
  directory: AppDirectory,
  appId: string,
  request: SignedRequest,
  nowMs: number,
): App {
  const { target } = request;
  const params =
    (target.plainQuery === undefined ? undefined : canonicalParams(target.plainQuery)) ??
    signedParams(target.query);
  const key = params.get('auth_key');
  const timestamp = params.get('auth_timestamp');
  const signature = params.get('auth_signature');
  if (
    key === undefined ||
    timestamp === undefined ||
    signature === undefined ||
    params.get('auth_version') === undefined
  ) {
    throw new MawjlyError('auth_missing');
  }
  const app = directory.findById(appId);
  if (!app || !safeEqual(app.key, key))
    throw new MawjlyError('auth_key_mismatch', `Unknown auth_key for app ${appId.slice(0, 40)}`);
  const seconds = decimalSeconds(timestamp);
  const now = Math.floor(nowMs / 1000);
  if (!(Math.abs(now - seconds) <= REST_TIMESTAMP_WINDOW_SECONDS)) {
    throw new MawjlyError(
      'auth_timestamp_expired',
      `Timestamp expired: given timestamp (${timestamp.slice(0, 20)}) not within ${REST_TIMESTAMP_WINDOW_SECONDS}s of server time (${now})`,
    );
  }
  if (request.body.length > 0) {
    const md5 = params.get('body_md5');
    if (md5 === undefined || !safeEqual(md5, md5Hex(request.body))) throw new MawjlyError('auth_body_md5');
  }
  const toSign = params.stringToSign(request.method, request.path);
  let ok = false;
  for (const secret of app.secrets) if (safeEqual(signature, hmacSha256Hex(secret, toSign))) ok = true;
  if (!ok)
    throw new MawjlyError(
      'auth_signature_invalid',
      'Invalid signature: expected HMAC-SHA256 of the canonical request',
    );
  return app;
}
