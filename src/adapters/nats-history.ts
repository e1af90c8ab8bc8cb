import {
  connect,
  Events,
  type JetStreamClient,
  type JetStreamManager,
  type NatsConnection,
  type StoredMsg,
} from 'nats';
import type {
  ChannelHistory,
  HistoryEvent,
  HistoryRead,
  HistoryRetention,
} from '../core/ports/channel-history.js';
import { GapLedger, HistoryUnavailableError, withinDeadline } from './history-common.js';
import {
  apiCode,
  directGet,
  encodeToken,
  ensureHistoryStream,
  isNotFound,
  type DirectQuery,
  type HistoryStreamOptions,
} from './nats-history-stream.js';

/**
 * Channel history in NATS JetStream: one stream per cluster prefix (`<prefix>_history`, subjects
 * `<prefix>.history.<app>.<channel>`, app id and channel name base64url-encoded so `.`, `*` and `>`
 * in them cannot split or widen a subject).
 *
 * Serials are the stream's sequence numbers: strictly increasing per channel (per stream, in fact),
 * the same on every node, never reused while the stream exists; not contiguous per channel. Every
 * message stores `p`, the sequence of the channel's previous message (0 for the first one the
 * subject holds), and `n`, its ordinal within the channel. An append publishes with JetStream's
 * expected-last-subject-sequence set to that previous sequence, so two nodes appending at once
 * cannot both claim the same predecessor: the loser re-reads the subject's last message and tries
 * again. `p` tells a reader whether anything between its `since` and the first message it gets was
 * dropped (`complete`); `n` applies an app's count limit exactly on read.
 *
 * Limits: the stream is created with `maxEventsCap` per subject and `maxAgeCapMs` (the plan maxima);
 * an app's smaller retention is applied on read, and the subject is
 * purged down to `maxEvents` every few appends. Appends to one channel from one node are queued, so
 * they resolve in call order. Connects and creates the stream on first use (none without history).
 *
 * Outages: every call rejects with HistoryUnavailableError after `deadlineMs` at most, and at once
 * while a connection that once worked is down; the client reconnects forever in the background.
 */
export interface NatsHistoryOptions extends HistoryStreamOptions {
  /** The cluster prefix (`mawjly`): names the stream and the subjects. */
  readonly prefix?: string;
  /** How long one call may take before it rejects (default 2 s). */
  readonly deadlineMs?: number;
}

interface Stored {
  readonly e?: string;
  readonly d?: string;
  /** A gap marker (GapLedger): an append failed before it. */
  readonly g?: 1;
  readonly u?: string;
  readonly p: number;
  readonly n: number;
}

interface Last {
  readonly seq: number;
  readonly n: number;
}

interface Jet {
  readonly nc: NatsConnection;
  readonly js: JetStreamClient;
  readonly jsm: JetStreamManager;
}

const WRONG_LAST_SEQUENCE = 10071;
const MAX_ATTEMPTS = 20;
const LAST_CACHE = 10_000;

export class NatsHistory implements ChannelHistory {
  readonly kind = 'nats';
  readonly #servers: string;
  readonly #prefix: string;
  readonly #stream: string;
  readonly #deadlineMs: number;
  readonly #options: NatsHistoryOptions;
  #jet: Promise<Jet> | undefined;
  #connection: NatsConnection | undefined;
  /** The connection was lost and is being made again: calls fail at once meanwhile. */
  #down = false;
  /** A call went past the deadline and the server has not answered since (see #probe). */
  #unanswered = false;
  #lastError: string | undefined;
  #closed = false;
  /** The last message this node knows of per subject (a guess, checked by the server on publish). */
  readonly #last = new Map<string, Last>();
  /** Per subject, the tail of this node's queue of appends. */
  readonly #queues = new Map<string, Promise<void>>();
  readonly #gaps = new GapLedger({
    write: async (gap) => {
      const subject = this.#subject(gap.appId, gap.channel);
      return this.#deadline(
        this.#enqueue(subject, async () => this.#appendNow(subject, undefined, gap.retention)),
      );
    },
    canWrite: () => !this.#closed && !this.#down && !this.#unanswered,
  });

  constructor(url: string, options: NatsHistoryOptions = {}) {
    this.#servers = url.replace(/^nats:\/\//, '');
    this.#prefix = options.prefix ?? 'mawjly';
    this.#stream = `${this.#prefix}_history`;
    this.#deadlineMs = options.deadlineMs ?? 2_000;
    this.#options = options;
  }

  async append(
    appId: string,
    channel: string,
    event: Omit<HistoryEvent, 'serial' | 'time'>,
    retention: HistoryRetention,
  ): Promise<number> {
    const subject = this.#subject(appId, channel);
    // The deadline counts from the call, queue included; an append whose caller gave up while it
    // waited is not sent at all.
    let gaveUp = false;
    const run = this.#enqueue(subject, async () => {
      if (gaveUp) throw new Error('gave up while queued');
      return this.#appendNow(subject, event, retention);
    });
    const serial = this.#deadline(run).catch((error: unknown) => {
      gaveUp = true;
      throw error;
    });
    return this.#gaps.track({ appId, channel, retention }, serial);
  }

  async read(
    appId: string,
    channel: string,
    since: number,
    limit: number,
    retention: HistoryRetention,
  ): Promise<HistoryRead> {
    return this.#deadline(this.#readNow(this.#subject(appId, channel), since, limit, retention));
  }

  async dropApp(appId: string): Promise<void> {
    this.#gaps.dropApp(appId);
    const filter = `${this.#prefix}.history.${encodeToken(appId)}.>`;
    await this.#deadline(
      (async () => {
        const { jsm } = await this.#connect();
        await jsm.streams.purge(this.#stream, { filter });
        const prefix = filter.slice(0, -1);
        for (const subject of this.#last.keys()) if (subject.startsWith(prefix)) this.#last.delete(subject);
      })(),
    );
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.#connection?.close().catch(() => undefined);
  }

  /** Runs `work` after this node's earlier appends to the subject. */
  async #enqueue<T>(subject: string, work: () => Promise<T>): Promise<T> {
    const run = (this.#queues.get(subject) ?? Promise.resolve()).then(work);
    const tail = run.then(
      () => undefined,
      () => undefined,
    );
    this.#queues.set(subject, tail);
    void tail.then(() => {
      if (this.#queues.get(subject) === tail) this.#queues.delete(subject);
    });
    return run;
  }

  async #appendNow(
    subject: string,
    event: Omit<HistoryEvent, 'serial' | 'time'> | undefined,
    retention: HistoryRetention,
  ): Promise<number> {
    const { js, jsm } = await this.#connect();
    let last = this.#last.get(subject);
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      last ??= await this.#lastOf(jsm, subject);
      const stored: Stored = {
        ...(event === undefined
          ? { g: 1 }
          : { e: event.event, d: event.data, ...(event.userId === undefined ? {} : { u: event.userId }) }),
        p: last.seq,
        n: last.n + 1,
      };
      try {
        const ack = await js.publish(subject, JSON.stringify(stored), {
          expect: { lastSubjectSequence: last.seq },
          timeout: this.#deadlineMs,
        });
        this.#remember(subject, { seq: ack.seq, n: stored.n });
        const maxEvents = Math.max(1, Math.floor(retention.maxEvents));
        // Physical trimming to the app's count every quarter of it; reads apply it exactly.
        if (stored.n > maxEvents && stored.n % Math.max(1, Math.ceil(maxEvents / 4)) === 0) {
          await jsm.streams.purge(this.#stream, { filter: subject, keep: maxEvents }).catch(() => undefined);
        }
        return ack.seq;
      } catch (error) {
        if (apiCode(error) !== WRONG_LAST_SEQUENCE) throw error;
        // Another node appended meanwhile (or our guess aged out): read the real last and retry.
        this.#last.delete(subject);
        last = undefined;
      }
    }
    throw new Error(`${String(MAX_ATTEMPTS)} conflicting appends in a row`);
  }

  async #readNow(
    subject: string,
    since: number,
    limit: number,
    retention: HistoryRetention,
  ): Promise<HistoryRead> {
    const { jsm } = await this.#connect();
    const after = Math.max(0, Math.floor(since));
    const last = await this.#lastOf(jsm, subject);
    if (after >= last.seq) {
      return { events: [], complete: after === last.seq, more: false, lastSerial: last.seq };
    }
    const minN = last.n - Math.max(1, Math.floor(retention.maxEvents)) + 1;
    const cutoff = Date.now() - Math.max(1, Math.floor(retention.maxAgeMs));
    const max = Math.max(1, Math.floor(limit));
    const events: HistoryEvent[] = [];
    let complete = false;
    let first = true;
    let more = false;
    let seq = after + 1;
    while (seq <= last.seq) {
      const message = await this.#get(jsm, { seq, next_by_subj: subject });
      if (!message || message.seq > last.seq) break;
      const stored = message.json<Stored>();
      if (stored.n >= minN && message.time.getTime() >= cutoff) {
        if (first) {
          first = false;
          complete = stored.p === 0 ? after === 0 : stored.p <= after;
        }
        if (stored.g === 1) {
          // A gap marker: an append failed before it, so nothing before it can be vouched for.
          complete = false;
          seq = message.seq + 1;
          continue;
        }
        if (events.length >= max) {
          more = true;
          break;
        }
        events.push({
          serial: message.seq,
          event: stored.e ?? '',
          data: stored.d ?? '',
          time: message.time.getTime(),
          ...(stored.u === undefined ? {} : { userId: stored.u }),
        });
      }
      seq = message.seq + 1;
    }
    return { events, complete, more, lastSerial: last.seq };
  }

  async #lastOf(jsm: JetStreamManager, subject: string): Promise<Last> {
    const message = await this.#get(jsm, { last_by_subj: subject });
    if (!message) return { seq: 0, n: 0 };
    const last = { seq: message.seq, n: message.json<Stored>().n };
    this.#remember(subject, last);
    return last;
  }

  async #get(jsm: JetStreamManager, query: DirectQuery): Promise<StoredMsg | undefined> {
    try {
      return await directGet(jsm, this.#stream, query);
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  #remember(subject: string, last: Last): void {
    this.#last.delete(subject);
    this.#last.set(subject, last);
    if (this.#last.size > LAST_CACHE) {
      const oldest = this.#last.keys().next();
      if (oldest.done !== true) this.#last.delete(oldest.value);
    }
  }

  #subject(appId: string, channel: string): string {
    return `${this.#prefix}.history.${encodeToken(appId)}.${encodeToken(channel)}`;
  }

  /** Connects once (retried on the next call if the first attempt failed) and ensures the stream. */
  async #connect(): Promise<Jet> {
    if (this.#closed) throw new Error('closed');
    this.#jet ??= (async () => {
      const nc = await connect({
        servers: this.#servers,
        maxReconnectAttempts: -1,
        reconnectTimeWait: 500,
        pingInterval: 10_000,
        maxPingOut: 2,
        timeout: this.#deadlineMs,
      });
      this.#connection = nc;
      this.#down = false;
      if (this.#closed) await nc.close();
      void this.#watch(nc);
      const jsm = await nc.jetstreamManager({ timeout: this.#deadlineMs });
      await ensureHistoryStream(jsm, this.#stream, this.#prefix, this.#options);
      return { nc, jsm, js: nc.jetstream({ timeout: this.#deadlineMs }) };
    })();
    const pending = this.#jet;
    let jet: Jet;
    try {
      jet = await pending;
    } catch (error) {
      // The first connection or the stream set-up failed: the next call starts over.
      if (this.#jet === pending) this.#jet = undefined;
      await this.#connection?.close().catch(() => undefined);
      throw error;
    }
    if (this.#unanswered) throw new Error('a call went unanswered; waiting for NATS to answer a flush');
    if (this.#down) {
      throw new Error(`disconnected from NATS${this.#lastError === undefined ? '' : `: ${this.#lastError}`}`);
    }
    return jet;
  }

  /**
   * A call went past the deadline (a black-holed connection the client has not noticed yet): later
   * calls fail at once instead of each waiting it out, until the server answers a flush.
   */
  #probe(): void {
    if (this.#unanswered) return;
    this.#unanswered = true;
    const attempt = (): void => {
      const nc = this.#connection;
      if (this.#closed || !this.#unanswered) return;
      const retry = (): void => {
        setTimeout(attempt, 250).unref();
      };
      if (!nc || nc.isClosed()) {
        this.#unanswered = false;
        return;
      }
      withinDeadline(nc.flush(), this.#deadlineMs).then(() => {
        this.#unanswered = false;
        this.#gaps.flush();
      }, retry);
    };
    attempt();
  }

  async #watch(nc: NatsConnection): Promise<void> {
    for await (const status of nc.status()) {
      if (status.type === Events.Disconnect) this.#down = true;
      else if (status.type === Events.Reconnect) {
        this.#down = false;
        if (this.#gaps.size > 0) this.#gaps.flush();
      } else if (status.type === Events.Error) {
        this.#lastError = status.data instanceof Error ? status.data.message : JSON.stringify(status.data);
      }
    }
  }

  /** Rejects after the deadline whatever the client does; failures become HistoryUnavailableError. */
  async #deadline<T>(work: Promise<T>): Promise<T> {
    try {
      return await withinDeadline(work, this.#deadlineMs, () => {
        this.#probe();
      });
    } catch (error) {
      throw new HistoryUnavailableError('nats', error instanceof Error ? error.message : String(error));
    }
  }
}
