// The one JSON writer of the HTTP layer, and the one error writer: every endpoint answers an error as
// `{"error":{"code","message"}}` with the status of the error catalogue (src/protocol/errors.ts).
// Endpoint families differ only in their base headers, named here.
import { ERRORS, MawjlyError } from '../../protocol/errors.js';
import type { HttpResponse, ResponseHeaders } from './exchange.js';

/** The Pusher REST API's JSON (what the official SDKs expect). */
export const API_HEADERS: ResponseHeaders = Object.freeze({ 'content-type': 'application/json' });

/** Management responses are per-user and often carry secrets: never cached anywhere, never sniffed. */
export const PRIVATE_HEADERS: ResponseHeaders = Object.freeze({
  'Cache-Control': 'no-store',
  'X-Content-Type-Options': 'nosniff',
});

export const MANAGEMENT_HEADERS: ResponseHeaders = Object.freeze({
  ...PRIVATE_HEADERS,
  'Content-Type': 'application/json; charset=utf-8',
});

/** Errors no endpoint answered itself (unknown paths, handler failures caught by the guard). */
export const FALLBACK_HEADERS: ResponseHeaders = Object.freeze({
  'content-type': 'application/json',
  'cache-control': 'no-store',
});

export function sendJson(
  res: HttpResponse,
  status: number,
  body: unknown,
  headers: ResponseHeaders = API_HEADERS,
): void {
  res.send(status, headers, JSON.stringify(body));
}

/** `200 {}`, the answer to nearly every publish: nothing to serialise. */
export function sendEmptyObject(res: HttpResponse): void {
  res.send(200, API_HEADERS, '{}');
}

/**
 * What an error is answered with: a MawjlyError as itself, anything else as 500 `internal`.
 * `hideServerErrors`: a 5xx MawjlyError keeps its status but says only `internal` (the guard's rule
 * for failures no endpoint expected).
 */
export function errorReply(
  error: unknown,
  hideServerErrors = false,
): { status: number; code: string; message: string } {
  if (!(error instanceof MawjlyError))
    return { status: ERRORS.internal.httpStatus, code: 'internal', message: ERRORS.internal.message };
  if (hideServerErrors && error.httpStatus >= 500)
    return { status: error.httpStatus, code: 'internal', message: ERRORS.internal.message };
  return { status: error.httpStatus, code: error.code, message: error.message };
}

/**
 * Answers `error` in the catalogue's shape with `headers` (and `extra`, e.g. `Allow`). A response
 * already under way cannot carry it: the connection is cut, the only honest end.
 */
export function sendError(
  res: HttpResponse,
  error: unknown,
  headers: ResponseHeaders = API_HEADERS,
  extra?: ResponseHeaders,
  hideServerErrors = false,
): void {
  if (res.started || res.closed) {
    if (!res.closed) res.destroy();
    return;
  }
  const { status, code, message } = errorReply(error, hideServerErrors);
  res.send(status, extra ? { ...headers, ...extra } : headers, JSON.stringify({ error: { code, message } }));
}
