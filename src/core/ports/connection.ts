/**
 * A message built once and sent to many sockets. Transports may cache their framed form on it
 * (`framed`), so framing happens once per event, not once per subscriber.
 */
export interface Outbound {
  readonly text: string;
  payload?: Buffer;
  framed?: Buffer;
}

/** The engine's view of one client socket; the transport implements it. */
export interface Connection {
  /** Sends one message to this socket only. */
  send(text: string): void;
  /** Sends a shared message (fan-out path). */
  sendShared(message: Outbound): void;
  /** Closes with a Pusher close code; idempotent. */
  close(code: number, reason: string): void;
  /** Bytes queued for this socket but not yet written to the kernel. */
  readonly bufferedBytes: number;
  /** Remote address, for logs only. */
  readonly remoteAddress: string;
}
