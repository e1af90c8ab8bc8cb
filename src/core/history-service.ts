// Channel history in the engine (issue 11 §3; docs/history.md): stamping serials on live events of
// apps that keep history, and replaying what a resubscribing client missed before its live events.
// Apps without history never reach this file: their frames are sent as before, byte for byte.
import { historyRetention, type App } from './app.js';
import type { ChannelHistory, HistoryEvent, HistoryRead, HistoryRetention } from './ports/channel-history.js';
import type { Logger } from './ports/logger.js';
import type { ReplayHold, Session } from './session.js';
import { encodeChannelEvent } from '../protocol/codec.js';
import { MawjlyError } from '../protocol/errors.js';
import { MawjlyEvent } from '../protocol/events.js';
import { MAX_HISTORY_READ } from '../protocol/limits.js';

/** The top-level field carrying a kept event's serial (stock pusher-js ignores unknown fields). */
export const SERIAL_FIELD = 'mawjly_serial';
/** The field of `pusher:subscribe`'s data with the last serial the client received on the channel. */
export const SINCE_FIELD = 'mawjly_since';

const SERIAL_AT_END = /,"mawjly_serial":(\d+)\}$/;

/** The frame with the serial added as its last field. */
export function withSerial(text: string, serial: number): string {
  return `${text.slice(0, -1)},"${SERIAL_FIELD}":${serial}}`;
}

/** The serial of a frame built by withSerial, or 0. */
export function serialOf(text: string): number {
  const match = SERIAL_AT_END.exec(text);
  return match ? Number(match[1]) : 0;
}

/** A valid `mawjly_since` from a subscribe's data: a positive safe integer, else undefined. */
export function recoverySince(data: Record<string, unknown>): number | undefined {
  const value = data[SINCE_FIELD];
  return typeof value === 'number' && Number.isSafeInteger(value) && value > 0 ? value : undefined;
}

/**
 * What the engine lends the service: fan-out to the cluster, the buffer bound of sessions, and the
 * replay holds (kept by the engine, which counts each channel's replaying sockets for its fan-out).
 */
export interface HistoryHost {
  broadcast(app: App, channel: string, text: string, exceptSocketId: string | undefined): number;
  readonly maxBufferedBytes: number;
  terminate(session: Session, code: 'over_capacity'): void;
  /** Holds the channel's live frames for the session (sets `session.replays`). */
  startHold(session: Session, channel: string, hold: ReplayHold): void;
  /** Ends the session's hold of the channel, if any. */
  endHold(session: Session, channel: string): void;
}

export class HistoryService {
  readonly store: ChannelHistory;
  readonly #logger: Logger;
  /** The last publish of each channel still on its way: later ones go out after it, in order. */
  readonly #tails = new Map<string, Promise<void>>();
  /** Apps this node appended for: their history is dropped when deleted or switched off. */
  readonly #apps = new Set<string>();

  constructor(store: ChannelHistory, logger: Logger) {
    this.store = store;
    this.#logger = logger;
  }

  /**
   * Appends an event and then broadcasts its frame with the serial. Broadcasts of one channel leave in
   * the order of these calls. If the history store fails, the event still goes out, without a serial.
   */
  publish(
    host: HistoryHost,
    app: App,
    channel: string,
    event: { name: string; data: string; userId?: string | undefined },
    text: string,
    exceptSocketId: string | undefined,
    retention: HistoryRetention,
  ): void {
    this.#apps.add(app.id);
    const appended = this.store
      .append(
        app.id,
        channel,
        {
          event: event.name,
          data: event.data,
          ...(event.userId === undefined ? {} : { userId: event.userId }),
        },
        retention,
      )
      .catch((error: unknown) => {
        this.#logger.warn(
          { err: error, appId: app.id, channel },
          'history append failed; sent without serial',
        );
        return 0;
      });
    const key = `${app.id}\n${channel}`;
    const previous = this.#tails.get(key);
    const sent = (previous ? previous.then(() => appended) : appended).then((serial) => {
      try {
        host.broadcast(app, channel, serial > 0 ? withSerial(text, serial) : text, exceptSocketId);
      } catch (error) {
        this.#logger.error({ err: error, appId: app.id, channel }, 'could not send a kept event');
      }
    });
    this.#tails.set(key, sent);
    void sent.then(() => {
      if (this.#tails.get(key) === sent) this.#tails.delete(key);
    });
  }

  /**
   * After a subscription with `mawjly_since`: holds the channel's live frames for this socket, sends
   * the missed events in order, then the held frames not already replayed. A gap, history off or an
   * unreadable store answer `mawjly:cannot_recover` instead, so the app refetches its state.
   */
  recover(
    host: HistoryHost,
    session: Session,
    channel: string,
    since: number,
    retention: HistoryRetention | null,
  ): void {
    if (retention === null) {
      session.send(cannotRecover(channel, since, 'history_off'));
      return;
    }
    const hold: ReplayHold = { frames: [], bytes: 0 };
    host.startHold(session, channel, hold);
    const appId = session.app.id;
    void this.#readAll(appId, channel, since, retention).then(
      (events) => {
        if (!release(host, session, channel, hold)) return;
        if (events === undefined) session.send(cannotRecover(channel, since, 'gap'));
        let last = since;
        for (const e of events ?? []) {
          session.send(withSerial(encodeChannelEvent(e.event, channel, e.data, e.userId), e.serial));
          last = e.serial;
        }
        const held = hold.frames.filter((frame) => {
          const serial = serialOf(frame);
          return serial === 0 || serial > last;
        });
        // Still replayed: drop late live frames of it until a newer one passes (hold() below).
        if (events !== undefined && events.length > 0 && !held.some((f) => serialOf(f) > last)) {
          hold.floor = last;
          hold.frames.length = 0;
          host.startHold(session, channel, hold);
        }
        for (const frame of held) session.send(frame);
      },
      (error: unknown) => {
        this.#logger.warn({ err: error, appId, channel }, 'history read for a recovery failed');
        if (!release(host, session, channel, hold)) return;
        session.send(cannotRecover(channel, since, 'unavailable'));
        for (const frame of hold.frames) session.send(frame);
      },
    );
  }

  /**
   * Called by fan-out for a socket with holds: true when the frame is not to be sent now (held
   * during a replay, or already replayed). A hold past the socket's buffer bound disconnects it like
   * a slow consumer.
   */
  hold(host: HistoryHost, session: Session, channel: string, text: string): boolean {
    const hold = session.replays?.get(channel);
    if (!hold) return false;
    if (hold.floor !== undefined) {
      const serial = serialOf(text);
      if (serial !== 0 && serial <= hold.floor) return true;
      if (serial !== 0) host.endHold(session, channel);
      return false;
    }
    hold.frames.push(text);
    hold.bytes += text.length;
    if (hold.bytes > host.maxBufferedBytes) host.terminate(session, 'over_capacity');
    return true;
  }

  /** Every kept event after `since`, or undefined when some were lost to retention. */
  async #readAll(
    appId: string,
    channel: string,
    since: number,
    retention: HistoryRetention,
  ): Promise<HistoryEvent[] | undefined> {
    const events: HistoryEvent[] = [];
    let after = since;
    // Retention bounds the loop: at most maxEvents / MAX_HISTORY_READ + 1 pages.
    for (;;) {
      const page = await this.store.read(appId, channel, after, MAX_HISTORY_READ, retention);
      if (!page.complete) return undefined;
      events.push(...page.events);
      const last = page.events.at(-1);
      if (!page.more || last === undefined) return events;
      after = last.serial;
    }
  }

  /** The REST read: `history_disabled` when the app keeps none, `history_unavailable` on a store error. */
  async readForApi(app: App, channel: string, since: number, limit: number): Promise<HistoryRead> {
    const retention = historyRetention(app);
    if (retention === null) throw new MawjlyError('history_disabled');
    try {
      return await this.store.read(app.id, channel, since, limit, retention);
    } catch (error) {
      this.#logger.warn({ err: error, appId: app.id, channel }, 'history read failed');
      throw new MawjlyError('history_unavailable');
    }
  }

  /** An app record changed: forget its history once it is deleted or keeps none any more. */
  appChanged(appId: string, app: App | undefined): void {
    if (!this.#apps.has(appId) || (app !== undefined && historyRetention(app) !== null)) return;
    this.#apps.delete(appId);
    this.store.dropApp(appId).catch((error: unknown) => {
      this.#logger.warn({ err: error, appId }, 'could not drop the history of an app');
    });
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.#tails.values()]);
    await this.store.close();
  }
}

/** Ends a hold; false when the socket or its subscription is gone meanwhile (nothing to send). */
function release(host: HistoryHost, session: Session, channel: string, hold: ReplayHold): boolean {
  if (session.replays?.get(channel) !== hold) return false;
  host.endHold(session, channel);
  return !session.closed && session.subscription(channel) !== undefined;
}

function cannotRecover(
  channel: string,
  since: number,
  reason: 'gap' | 'history_off' | 'unavailable',
): string {
  return encodeChannelEvent(MawjlyEvent.cannotRecover, channel, JSON.stringify({ since, reason }));
}
