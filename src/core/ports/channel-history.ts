/**
 * Ciphertext history of channels (issue 11 §3): a bounded list per (app, channel) of the events sent
 * on it, each with a per-channel serial. For encrypted channels only ciphertext is ever kept. One
 * contract (test/contracts/channel-history-contract.ts) for the three engines: memory (a lone node),
 * Redis Streams (clustered on Redis) and NATS JetStream (clustered on NATS).
 *
 * Serials: positive integers, strictly increasing per channel in the order `append` resolved, the
 * same on every node that reads the channel. They need not be contiguous (an engine may number
 * from a wider sequence); what a reader relies on is order and `complete` below.
 */
export interface HistoryEvent {
  readonly serial: number;
  /** The event name (`my-event`, `client-typing`). */
  readonly event: string;
  /** The `data` string exactly as published (for encrypted channels: the envelope JSON). */
  readonly data: string;
  /** `user_id` of a client event on a presence channel, when the frame carried one. */
  readonly userId?: string;
  /** Epoch milliseconds when the event was appended. */
  readonly time: number;
}

/** How much a channel keeps; the older of the two bounds wins (whichever drops first). */
export interface HistoryRetention {
  readonly maxEvents: number;
  readonly maxAgeMs: number;
}

export interface HistoryRead {
  /** Events with serial > `since`, oldest first, at most `limit`. */
  readonly events: readonly HistoryEvent[];
  /**
   * True when nothing after `since` was lost to retention: every event published after `since`
   * that is still within what a reader may ask for is in `events` (or past `limit`, then `more`).
   * False means a gap ("cannot recover"): the caller must refetch its state another way.
   */
  readonly complete: boolean;
  /** True when `limit` cut the answer short; ask again with the last serial returned. */
  readonly more: boolean;
  /** The channel's latest serial (0 when it never had an event kept). */
  readonly lastSerial: number;
}

export interface ChannelHistory {
  /** `memory`, `redis` or `nats`: named in logs and `/ready`. */
  readonly kind: string;
  /** Appends one event, trims the channel to `retention`, resolves with the event's serial. */
  append(
    appId: string,
    channel: string,
    event: Omit<HistoryEvent, 'serial' | 'time'>,
    retention: HistoryRetention,
  ): Promise<number>;
  /** What came after `since` (0: from the oldest kept), under `retention` (ages out on read too). */
  read(
    appId: string,
    channel: string,
    since: number,
    limit: number,
    retention: HistoryRetention,
  ): Promise<HistoryRead>;
  /** Forgets every channel of an app (app deleted, or history switched off). */
  dropApp(appId: string): Promise<void>;
  close(): Promise<void>;
}
