// The uWebSockets.js adapter of the HTTP exchange (../http/exchange.ts). uWS's request object is only
// valid until the handler returns and its response object only until it ends or is aborted, so the
// request is copied at once, the body is buffered from the first byte (bounded), and every write is
// corked (one syscall) and skipped once the peer is gone.
import { STATUS_CODES } from 'node:http';
import type { HttpRequest as UwsRequest, HttpResponse as UwsResponse } from 'uWebSockets.js';
import { MawjlyError } from '../../protocol/errors.js';
import type { HttpRequest, HttpResponse, RequestHeaders, ResponseHeaders } from '../http/exchange.js';

/**
 * The most body bytes buffered before any endpoint says how many it accepts; more are counted, not
 * kept, so any endpoint limit up to this one still answers 413 correctly.
 */
export const MAX_BUFFERED_BODY_BYTES = 4 * 1024 * 1024;

const EMPTY = Buffer.alloc(0);
const STATUS_LINES = new Map<number, string>();

function statusLine(status: number): string {
  let line = STATUS_LINES.get(status);
  if (line === undefined) {
    line = `${status} ${STATUS_CODES[status] ?? 'Unknown'}`;
    STATUS_LINES.set(status, line);
  }
  return line;
}

/** uWS's lower-case method, upper-case: the common ones without converting a string per request. */
function methodOf(req: UwsRequest): string {
  switch (req.getMethod()) {
    case 'post':
      return 'POST';
    case 'get':
      return 'GET';
    default:
      return req.getCaseSensitiveMethod().toUpperCase();
  }
}

function tooLarge(maxBytes: number): MawjlyError {
  return new MawjlyError('body_too_large', `Request body too large (maximum ${maxBytes} bytes)`);
}

/**
 * Serves one uWS request through `handler`: copies what the handler may need later out of uWS's
 * short-lived request object, which dies when this returns.
 */
export function serveUwsExchange(
  res: UwsResponse,
  req: UwsRequest,
  secure: boolean,
  handler: (request: UwsHttpRequest, response: UwsHttpResponse) => void,
): void {
  const response = new UwsHttpResponse(res);
  const request = new UwsHttpRequest(res, req, response, secure);
  response.head = request.method === 'HEAD';
  try {
    handler(request, response);
  } finally {
    request.detach();
  }
}

const NO_HEADERS: RequestHeaders = Object.freeze(Object.create(null) as Record<string, string>);

/**
 * Every header of the request, by lower-case name, repeated ones joined as node:http joins them.
 * Null prototype, so that headers are data only: with `{}`, a request header named `constructor`
 * read Object.prototype's member as an earlier value of the same name and came out as
 * "function Object() { [native code] }, a". V8 also keeps such objects in dictionary mode: every
 * request's headers share one map, whatever names and order a client sends, and code reading them
 * is not deoptimized by each new client's shape (seen with --trace-deopt after the warm-up).
 */
function copyHeaders(req: UwsRequest): RequestHeaders {
  const headers = Object.create(null) as Record<string, string>;
  req.forEach((key, value) => {
    const seen = headers[key];
    headers[key] = seen === undefined ? value : `${seen}${key === 'cookie' ? '; ' : ', '}${value}`;
  });
  return headers;
}

export class UwsHttpRequest implements HttpRequest {
  readonly method: string;
  readonly path: string;
  readonly query: string;
  readonly secure: boolean;
  readonly #res: UwsResponse;
  readonly #response: UwsHttpResponse;
  /** uWS's request: valid only until its handler returns (detach). */
  #req: UwsRequest | undefined;
  #headers: RequestHeaders | undefined;
  #headersIgnored = false;
  /** The Content-Length header as sent ('' when absent). */
  readonly #declaredLength: string;
  #remoteAddress: string | undefined;
  /** The body so far; made at the first chunk (most requests have none, or one). */
  #chunks: Buffer[] | undefined;
  #size = 0;
  #complete = false;
  #error: Error | undefined;
  #waiter: { maxBytes: number; done: (error: Error | undefined, body: Buffer) => void } | undefined;
  #delivered = false;

  constructor(res: UwsResponse, req: UwsRequest, response: UwsHttpResponse, secure: boolean) {
    this.method = methodOf(req);
    this.path = req.getUrl();
    // uWS gives undefined, not '', for a target without `?` (its typings say string).
    const query = req.getQuery() as unknown;
    this.query = typeof query === 'string' ? query : '';
    this.#req = req;
    this.#res = res;
    this.#response = response;
    this.secure = secure;
    // The two headers the body depends on, asked for by name: the others are copied only if an
    // endpoint may read them (detach), which the REST API does not.
    this.#declaredLength = req.getHeader('content-length');
    const hasBody =
      (this.#declaredLength !== '' && this.#declaredLength !== '0') ||
      req.getHeader('transfer-encoding') !== '';
    if (!hasBody) {
      this.#complete = true;
      return;
    }
    res.onData((chunk, isLast) => {
      this.#take(chunk, isLast);
    });
    response.onClose(() => {
      if (!this.#complete) this.#fail(new Error('the request was aborted'));
    });
  }

  get headers(): RequestHeaders {
    if (this.#headers === undefined) {
      // After detach without a copy (ignoreHeaders), nothing is left to read.
      this.#headers = this.#req === undefined ? NO_HEADERS : copyHeaders(this.#req);
    }
    return this.#headers;
  }

  ignoreHeaders(): void {
    this.#headersIgnored = true;
  }

  /**
   * Called when uWS's handler returns, after which its request object must not be touched: the
   * headers are copied now unless the endpoint said it reads none.
   */
  detach(): void {
    if (this.#req === undefined) return;
    if (this.#headers === undefined && !this.#headersIgnored) this.#headers = copyHeaders(this.#req);
    this.#req = undefined;
  }

  /** Joined on first use: the REST API reads path and query, only other routes the whole target. */
  get target(): string {
    return this.query === '' ? this.path : `${this.path}?${this.query}`;
  }

  /**
   * Read on first use: uWS hands it over as a fresh ArrayBuffer (about 1 us, as much as the rest of
   * this copy), and only the login route wants it. uWS's response can no longer be asked once it has
   * ended or was aborted: the address is then '' (as node:http's socket gives for a closed
   * connection it was not asked about before).
   */
  get remoteAddress(): string {
    if (this.#remoteAddress === undefined) {
      if (this.#response.closed) return '';
      this.#remoteAddress = Buffer.from(this.#res.getRemoteAddressAsText()).toString('latin1');
    }
    return this.#remoteAddress;
  }

  #take(chunk: ArrayBuffer, isLast: boolean): void {
    // uWS reuses the chunk's memory once this callback returns: copy what is kept.
    this.#size += chunk.byteLength;
    if (this.#size <= MAX_BUFFERED_BODY_BYTES && chunk.byteLength > 0)
      (this.#chunks ??= []).push(Buffer.from(Buffer.from(chunk)));
    else if (this.#size > MAX_BUFFERED_BODY_BYTES) this.#chunks = undefined;
    if (isLast) this.#complete = true;
    this.#settle();
  }

  #fail(error: Error): void {
    this.#error ??= error;
    this.#complete = true;
    this.#settle();
  }

  readBody(maxBytes: number, done: (error: Error | undefined, body: Buffer) => void): void {
    if (this.#waiter || this.#delivered) throw new Error('the request body was already read');
    this.#waiter = { maxBytes, done };
    const declared = this.#declaredLength === '' ? NaN : Number(this.#declaredLength);
    if (Number.isFinite(declared) && declared > maxBytes) {
      this.#deliver(tooLarge(maxBytes), EMPTY);
      return;
    }
    this.#settle();
  }

  #settle(): void {
    const waiter = this.#waiter;
    if (!waiter || this.#delivered) return;
    if (this.#size > waiter.maxBytes || this.#size > MAX_BUFFERED_BODY_BYTES) {
      this.#deliver(tooLarge(Math.min(waiter.maxBytes, MAX_BUFFERED_BODY_BYTES)), EMPTY);
      return;
    }
    if (!this.#complete) return;
    if (this.#error) {
      this.#deliver(this.#error, EMPTY);
      return;
    }
    const chunks = this.#chunks;
    this.#deliver(
      undefined,
      chunks === undefined ? EMPTY : chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks),
    );
  }

  #deliver(error: Error | undefined, body: Buffer): void {
    const waiter = this.#waiter;
    if (!waiter || this.#delivered) return;
    this.#delivered = true;
    this.#chunks = undefined;
    waiter.done(error, body);
  }
}

export class UwsHttpResponse implements HttpResponse {
  readonly #res: UwsResponse;
  #aborted = false;
  #started = false;
  #closed = false;
  #head = false;
  /** Streamed body of known length: uWS would add chunked encoding to write(), so it is sent at end(). */
  #fixed: Buffer[] | undefined;
  #fixedLength = 0;
  /** Bytes written since write() last reported backpressure (a lower bound of what is queued). */
  #pending = 0;
  /** Listeners, made when the first one is added (most responses get none, or one). */
  #writable: (() => void)[] | undefined;
  #closeListeners: (() => void)[] | undefined;

  constructor(res: UwsResponse) {
    this.#res = res;
    res.onAborted(() => {
      if (this.#closed) return;
      this.#aborted = true;
      this.#finish();
    });
  }

  /** @internal Set by the server for HEAD requests: status and headers only. */
  set head(value: boolean) {
    this.#head = value;
  }

  get aborted(): boolean {
    return this.#aborted;
  }

  get started(): boolean {
    return this.#started;
  }

  get closed(): boolean {
    return this.#closed;
  }

  get bufferedBytes(): number {
    return this.#pending;
  }

  send(status: number, headers: ResponseHeaders, body?: string | Buffer): void {
    if (this.#closed) return;
    this.#started = true;
    const res = this.#res;
    res.cork(() => {
      this.#writeHead(status, headers);
      if (this.#head)
        res.endWithoutBody(
          body === undefined ? 0 : typeof body === 'string' ? Buffer.byteLength(body) : body.length,
        );
      else res.end(body ?? EMPTY);
    });
    this.#finish();
  }

  start(status: number, headers: ResponseHeaders, contentLength?: number): void {
    if (this.#closed || this.#started) return;
    this.#started = true;
    if (contentLength !== undefined) {
      // Written with the body at end(): uWS sets Content-Length from the body it is given.
      this.#fixed = [];
      this.#fixedLength = contentLength;
      this.#fixedStatus = status;
      this.#fixedHeaders = headers;
      return;
    }
    this.#res.cork(() => {
      this.#writeHead(status, headers);
      // The headers leave now (an event stream's client waits for them); uWS adds chunked encoding.
      if (!this.#head) this.#res.write(EMPTY);
    });
  }

  #fixedStatus = 200;
  #fixedHeaders: ResponseHeaders = {};

  write(chunk: string | Buffer): boolean {
    if (this.#closed) return true;
    if (this.#fixed) {
      this.#fixed.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
      return true;
    }
    if (this.#head) return true;
    const ok = this.#corkedWrite(chunk);
    if (ok && this.#pending === 0) return true;
    const first = this.#pending === 0;
    this.#pending += typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.length;
    if (first) this.#armWritable();
    return false;
  }

  #corkedWrite(chunk: string | Buffer): boolean {
    const res = this.#res;
    let ok = true;
    res.cork(() => {
      ok = res.write(chunk);
    });
    return ok;
  }

  #armWritable(): void {
    this.#res.onWritable(() => {
      this.#pending = 0;
      const listeners = this.#writable;
      this.#writable = undefined;
      if (listeners) for (const listener of listeners) listener();
      return true;
    });
  }

  onWritable(listener: () => void): void {
    if (this.#closed) return;
    if (this.#pending === 0) {
      listener();
      return;
    }
    (this.#writable ??= []).push(listener);
  }

  end(chunk?: string | Buffer, closeConnection = false): void {
    if (this.#closed) return;
    const res = this.#res;
    res.cork(() => {
      if (this.#fixed) {
        if (chunk !== undefined) this.#fixed.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
        this.#writeHead(this.#fixedStatus, this.#fixedHeaders);
        if (this.#head) res.endWithoutBody(this.#fixedLength, closeConnection);
        else res.end(Buffer.concat(this.#fixed), closeConnection);
        return;
      }
      if (!this.#started) {
        this.#writeHead(200, {});
        this.#started = true;
      }
      if (this.#head) res.endWithoutBody(0, closeConnection);
      else res.end(chunk ?? EMPTY, closeConnection);
    });
    this.#finish();
  }

  destroy(): void {
    if (this.#closed) return;
    this.#aborted = true;
    this.#res.close();
    this.#finish();
  }

  onClose(listener: () => void): void {
    if (this.#closed) listener();
    else (this.#closeListeners ??= []).push(listener);
  }

  #writeHead(status: number, headers: ResponseHeaders): void {
    const res = this.#res;
    // uWS writes `200 OK` itself when no status was written: one native call less per publish.
    if (status !== 200) res.writeStatus(statusLine(status));
    // Strings, not Buffers made once: handing uWS a Buffer per header (and for the `{}` body) cost
    // 6 % of REST publishes per second in paired runs (docs/benchmarks.md).
    for (const name in headers) {
      const value = headers[name];
      if (value === undefined) continue;
      if (typeof value === 'object') for (const item of value) res.writeHeader(name, item);
      else res.writeHeader(name, typeof value === 'number' ? String(value) : value);
    }
  }

  #finish(): void {
    this.#closed = true;
    this.#fixed = undefined;
    const listeners = this.#closeListeners;
    this.#closeListeners = undefined;
    if (listeners) for (const listener of listeners) listener();
  }
}
