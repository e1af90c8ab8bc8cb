// The uWebSockets.js adapter of the HTTP exchange (../http/exchange.ts), its response side; the
// request is uws-exchange.ts. uWS's response object is only valid until it ends or is aborted, so
// every write is corked (one syscall) and skipped once the peer is gone.
import { STATUS_CODES } from 'node:http';
import type { HttpResponse as UwsResponse } from 'uWebSockets.js';
import type { HttpResponse, ResponseHeaders } from '../http/exchange.js';

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

/** What may hold an answer back until the deliveries of its turn have left (UwsFanOut). */
export interface AnswerHolder {
  holdAnswer(send: () => void): boolean;
}

export class UwsHttpResponse implements HttpResponse {
  readonly #res: UwsResponse;
  readonly #holder: AnswerHolder | undefined;
  /** send() was called and its answer is held (holdAnswer). */
  #holding = false;
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

  constructor(res: UwsResponse, holder?: AnswerHolder) {
    this.#res = res;
    this.#holder = holder;
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
    if (this.#closed || this.#holding) return;
    this.#started = true;
    if (
      this.#holder?.holdAnswer(() => {
        this.#holding = false;
        try {
          this.#sendNow(status, headers, body);
        } catch (error) {
          // Not left hanging: the peer sees the connection end (the holder reports the error).
          this.destroy();
          throw error;
        }
      }) === true
    ) {
      this.#holding = true;
      return;
    }
    this.#sendNow(status, headers, body);
  }

  #sendNow(status: number, headers: ResponseHeaders, body?: string | Buffer): void {
    if (this.#closed) return;
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
    // After send(), as once it has ended: nothing more belongs to this response.
    if (this.#closed || this.#holding) return true;
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
    if (this.#closed || this.#holding) return;
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
