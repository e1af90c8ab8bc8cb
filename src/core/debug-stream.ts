import type { Clock } from './ports/clock.js';
import type { DebugEvent } from './ports/realtime-view.js';

/** How many recent events the debug console replays per app. */
export const DEBUG_BACKLOG_EVENTS = 100;
/** How many apps keep a backlog at once (least recently active dropped first). */
export const DEBUG_BACKLOG_APPS = 1_000;

/**
 * A published event as the backlog keeps it until a console reads it: the publish's own strings and
 * channel list (never changed after validation), so recording one costs no allocation.
 */
export interface PublishedEvent {
  readonly name: string;
  readonly channels: readonly string[];
  readonly data: string;
}

type Entry = DebugEvent | PublishedEvent;

/**
 * A bounded ring of an app's latest debug events (by count and by payload bytes). A publish is kept
 * as its raw ingredients (with its time and id beside them) and turned into an `api_message` event
 * only when a console reads the backlog.
 */
class Backlog {
  /** A fixed ring: no array shifting per event. */
  readonly #ring: (Entry | undefined)[];
  readonly #times: Float64Array;
  readonly #ids: Float64Array;
  readonly #sizes: Float64Array;
  #head = 0;
  #size = 0;
  #bytes = 0;
  /** The stream's emit counter when this app last had an event (least recently active evicted). */
  lastUsed = 0;

  constructor(
    maxEvents: number,
    readonly maxBytes: number,
  ) {
    this.#ring = new Array<Entry | undefined>(maxEvents);
    this.#times = new Float64Array(maxEvents);
    this.#ids = new Float64Array(maxEvents);
    this.#sizes = new Float64Array(maxEvents);
  }

  push(entry: Entry, time: number, id: number, size: number): void {
    const capacity = this.#ring.length;
    if (this.#size === capacity) this.#dropOldest();
    const slot = (this.#head + this.#size) % capacity;
    this.#ring[slot] = entry;
    this.#times[slot] = time;
    this.#ids[slot] = id;
    this.#sizes[slot] = size;
    this.#size += 1;
    this.#bytes += size;
    while (this.#bytes > this.maxBytes && this.#size > 1) this.#dropOldest();
  }

  #dropOldest(): void {
    this.#ring[this.#head] = undefined;
    this.#bytes -= this.#sizes[this.#head] ?? 0;
    this.#head = (this.#head + 1) % this.#ring.length;
    this.#size -= 1;
  }

  snapshot(): readonly DebugEvent[] {
    const events: DebugEvent[] = [];
    for (let i = 0; i < this.#size; i++) {
      const slot = (this.#head + i) % this.#ring.length;
      const entry = this.#ring[slot];
      if (entry === undefined) continue;
      events.push('type' in entry ? entry : apiMessage(entry, this.#times[slot] ?? 0, this.#ids[slot] ?? 0));
    }
    return events;
  }
}

/** The console's view of a publish. */
function apiMessage(published: PublishedEvent, time: number, id: number): DebugEvent {
  return {
    type: 'api_message',
    channel: published.channels.join(','),
    event: published.name,
    data: published.data,
    time,
    id,
  };
}

/** Rough byte size of an event's variable parts (what dominates its memory and its SSE line). */
function sizeOf(event: DebugEvent): number {
  return (
    64 +
    (event.data?.length ?? 0) +
    (event.channel?.length ?? 0) +
    (event.event?.length ?? 0) +
    (event.message?.length ?? 0)
  );
}

/** The same measure for a publish, without joining its channel names. */
function sizeOfPublished(published: PublishedEvent): number {
  let channels = published.channels.length - 1;
  for (const channel of published.channels) channels += channel.length;
  return 64 + published.data.length + channels + published.name.length;
}

/**
 * The debug console's stream, per app, with a backlog: every app keeps its last
 * DEBUG_BACKLOG_EVENTS events (bounded in bytes too, and in the number of apps), which a new listener
 * may receive first, so a freshly opened console shows what just happened. Events are built for
 * every app (the backlog needs them); building is a few field copies, payloads are shared strings.
 * Publishes, the hot case, are kept raw (`emitPublished`) and built only for a listener.
 */
export class DebugStream {
  readonly #clock: Clock;
  readonly #listeners = new Map<string, Set<(event: DebugEvent) => void>>();
  readonly #backlogs = new Map<string, Backlog>();
  readonly #maxBacklogBytes: number;
  /** Event ids start at the boot time in microseconds: increasing, and not reused after a restart. */
  #nextId: number;

  /** `maxBacklogBytes` bounds one app's backlog (kept well below the SSE stream's buffer bound). */
  constructor(clock: Clock, maxBacklogBytes = 256 * 1024) {
    this.#clock = clock;
    this.#maxBacklogBytes = maxBacklogBytes;
    this.#nextId = clock.now() * 1000;
  }

  /**
   * Adds a listener; with `replay`, it first receives the app's backlog, synchronously and before any
   * new event (nothing is missed or doubled between the two).
   */
  listen(appId: string, listener: (event: DebugEvent) => void, options?: { replay?: boolean }): () => void {
    let set = this.#listeners.get(appId);
    if (!set) this.#listeners.set(appId, (set = new Set()));
    if (options?.replay) for (const event of this.#backlogs.get(appId)?.snapshot() ?? []) listener(event);
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0) this.#listeners.delete(appId);
    };
  }

  /** Whether anyone watches the app. */
  watching(appId: string): boolean {
    return this.#listeners.has(appId);
  }

  emit(appId: string, build: () => Omit<DebugEvent, 'time' | 'id'>): void {
    // The builder's fresh object gets its time and id in place (no copy per event).
    const event = build() as { -readonly [K in keyof DebugEvent]: DebugEvent[K] };
    event.time = this.#clock.now();
    event.id = ++this.#nextId;
    this.#backlog(appId, event.id).push(event, event.time, event.id, sizeOf(event));
    const listeners = this.#listeners.get(appId);
    if (listeners) for (const listener of listeners) listener(event);
  }

  /**
   * Records a publish (an `api_message` event). Nothing is allocated unless a console listens: the
   * backlog keeps `published` itself, which must not change afterwards.
   */
  emitPublished(appId: string, published: PublishedEvent): void {
    const time = this.#clock.now();
    const id = ++this.#nextId;
    const listeners = this.#listeners.get(appId);
    if (listeners === undefined) {
      this.#backlog(appId, id).push(published, time, id, sizeOfPublished(published));
      return;
    }
    const event = apiMessage(published, time, id);
    this.#backlog(appId, id).push(event, time, id, sizeOf(event));
    for (const listener of listeners) listener(event);
  }

  /** The app's backlog (created, evicting the least recently active app when full), marked used. */
  #backlog(appId: string, id: number): Backlog {
    let backlog = this.#backlogs.get(appId);
    if (!backlog) {
      // Rare (a new app, with the map full): evict the least recently active by one scan, rather
      // than re-inserting into the map on every event to keep it ordered.
      if (this.#backlogs.size >= DEBUG_BACKLOG_APPS) {
        let oldest: string | undefined;
        let oldestUsed = Infinity;
        for (const [key, b] of this.#backlogs)
          if (b.lastUsed < oldestUsed) {
            oldestUsed = b.lastUsed;
            oldest = key;
          }
        if (oldest !== undefined) this.#backlogs.delete(oldest);
      }
      backlog = new Backlog(DEBUG_BACKLOG_EVENTS, this.#maxBacklogBytes);
      this.#backlogs.set(appId, backlog);
    }
    backlog.lastUsed = id;
    return backlog;
  }
}
