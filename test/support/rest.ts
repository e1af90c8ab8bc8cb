// Raw signed requests to the Pusher HTTP API, for the cases the `pusher` SDK refuses to send
// (oversized batches, plaintext on encrypted channels, stale timestamps, bad signatures…).
import type { App } from '../../src/core/app.js';
import type { RunningServer } from '../../src/server/server.js';
import { hmacSha256Hex, md5Hex, restStringToSign } from '../../src/protocol/signing.js';

export interface SignedRequestOptions {
  readonly method?: string;
  /** Path including `/apps/{id}`, without a query string. */
  readonly path: string;
  /** Extra query parameters (decoded values; they are percent-encoded on the wire). */
  readonly query?: Record<string, string>;
  /** Raw body text; objects are JSON-encoded. */
  readonly body?: string | Record<string, unknown>;
  /** Unix seconds; default now. */
  /** auth_timestamp, sent as given (a string to send a malformed one). */
  readonly timestamp?: number | string;
  readonly key?: string;
  readonly secret?: string;
  /** `false` leaves body_md5 out; a string is sent instead of the real MD5. */
  readonly bodyMd5?: false | string;
  /** Sent instead of the computed signature. */
  readonly signature?: string;
}

export interface ApiResponse {
  readonly status: number;
  readonly text: string;
  /** The parsed JSON body (undefined when it is not JSON). */
  readonly json: unknown;
  readonly contentType: string | null;
}

/** The signed query pairs (decoded) of a request, auth_signature last. */
export function signQuery(
  app: Pick<App, 'key' | 'secrets'>,
  options: SignedRequestOptions,
): [string, string][] {
  const method = (options.method ?? 'POST').toUpperCase();
  const body = bodyText(options.body);
  const pairs: [string, string][] = [
    ['auth_key', options.key ?? app.key],
    ['auth_timestamp', String(options.timestamp ?? Math.floor(Date.now() / 1000))],
    ['auth_version', '1.0'],
  ];
  if (body.length > 0 && options.bodyMd5 !== false) pairs.push(['body_md5', options.bodyMd5 ?? md5Hex(body)]);
  for (const [k, v] of Object.entries(options.query ?? {})) pairs.push([k, v]);
  const toSign = restStringToSign(method, options.path, new Map(pairs));
  pairs.push([
    'auth_signature',
    options.signature ?? hmacSha256Hex(options.secret ?? app.secrets[0] ?? '', toSign),
  ]);
  return pairs;
}

/** Sends a request signed with the app's credentials (or the overrides in options). */
export async function signedRequest(
  server: RunningServer,
  app: Pick<App, 'key' | 'secrets'>,
  options: SignedRequestOptions,
): Promise<ApiResponse> {
  return rawRequest(server, options.method ?? 'POST', signedTarget(app, options), bodyText(options.body));
}

/** The signed request target: `options.path` and its signed query, percent-encoded. */
export function signedTarget(app: Pick<App, 'key' | 'secrets'>, options: SignedRequestOptions): string {
  const query = signQuery(app, options)
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`)
    .join('&');
  return `${options.path}?${query}`;
}

/** Sends exactly the given path+query and body, unsigned. */
export async function rawRequest(
  server: RunningServer,
  method: string,
  pathAndQuery: string,
  body?: string,
): Promise<ApiResponse> {
  const hasBody = body !== undefined && body.length > 0;
  const response = await fetch(`${server.url}${pathAndQuery}`, {
    method,
    headers: hasBody ? { 'content-type': 'application/json' } : {},
    ...(hasBody ? { body } : {}),
    signal: AbortSignal.timeout(5000),
  });
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, text, json, contentType: response.headers.get('content-type') };
}

function bodyText(body: SignedRequestOptions['body']): string {
  if (body === undefined) return '';
  return typeof body === 'string' ? body : JSON.stringify(body);
}

/** Asserts-friendly view of a `{"error":{"code","message"}}` body. */
export function errorOf(response: ApiResponse): { code: string; message: string } | undefined {
  const json = response.json as { error?: { code?: unknown; message?: unknown } } | undefined;
  const error = json?.error;
  if (typeof error?.code !== 'string' || typeof error.message !== 'string') return undefined;
  return { code: error.code, message: error.message };
}
