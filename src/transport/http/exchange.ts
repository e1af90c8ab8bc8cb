// One HTTP request and its response, independent of the server library that carried them: the
// router and every endpoint are written against these two interfaces only, and each transport
// (node:http in ./node-exchange.ts, uWebSockets.js elsewhere) adapts its own objects to them.
//
// The shape follows the stricter of the two libraries, uWebSockets.js v20:
// - Everything about the request (method, target, headers, peer address) is copied by the adapter
//   before the handler returns; nothing here is lazily read from the library later.
// - The body is buffered by the adapter from the start (bounded by the adapter) and handed over with
//   one callback, never a stream and never a Promise per request (the REST publish is the hot path).
// - A response is written in one call in the common case; the streaming form (start/write/end) is
//   for server-sent events and large static files, with backpressure as `write() → false` followed
//   by `onWritable`. After the peer has gone (`aborted`) every call is a no-op.
// - There are no sockets, streams or IncomingMessage/ServerResponse objects in either interface.

/** Request headers by lower-case name; repeated headers joined as node:http joins them. */
export type RequestHeaders = Readonly<Record<string, string | undefined>>;

/**
 * Response headers. Names are written as given (HTTP names are case-insensitive). Never include
 * `Content-Length` or `Transfer-Encoding`: the adapter writes them from the body (or from the
 * length given to `start`).
 */
export type ResponseHeaders = Readonly<Record<string, string | number | readonly string[]>>;

export interface HttpRequest {
  /** The method as sent, upper-case (`GET`, `POST`, …). */
  readonly method: string;
  /** The raw request target of the request line (`/apps/1/events?auth_key=…`), not decoded. */
  readonly target: string;
  /** The target up to the first `?` (still percent-encoded, not normalised). */
  readonly path: string;
  /** The target after the first `?`, without it (`''` when there is none). */
  readonly query: string;
  readonly headers: RequestHeaders;
  /** The peer's IP address as text (the TCP peer; proxies are the endpoint's business). */
  readonly remoteAddress: string;
  /** Whether the request came over TLS on this server's own listener. */
  readonly secure: boolean;
  /**
   * Optional hint from an endpoint that reads no header after its handler returns (the REST API,
   * whose requests are signed by their query): an adapter that must copy headers out of its server
   * library may then skip it. Headers read before the handler returns are unaffected; reading them
   * afterwards may throw (an Error, answered 500 by the guard), never give an empty set silently.
   */
  ignoreHeaders?(): void;
  /**
   * The whole body, once: `done` is called exactly once, with the bytes, or with a MawjlyError
   * `body_too_large` (413) as soon as more than `maxBytes` arrived or were announced, or with the
   * error that broke the request. May be called after the handler returned (the adapter buffers).
   * A body that is never read is discarded by the adapter when the response ends.
   */
  readBody(maxBytes: number, done: (error: Error | undefined, body: Buffer) => void): void;
}

export interface HttpResponse {
  /** The peer went away (or the connection was cut) before the response ended: writes are ignored. */
  readonly aborted: boolean;
  /** The status line has been sent (by `send` or `start`). */
  readonly started: boolean;
  /** The response has ended normally or was aborted. */
  readonly closed: boolean;
  /**
   * The whole response in one call: status, headers and body. `Content-Length` is the body's length.
   * For a HEAD request the adapter sends that length and no body.
   */
  send(status: number, headers: ResponseHeaders, body?: string | Buffer): void;
  /**
   * Starts a streamed response. With `contentLength` the body is exactly that many bytes (a file);
   * without it, the length is open (chunked on HTTP/1.1: server-sent events). For a HEAD request
   * nothing after the headers is sent.
   */
  start(status: number, headers: ResponseHeaders, contentLength?: number): void;
  /**
   * Queues part of a streamed body. False when the transport could not take it all right away (it
   * is still queued): wait for `onWritable` before writing more.
   */
  write(chunk: string | Buffer): boolean;
  /** Bytes queued by `write` that the peer has not taken yet (as far as the transport tells). */
  readonly bufferedBytes: number;
  /** Calls `listener` once, when the queued bytes have drained after `write` returned false. */
  onWritable(listener: () => void): void;
  /**
   * Ends a streamed response, with an optional last chunk. `closeConnection`: close the connection
   * once it is sent instead of keeping it alive (a reader that could not keep up).
   */
  end(chunk?: string | Buffer, closeConnection?: boolean): void;
  /** Cuts the connection at once (a response that cannot be completed honestly). */
  destroy(): void;
  /** Calls `listener` once when the response ends or is aborted (at once if it already has). */
  onClose(listener: () => void): void;
}

/** What the router and every endpoint are: they answer `res`, possibly later (then with a Promise). */
export type ExchangeHandler = (req: HttpRequest, res: HttpResponse) => unknown;
