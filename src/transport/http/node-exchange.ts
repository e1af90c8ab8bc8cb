// The node:http / node:https adapter of the HTTP exchange (./exchange.ts): wraps each request and
// response in the neutral interfaces and hands them to one handler (the router).
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { MawjlyError } from '../../protocol/errors.js';
import type {
  ExchangeHandler,
  HttpRequest,
  HttpResponse,
  RequestHeaders,
  ResponseHeaders,
} from './exchange.js';

/** A `request` listener for a node:http(s) server that serves every request through `handler`. */
export function nodeRequestListener(
  handler: ExchangeHandler,
): (req: IncomingMessage, res: ServerResponse) => unknown {
  return (req, res) => {
    const response = new NodeResponse(req, res);
    return handler(new NodeRequest(req, response), response);
  };
}

class NodeRequest implements HttpRequest {
  readonly method: string;
  readonly target: string;
  readonly headers: RequestHeaders;
  readonly #req: IncomingMessage;
  readonly #res: NodeResponse;
  #query = -2;

  constructor(req: IncomingMessage, res: NodeResponse) {
    this.#req = req;
    this.#res = res;
    this.method = req.method ?? 'GET';
    this.target = req.url ?? '/';
    // node:http joins repeated request headers (cookies with `; `); only set-cookie is an array.
    this.headers = req.headers as RequestHeaders;
  }

  get path(): string {
    const q = this.#queryIndex();
    return q === -1 ? this.target : this.target.slice(0, q);
  }

  get query(): string {
    const q = this.#queryIndex();
    return q === -1 ? '' : this.target.slice(q + 1);
  }

  get remoteAddress(): string {
    return this.#req.socket.remoteAddress ?? '';
  }

  get secure(): boolean {
    return (this.#req.socket as Partial<TLSSocket>).encrypted === true;
  }

  #queryIndex(): number {
    if (this.#query === -2) this.#query = this.target.indexOf('?');
    return this.#query;
  }

  readBody(maxBytes: number, done: (error: Error | undefined, body: Buffer) => void): void {
    const req = this.#req;
    this.#res.bodyTaken = true;
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
}

const EMPTY = Buffer.alloc(0);

function tooLarge(maxBytes: number): MawjlyError {
  return new MawjlyError('body_too_large', `Request body too large (maximum ${maxBytes} bytes)`);
}

class NodeResponse implements HttpResponse {
  /** Set once the endpoint reads the body; an unread one is drained when the response ends. */
  bodyTaken = false;
  readonly #req: IncomingMessage;
  readonly #res: ServerResponse;
  #closed = false;
  #aborted = false;

  constructor(req: IncomingMessage, res: ServerResponse) {
    this.#req = req;
    this.#res = res;
    res.once('close', () => {
      this.#closed = true;
      if (!res.writableFinished) this.#aborted = true;
    });
  }

  get aborted(): boolean {
    return this.#aborted;
  }

  get started(): boolean {
    return this.#res.headersSent;
  }

  get closed(): boolean {
    return this.#closed || this.#res.writableEnded;
  }

  get bufferedBytes(): number {
    return this.#res.writableLength;
  }

  send(status: number, headers: ResponseHeaders, body?: string | Buffer): void {
    if (this.closed) return;
    const length = body === undefined ? 0 : typeof body === 'string' ? Buffer.byteLength(body) : body.length;
    this.#res.writeHead(status, { ...headers, 'content-length': length } as Record<string, string | number>);
    // node:http sends no body for HEAD by itself.
    this.#res.end(body);
    this.#drainUnread();
  }

  start(status: number, headers: ResponseHeaders, contentLength?: number): void {
    if (this.closed) return;
    const all = (
      contentLength === undefined ? headers : { ...headers, 'content-length': contentLength }
    ) as Record<string, string | number>;
    this.#res.writeHead(status, all);
  }

  write(chunk: string | Buffer): boolean {
    if (this.closed) return true;
    return this.#res.write(chunk);
  }

  onWritable(listener: () => void): void {
    this.#res.once('drain', listener);
  }

  end(chunk?: string | Buffer, closeConnection = false): void {
    if (this.closed) return;
    if (closeConnection) {
      // Taken now: the response lets go of its socket when it finishes.
      const socket = this.#res.socket;
      this.#res.once('finish', () => socket?.end());
    }
    this.#res.end(chunk);
    this.#drainUnread();
  }

  destroy(): void {
    this.#res.destroy();
  }

  onClose(listener: () => void): void {
    if (this.#closed) listener();
    else this.#res.once('close', listener);
  }

  #drainUnread(): void {
    if (!this.bodyTaken && !this.#req.complete) this.#req.resume();
  }
}
