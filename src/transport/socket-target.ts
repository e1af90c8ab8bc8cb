// What both WebSocket transports (ws and uWebSockets.js) share about an upgrade to `/app/{key}`: the
// engine port they hand sessions to and the check of the path and protocol version. Kept apart from
// either transport so that loading one does not load the other's library.
import type { Realtime } from '../core/ports/realtime.js';
import type { ErrorCode } from '../protocol/errors.js';
import { SUPPORTED_PROTOCOL_VERSIONS } from '../protocol/events.js';

const APP_PATH = /^\/app\/([^/]+)$/;

/** What a gateway needs of the engine: sessions opened, fed and closed. */
export type SessionHost = Pick<Realtime, 'openSession' | 'handleMessage' | 'handleBinary' | 'closeSession'>;

export interface Target {
  /** The app key from `/app/{key}`, when the path has that shape. */
  readonly key: string | undefined;
  readonly problem: ErrorCode | undefined;
}

/** Undefined when the path is not under /app/ at all (plain 404, no WebSocket). */
export function parseTarget(url: URL): Target | undefined {
  if (!url.pathname.startsWith('/app/')) return undefined;
  const match = APP_PATH.exec(url.pathname);
  const protocol = url.searchParams.get('protocol');
  let problem: ErrorCode | undefined;
  if (!match) problem = 'path_not_found';
  else if (protocol === null) problem = 'no_protocol';
  else if (!/^\d+$/.test(protocol)) problem = 'invalid_version';
  else if (!SUPPORTED_PROTOCOL_VERSIONS.has(protocol)) problem = 'unsupported_protocol';
  return { key: match ? decodeKey(match[1] ?? '') : undefined, problem };
}

/** A malformed escape cannot name an app: keep the raw text, the engine answers app_not_found. */
function decodeKey(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
