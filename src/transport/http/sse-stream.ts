// A server-sent-events response with the bounded-buffer rule (the SSE twin of the WebSocket rule in
// core/session.ts): every write goes through `send`, which first compares the response's unsent
// bytes with the bound. Past it, nothing more is queued; the stream gets one final
// `event: error` (code `over_capacity`), is ended and its connection closed, or destroyed if the
// reader still has not taken it after a grace period. An EventSource then reconnects on its own.
import { ERRORS } from '../../protocol/errors.js';
import type { HttpResponse, ResponseHeaders } from './exchange.js';
import { PRIVATE_HEADERS } from './respond.js';

/** How long an over-bound stream may take to flush its last bytes before the socket is destroyed. */
const END_GRACE_MS = 2_000;

/** Headers of an event stream (per-user, like every management response). */
export const SSE_HEADERS: ResponseHeaders = Object.freeze({
  ...PRIVATE_HEADERS,
  'Content-Type': 'text/event-stream; charset=utf-8',
  Connection: 'keep-alive',
  'X-Accel-Buffering': 'no',
});

export class SseStream {
  readonly #res: HttpResponse;
  readonly #maxBufferedBytes: number;
  readonly #onOverflow: (bufferedBytes: number) => void;
  #ended = false;

  /** Starts the stream (status 200 and SSE_HEADERS) on `res`. */
  constructor(res: HttpResponse, maxBufferedBytes: number, onOverflow: (bufferedBytes: number) => void) {
    this.#res = res;
    this.#maxBufferedBytes = maxBufferedBytes;
    this.#onOverflow = onOverflow;
    res.start(200, SSE_HEADERS);
    res.onClose(() => {
      this.#ended = true;
    });
  }

  get ended(): boolean {
    return this.#ended;
  }

  /** Queues one raw SSE block (`data: …\n\n`, a comment…); false once the stream is over. */
  send(block: string): boolean {
    if (this.#ended) return false;
    const buffered = this.#res.bufferedBytes;
    if (buffered > this.#maxBufferedBytes) {
      this.#overflow(buffered);
      return false;
    }
    this.#res.write(block);
    return true;
  }

  /** Ends the stream normally (nothing more will be sent). */
  end(): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#res.end();
  }

  #overflow(buffered: number): void {
    this.#ended = true;
    const spec = ERRORS.over_capacity;
    const res = this.#res;
    // The connection goes too (no keep-alive for a reader that could not keep up).
    res.end(
      `event: error\ndata: ${JSON.stringify({ code: 'over_capacity', message: spec.message })}\n\n`,
      true,
    );
    const timer = setTimeout(() => {
      res.destroy();
    }, END_GRACE_MS);
    timer.unref();
    res.onClose(() => {
      clearTimeout(timer);
    });
    this.#onOverflow(buffered);
  }
}
