// The uWebSockets.js adapter of the HTTP exchange (../http/exchange.ts), its request side; the
// response is uws-response.ts. uWS's request object is only valid until the handler returns, so
// what an endpoint may need later is copied before then (serveUwsExchange), and the body is
// buffered from the first byte (bounded).
import type { HttpRequest as UwsRequest, HttpResponse as UwsResponse } from 'uWebSockets.js';
import { MawjlyError } from '../../protocol/errors.js';
import type { HttpRequest, RequestHeaders } from '../http/exchange.js';
import { UwsHttpResponse, type AnswerHolder } from './uws-response.js';

/**
 * The most body bytes buffered before any endpoint says how many it accepts; more are counted, not
 * kept, so any endpoint limit up to this one still answers 413 correctly.
 */
export const MAX_BUFFERED_BODY_BYTES = 4 * 1024 * 1024;

const EMPTY = Buffer.alloc(0);

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
  holder?: AnswerHolder,
): void {
  const response = new UwsHttpResponse(res, holder);
  const request = new UwsHttpRequest(res, req, response, secure);
  response.head = request.method === 'HEAD';
  try {
    handler(request, response);
  } finally {
    request.detach();
  }
}

/** What reading the headers says after the request said it reads none and its handler returned. */
const LATE_HEADERS =
  'request headers read after the handler returned, by an endpoint that called ignoreHeaders()';

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
      // After detach without a copy (ignoreHeaders) nothing is left to read: an endpoint that broke
      // its promise fails loudly here rather than reading every header as absent.
      if (this.#req === undefined) throw new Error(LATE_HEADERS);
      this.#headers = copyHeaders(this.#req);
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
