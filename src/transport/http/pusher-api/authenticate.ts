// REST request authentication, exactly as PROTOCOL.md §7.2: app owns the key, timestamp within
// ±600 s, body_md5 over the raw bytes when there is a body, HMAC over the decoded canonical query,
// compared in constant time against every valid secret.
import type { App } from '../../../core/app.js';
import type { AppDirectory } from '../../../core/ports/app-directory.js';
import { MawjlyError } from '../../../protocol/errors.js';
import { REST_TIMESTAMP_WINDOW_SECONDS } from '../../../protocol/limits.js';
import type { QueryPairs } from './api-target.js';
import { hmacSha256Hex, md5Hex, restStringToSign, safeEqual } from '../../../protocol/signing.js';

export interface SignedRequest {
  readonly method: string;
  /** Path without the query string, including `/apps/{id}`. */
  readonly path: string;
  readonly query: QueryPairs;
  readonly body: Buffer;
}

export function authenticateRequest(
  directory: AppDirectory,
  appId: string,
  request: SignedRequest,
  nowMs: number,
): App {
  const params = new Map<string, string>();
  for (const [k, v] of request.query) params.set(k.toLowerCase(), v);
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
  const seconds = Number(timestamp);
  const now = Math.floor(nowMs / 1000);
  if (!/^\d+$/.test(timestamp) || Math.abs(now - seconds) > REST_TIMESTAMP_WINDOW_SECONDS) {
    throw new MawjlyError(
      'auth_timestamp_expired',
      `Timestamp expired: given timestamp (${timestamp.slice(0, 20)}) not within ${REST_TIMESTAMP_WINDOW_SECONDS}s of server time (${now})`,
    );
  }
  if (request.body.length > 0) {
    const md5 = params.get('body_md5');
    if (md5 === undefined || !safeEqual(md5, md5Hex(request.body))) throw new MawjlyError('auth_body_md5');
  }
  const toSign = restStringToSign(request.method, request.path, params);
  let ok = false;
  for (const secret of app.secrets) if (safeEqual(signature, hmacSha256Hex(secret, toSign))) ok = true;
  if (!ok)
    throw new MawjlyError(
      'auth_signature_invalid',
      'Invalid signature: expected HMAC-SHA256 of the canonical request',
    );
  return app;
}
