// Request bodies as JSON, for every endpoint: the bytes come from the exchange (HttpRequest.readBody,
// bounded by the caller's limit), and the JSON through the shared depth limit.
import { MawjlyError } from '../../protocol/errors.js';
import { containsNulText, parseUntrustedJson } from '../../protocol/json.js';
import type { HttpRequest } from './exchange.js';

/** Parses a JSON object body; anything else (or JSON nested too deeply) is a 400 with a clear message. */
export function parseJsonObject(body: Buffer): Record<string, unknown> {
  const value = parseJsonBody(body.toString('utf8'));
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new MawjlyError('invalid_json', 'Request body must be a JSON object');
  }
  return value as Record<string, unknown>;
}

/** Any JSON request body, through the shared depth limit: `invalid_json` or `json_too_deep` (400). */
export function parseJsonBody(text: string): unknown {
  const parsed = parseUntrustedJson(text);
  if (parsed.ok) return parsed.value;
  throw new MawjlyError(parsed.reason === 'too_deep' ? 'json_too_deep' : 'invalid_json');
}

/**
 * The body as JSON for endpoints that may wait (the management API); `undefined` when empty. 413 past
 * `limit`, 400 on malformed or too deep JSON, 422 on text holding NUL (the stores cannot keep it).
 */
export function readJsonBody(req: HttpRequest, limit: number): Promise<unknown> {
  return new Promise((resolve, reject) => {
    req.readBody(limit, (error, body) => {
      if (error) {
        reject(error);
        return;
      }
      try {
        const text = body.toString('utf8');
        if (text.trim() === '') {
          resolve(undefined);
          return;
        }
        const value = parseJsonBody(text);
        // Everything here may reach the store, and PostgreSQL text cannot hold NUL: refuse it clearly.
        if (containsNulText(value))
          throw new MawjlyError('validation_failed', 'Text must not contain NUL characters (U+0000)');
        resolve(value);
      } catch (failure) {
        reject(failure instanceof Error ? failure : new Error(String(failure)));
      }
    });
  });
}

/** The body as a plain object (`{}` when empty); 400 for arrays, strings, numbers, null. */
export function asObject(body: unknown): Record<string, unknown> {
  if (body === undefined) return {};
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new MawjlyError('invalid_request', 'Request body must be a JSON object');
  }
  return body as Record<string, unknown>;
}
