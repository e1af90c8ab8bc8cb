// A server-sent-events response with the bounded-buffer rule (the SSE twin of the WebSocket rule in
// core/session.ts): every write goes through `send`, which first compares the response's unsent
// bytes with the bound. Past it, nothing more is queued; the stream gets one final
// `event: error` (code `over_capacity`), is ended and its connection closed, or destroyed if the
// reader still has not taken it after a grace period. An EventSource then reconnects on its own.
import type { ServerResponse } from 'node:http';
import { ERRORS } from '../../protocol/errors.js';

/** How long an over-bound stream may take to flush its last bytes before the socket is destroyed. */
const END_GRACE_MS = 2_000;

export class SseStream {
  readonly #res: ServerResponse;
  readonly #maxBufferedBytes: number;
  readonly #onOverflow: (bufferedBytes: number) => void;
  #ended = false;

  constructor(res: ServerResponse, maxBufferedBytes: number, onOverflow: (bufferedBytes: number) => void) {
    this.#res = res;
    this.#maxBufferedBytes = maxBufferedBytes;
    this.#onOverflow = onOverflow;
    res.once('close', () => {
      this.#ended = true;
    });
  }

  get ended(): boolean {
    return this.#ended;
  }

  /** Queues one raw SSE block (`data: …\n\n`, a comment…); false once the stream is over. */
  send(block: string): boolean {
    if (this.#ended) return false;
    const buffered = this.#res.writableLength;
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
    this.#res.end(
      `event: error\ndata: ${JSON.stringify({ code: 'over_capacity', message: spec.message })}\n\n`,
    );
    const timer = setTimeout(() => {
      this.#res.destroy();
    }, END_GRACE_MS);
    timer.unref();
    // The connection goes too (no keep-alive for a reader that could not keep up). Taken now: the
    // response lets go of its socket when it finishes.
    const socket = this.#res.socket;
    this.#res.once('finish', () => {
      clearTimeout(timer);
      socket?.end();
    });
    this.#onOverflow(buffered);
  }
}
