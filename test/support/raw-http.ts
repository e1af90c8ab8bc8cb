// Exactly the bytes given, over a plain TCP socket (node:net): for request lines, targets and headers
// that fetch() and http.request() refuse to send.
import { connect } from 'node:net';

export interface RawHttpResponse {
  /** Status code of the first response line; undefined when nothing (or no HTTP) came back. */
  readonly status: number | undefined;
  /** Status line and headers. */
  readonly head: string;
  readonly body: string;
  /** True when the deadline passed before a complete response or a close. */
  readonly timedOut: boolean;
}

/**
 * Sends `request` and reads one response: until its Content-Length (or a chunked body's last chunk)
 * is complete, the server closes, or `timeoutMs` passes. With `halfClose` (default) the socket's
 * writing side is ended after the request, so a truncated request is answered rather than awaited;
 * upgrades need it off (ws refuses a half-closed socket).
 */
export function rawHttp(
  port: number,
  request: string | Buffer,
  options: { timeoutMs?: number; halfClose?: boolean; host?: string } = {},
): Promise<RawHttpResponse> {
  const { timeoutMs = 5000, halfClose = true, host = '127.0.0.1' } = options;
  return new Promise((resolve) => {
    const socket = connect(port, host);
    const chunks: Buffer[] = [];
    let settled = false;
    const finish = (timedOut: boolean): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ ...parse(Buffer.concat(chunks).toString('latin1')), timedOut });
    };
    const timer = setTimeout(() => {
      finish(true);
    }, timeoutMs);
    socket.on('connect', () => {
      socket.write(request);
      if (halfClose) socket.end();
    });
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      if (complete(Buffer.concat(chunks).toString('latin1'))) finish(false);
    });
    socket.on('error', () => {
      finish(false);
    });
    socket.on('close', () => {
      finish(false);
    });
  });
}

/** The final response's head and body: interim `100 Continue` responses are skipped. */
function split(text: string): { head: string; body: string } | undefined {
  let rest = text;
  for (;;) {
    const end = rest.indexOf('\r\n\r\n');
    if (end === -1) return undefined;
    const head = rest.slice(0, end);
    if (!/^HTTP\/1\.[01] 1(?!01)\d\d/.test(head)) return { head, body: rest.slice(end + 4) };
    rest = rest.slice(end + 4);
  }
}

function complete(text: string): boolean {
  const parts = split(text);
  if (!parts) return false;
  const status = /^HTTP\/1\.[01] (\d{3})/.exec(parts.head)?.[1];
  if (status === '101' || status === '204' || status === '304') return true;
  const length = /\r\ncontent-length: *(\d+)/i.exec(parts.head)?.[1];
  if (length !== undefined) return Buffer.byteLength(parts.body, 'latin1') >= Number(length);
  if (/\r\ntransfer-encoding: *chunked/i.test(parts.head)) return parts.body.endsWith('0\r\n\r\n');
  return false;
}

function parse(text: string): Omit<RawHttpResponse, 'timedOut'> {
  const parts = split(text) ?? { head: text, body: '' };
  const status = /^HTTP\/1\.[01] (\d{3})/.exec(parts.head)?.[1];
  return { status: status === undefined ? undefined : Number(status), head: parts.head, body: parts.body };
}
