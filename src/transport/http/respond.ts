import type { ServerResponse } from 'node:http';
import { MawjlyError } from '../../protocol/errors.js';
import type { Logger } from '../../core/ports/logger.js';

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

const EMPTY_OBJECT_HEADERS = { 'content-type': 'application/json', 'content-length': 2 } as const;

/** `200 {}`, the answer to nearly every publish: nothing to serialise or measure. */
export function sendEmptyObject(res: ServerResponse): void {
  res.writeHead(200, EMPTY_OBJECT_HEADERS);
  res.end('{}');
}

/** Errors as `{"error":{"code","message"}}`; unexpected ones are logged and answered with 500. */
export function sendError(res: ServerResponse, error: unknown, logger: Logger): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  if (error instanceof MawjlyError) {
    sendJson(res, error.httpStatus, { error: { code: error.code, message: error.message } });
    return;
  }
  logger.error({ err: error }, 'unexpected error while handling an HTTP request');
  sendJson(res, 500, { error: { code: 'internal', message: 'Internal server error' } });
}
