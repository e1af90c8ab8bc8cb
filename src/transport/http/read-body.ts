import type { IncomingMessage } from 'node:http';
import { MawjlyError } from '../../protocol/errors.js';
import { parseUntrustedJson } from '../../protocol/json.js';

/**
 * Collects a request body up to `maxBytes` and calls `done` once; a larger body is refused with 413
 * without reading it all. Plain callbacks: the REST hot path needs no Promise per request.
 */
export function collectBody(
  req: IncomingMessage,
  maxBytes: number,
  done: (error: Error | undefined, body: Buffer) => void,
): void {
  let finished = false;
  const finish = (error: Error | undefined, body: Buffer): void => {
    if (finished) return;
    finished = true;
    done(error, body);
  };
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) {
    req.resume();
    finish(tooLarge(maxBytes), EMPTY);
    return;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  req.on('data', (chunk: Buffer) => {
    if (finished) return;
    size += chunk.length;
    if (size > maxBytes) finish(tooLarge(maxBytes), EMPTY);
    else chunks.push(chunk);
  });
  req.on('end', () => {
    finish(undefined, chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks));
  });
  req.on('error', (error) => {
    finish(error, EMPTY);
  });
}

const EMPTY = Buffer.alloc(0);

function tooLarge(maxBytes: number): MawjlyError {
  return new MawjlyError('body_too_large', `Request body too large (maximum ${maxBytes} bytes)`);
}

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
