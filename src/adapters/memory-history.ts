// The lone node's channel history (issue 11 §3): events kept in this process, bounded per channel by
// the app's retention and overall by `maxBytes`. Nothing survives a restart; the cluster engines
// (Redis Streams, NATS JetStream) keep history where every node can read it.
//
// Serials come from one generator for the whole process, `max(last + 1, now_ms × 1000)`: strictly
// increasing per channel (the port allows gaps), and carrying the time they were issued, so a
// reader's `since` tells how old its last event is even when the channel's record has gone.
import type {
  ChannelHistory,
  HistoryEvent,
  HistoryRead,
  HistoryRetention,
} from '../core/ports/channel-history.js';
import { systemClock, type Clock } from '../core/ports/clock.js';

/** Serials per millisecond: serial / SERIAL_SCALE is (at least) the issue time in epoch ms. */
const SERIAL_SCALE = 1000;
/** Fixed cost counted per kept event besides its strings (object, array slot). */
const EVENT_OVERHEAD_BYTES = 96;

interface ChannelRecord {
  readonly appId: string;
  events: HistoryEvent[];
  /** Index of the oldest kept event in `events` (dropping from the front without shifting). */
  head: number;
  bytes: number;
  lastSerial: number;
  /** Highest serial dropped by retention or the byte bound; 0 when none was. */
  trimmedThrough: number;
  /** Serials at or below this were issued before the record existed: what followed them is unknown. */
  readonly createdAfter: number;
  /** The longest retention an append asked for: how long an emptied record stays meaningful. */
  maxAgeMs: number;
  lastAppendMs: number;
}

export interface MemoryHistoryOptions {
  readonly clock?: Clock;
  /** Upper bound of the bytes kept for all apps; past it the least recently written channels lose their oldest events. */
  readonly maxBytes?: number;
}

export const DEFAULT_MEMORY_HISTORY_BYTES = 256 * 1024 * 1024;

export class MemoryChannelHistory implements ChannelHistory {
  readonly kind = 'memory';
  readonly #clock: Clock;
  readonly #maxBytes: number;
  /** Keyed by app id and channel; insertion order is least recently appended first. */
  readonly #channels = new Map<string, ChannelRecord>();
  #bytes = 0;
  #lastSerial = 0;
  #lastSweepMs = 0;

  constructor(options: MemoryHistoryOptions = {}) {
    this.#clock = options.clock ?? systemClock;
    this.#maxBytes = options.maxBytes ?? DEFAULT_MEMORY_HISTORY_BYTES;
  }

  /** Bytes currently counted against `maxBytes` (tests, metrics). */
  get bytes(): number {
    return this.#bytes;
  }

  append(
    appId: string,
    channel: string,
    event: Omit<HistoryEvent, 'serial' | 'time'>,
    retention: HistoryRetention,
  ): Promise<number> {
    // Stored before the promise is returned: a read issued after `append` returns already sees it.
    const now = this.#clock.now();
    const key = keyOf(appId, channel);
    let record = this.#channels.get(key);
    if (record) this.#channels.delete(key);
    else record = this.#newRecord(appId, now);
    this.#channels.set(key, record); // now the most recently appended
    const serial = Math.max(this.#lastSerial + 1, now * SERIAL_SCALE);
    this.#lastSerial = serial;
    const kept: HistoryEvent = {
      serial,
      event: event.event,
      data: event.data,
      time: now,
      ...(event.userId === undefined ? {} : { userId: event.userId }),
    };
    record.events.push(kept);
    const size = sizeOf(kept);
    record.bytes += size;
    this.#bytes += size;
    record.lastSerial = serial;
    record.lastAppendMs = now;
    record.maxAgeMs = Math.max(record.maxAgeMs, retention.maxAgeMs);
    trim(record, retention, now, this);
    if (this.#bytes > this.#maxBytes) this.#evictForBytes();
    if (now - this.#lastSweepMs > 10_000) this.#sweep(now);
    return Promise.resolve(serial);
  }

  read(
    appId: string,
    channel: string,
    since: number,
    limit: number,
    retention: HistoryRetention,
  ): Promise<HistoryRead> {
    const now = this.#clock.now();
    const record = this.#channels.get(keyOf(appId, channel));
    if (!record) {
      // Nothing kept: nothing was published within the retention window, so a reader whose last
      // event is younger than the window missed nothing; an older one cannot be vouched for.
      const complete = since === 0 || since / SERIAL_SCALE >= now - retention.maxAgeMs;
      return Promise.resolve({ events: [], complete, more: false, lastSerial: 0 });
    }
    trim(record, retention, now, this);
    const events: HistoryEvent[] = [];
    let more = false;
    const all = record.events;
    // Binary search for the first kept event after `since`.
    let lo = record.head;
    let hi = all.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((all[mid] as HistoryEvent).serial <= since) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo; i < all.length; i++) {
      if (events.length >= limit) {
        more = true;
        break;
      }
      events.push(all[i] as HistoryEvent);
    }
    return Promise.resolve({
      events,
      complete:
        since === 0
          ? record.trimmedThrough === 0
          : since >= Math.max(record.trimmedThrough, record.createdAfter),
      more,
      lastSerial: record.lastSerial,
    });
  }

  dropApp(appId: string): Promise<void> {
    for (const [key, record] of this.#channels) {
      if (record.appId !== appId) continue;
      this.#bytes -= record.bytes;
      this.#channels.delete(key);
    }
    return Promise.resolve();
  }

  close(): Promise<void> {
    this.#channels.clear();
    this.#bytes = 0;
    return Promise.resolve();
  }

  /** @internal called by trim() for the bytes it releases. */
  released(bytes: number): void {
    this.#bytes -= bytes;
  }

  #newRecord(appId: string, now: number): ChannelRecord {
    // Whatever came before this record is unknown (never published, or aged out and forgotten).
    return {
      appId,
      events: [],
      head: 0,
      bytes: 0,
      lastSerial: 0,
      trimmedThrough: 0,
      createdAfter: Math.max(this.#lastSerial, now * SERIAL_SCALE - 1),
      maxAgeMs: 0,
      lastAppendMs: now,
    };
  }

  /** Drops oldest events of the least recently written channels until under the byte bound. */
  #evictForBytes(): void {
    for (const record of this.#channels.values()) {
      while (record.head < record.events.length && this.#bytes > this.#maxBytes) dropOldest(record, this);
      compact(record);
      if (this.#bytes <= this.#maxBytes) return;
    }
  }

  /** Forgets channels whose every event is past the longest retention they were written with. */
  #sweep(now: number): void {
    this.#lastSweepMs = now;
    for (const [key, record] of this.#channels) {
      if (now - record.lastAppendMs <= record.maxAgeMs) continue;
      this.#bytes -= record.bytes;
      this.#channels.delete(key);
    }
  }
}

function keyOf(appId: string, channel: string): string {
  return `${appId}\n${channel}`;
}

function sizeOf(event: HistoryEvent): number {
  return EVENT_OVERHEAD_BYTES + 2 * (event.event.length + event.data.length + (event.userId?.length ?? 0));
}

function dropOldest(record: ChannelRecord, owner: MemoryChannelHistory): void {
  const oldest = record.events[record.head] as HistoryEvent;
  record.events[record.head] = undefined as unknown as HistoryEvent;
  record.head++;
  const size = sizeOf(oldest);
  record.bytes -= size;
  owner.released(size);
  record.trimmedThrough = Math.max(record.trimmedThrough, oldest.serial);
}

function trim(
  record: ChannelRecord,
  retention: HistoryRetention,
  now: number,
  owner: MemoryChannelHistory,
): void {
  const cutoff = now - retention.maxAgeMs;
  while (record.head < record.events.length) {
    const kept = record.events.length - record.head;
    const oldest = record.events[record.head] as HistoryEvent;
    if (kept <= retention.maxEvents && oldest.time >= cutoff) break;
    dropOldest(record, owner);
  }
  compact(record);
}

/** Reclaims the dropped front of the array once it is half of it. */
function compact(record: ChannelRecord): void {
  if (record.head > 32 && record.head * 2 >= record.events.length) {
    record.events = record.events.slice(record.head);
    record.head = 0;
  }
}
