// Request/response plumbing of the management API: bounded JSON bodies, JSON replies, the error shape.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { MawjlyError } from '../../../protocol/errors.js';
import { containsNulText } from '../../../protocol/json.js';
import { parseJsonBody } from '../read-body.js';

export const DEFAULT_MAX_BODY_BYTES = 64 * 1024;

/** Reads the body as JSON; `undefined` when empty. 413 past `limit`, 400 on malformed or too deep JSON. */
export async function readJsonBody(req: IncomingMessage, limit: number): Promise<unknown> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) {
    req.resume();
    throw new MawjlyError('body_too_large', `Request body too large (maximum ${limit} bytes)`);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) {
      req.resume();
      throw new MawjlyError('body_too_large', `Request body too large (maximum ${limit} bytes)`);
    }
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') return undefined;
  const value = parseJsonBody(text);
  // Everything here may reach the store, and PostgreSQL text cannot hold NUL: refuse it clearly.
  if (containsNulText(value))
    throw new MawjlyError('validation_failed', 'Text must not contain NUL characters (U+0000)');
  return value;
}

/** The body as a plain object (`{}` when empty); 400 for arrays, strings, numbers, null. */
export function asObject(body: unknown): Record<string, unknown> {
  if (body === undefined) return {};
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new MawjlyError('invalid_request', 'Request body must be a JSON object');
  }
  return body as Record<string, unknown>;
}

const BASE_HEADERS = {
  // Management responses are per-user and often carry secrets: never cached anywhere.
  'Cache-Control': 'no-store',
  'X-Content-Type-Options': 'nosniff',
} as const;

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Readonly<Record<string, string | string[]>> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    ...BASE_HEADERS,
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

export function sendEmpty(
  res: ServerResponse,
  status: number,
  headers: Readonly<Record<string, string | string[]>> = {},
): void {
  res.writeHead(status, { ...BASE_HEADERS, ...headers });
  res.end();
}

export function sendError(
  res: ServerResponse,
  error: MawjlyError,
  headers: Readonly<Record<string, string>> = {},
): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  sendJson(res, error.httpStatus, { error: { code: error.code, message: error.message } }, headers);
}

export function streamHeaders(): Record<string, string> {
  return {
    ...BASE_HEADERS,
    'Content-Type': 'text/event-stream; charset=utf-8',
    Connection: 'keep-alive',
    'X-Accel-Buffering': 'no',
  };
}
