import {
  connect,
  DiscardPolicy,
  Events,
  nanos,
  StorageType,
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
import { GapLedger, HistoryUnavailableError, type PendingGap } from './history-common.js';

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
 * Limits: the stream caps every subject at `maxEventsCap` messages and every message at
 * `maxAgeCapMs` (the plan maxima); an app's smaller retention is applied on read, and the subject is
 * purged down to `maxEvents` every few appends. Appends to one channel from one node are queued, so
 * they resolve in call order.
 *
 * Outages: every call rejects with HistoryUnavailableError after `deadlineMs` at most, and at once
 * while a connection that once worked is down; the client reconnects forever in the background.
 */
export interface NatsHistoryOptions {
  /** The cluster prefix (`mawjly`): names the stream and the subjects. */
  readonly prefix?: string;
  /** How long one call may take before it rejects (default 2 s). */
  readonly deadlineMs?: number;
  /** Stream-wide limits: the largest retention any app may ask for. */
  readonly maxEventsCap?: number;
  readonly maxAgeCapMs?: number;
  readonly replicas?: number;
  readonly storage?: 'file' | 'memory';
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

interface DirectGet {
  getMessage(
    stream: string,
    query: { seq: number; next_by_subj: string } | { last_by_subj: string },
  ): Promise<StoredMsg>;
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
  #lastError: string | undefined;
  #closed = false;
  /** The last message this node knows of per subject (a guess, checked by the server on publish). */
  readonly #last = new Map<string, Last>();
  /** Per subject, the tail of this node's queue of appends. */
  readonly #queues = new Map<string, Promise<void>>();
  readonly #gaps = new GapLedger();
  #writingGaps = false;

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
    try {
      const serial = await this.#deadline(run);
      if (this.#gaps.size > 0) this.#writeGaps();
      return serial;
    } catch (error) {
      gaveUp = true;
      this.#gaps.add({ appId, channel, retention });
      throw error;
    }
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
    const filter = `${this.#prefix}.history.${encode(appId)}.>`;
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

  /** Writes the gap markers of failed appends (GapLedger); those that fail again stay pending. */
  #writeGaps(): void {
    if (this.#writingGaps || this.#closed || this.#down) return;
    this.#writingGaps = true;
    const gaps = this.#gaps.takeAll();
    void Promise.all(
      gaps.map(async (gap: PendingGap) => {
        const subject = this.#subject(gap.appId, gap.channel);
        await this.#deadline(
          this.#enqueue(subject, async () => this.#appendNow(subject, undefined, gap.retention)),
        ).catch(() => {
          this.#gaps.add(gap);
        });
      }),
    ).finally(() => {
      this.#writingGaps = false;
    });
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

  async #get(
    jsm: JetStreamManager,
    query: { seq: number; next_by_subj: string } | { last_by_subj: string },
  ): Promise<StoredMsg | undefined> {
    try {
      // The manager has a direct-get API (`jsm.direct`, NATS ≥ 2.9) its published type does not list.
      const direct = (jsm as unknown as { direct: DirectGet }).direct;
      return await direct.getMessage(this.#stream, query);
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
    return `${this.#prefix}.history.${encode(appId)}.${encode(channel)}`;
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
      await this.#ensureStream(jsm);
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
    if (this.#down) {
      throw new Error(`disconnected from NATS${this.#lastError === undefined ? '' : `: ${this.#lastError}`}`);
    }
    return jet;
  }

  async #watch(nc: NatsConnection): Promise<void> {
    for await (const status of nc.status()) {
      if (status.type === Events.Disconnect) this.#down = true;
      else if (status.type === Events.Reconnect) {
        this.#down = false;
        if (this.#gaps.size > 0) this.#writeGaps();
      } else if (status.type === Events.Error) {
        this.#lastError = status.data instanceof Error ? status.data.message : JSON.stringify(status.data);
      }
    }
  }

  async #ensureStream(jsm: JetStreamManager): Promise<void> {
    const maxAgeMs = this.#options.maxAgeCapMs ?? 86_400_000;
    const config = {
      name: this.#stream,
      subjects: [`${this.#prefix}.history.>`],
      max_msgs_per_subject: this.#options.maxEventsCap ?? 10_000,
      max_age: nanos(maxAgeMs),
      duplicate_window: nanos(Math.min(maxAgeMs, 120_000)),
      discard: DiscardPolicy.Old,
      allow_direct: true,
      storage: this.#options.storage === 'memory' ? StorageType.Memory : StorageType.File,
      num_replicas: this.#options.replicas ?? 1,
    };
    try {
      const info = await jsm.streams.info(this.#stream);
      const current = info.config;
      if (
        current.max_msgs_per_subject !== config.max_msgs_per_subject ||
        current.max_age !== config.max_age ||
        !current.allow_direct
      ) {
        // Only the fields Mawjly relies on: replicas, storage, max_bytes… stay as an operator set them.
        await jsm.streams.update(this.#stream, {
          max_msgs_per_subject: config.max_msgs_per_subject,
          max_age: config.max_age,
          allow_direct: true,
        });
      }
    } catch (error) {
      if (!isNotFound(error)) throw error;
      // Two nodes starting at once both add it; the same config makes the second add a no-op.
      await jsm.streams.add(config);
    }
  }

  /** Rejects after the deadline whatever the client does; failures become HistoryUnavailableError. */
  async #deadline<T>(work: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => {
        reject(new Error(`no answer within ${String(this.#deadlineMs)} ms`));
      }, this.#deadlineMs);
    });
    try {
      return await Promise.race([work, expired]);
    } catch (error) {
      throw new HistoryUnavailableError('nats', error instanceof Error ? error.message : String(error));
    } finally {
      clearTimeout(timer);
      work.catch(() => undefined);
    }
  }
}

function encode(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64url');
}

function apiCode(error: unknown): number | undefined {
  const api = (error as { api_error?: { err_code?: number } } | undefined)?.api_error;
  return api?.err_code;
}

function isNotFound(error: unknown): boolean {
  const code = (error as { code?: string } | undefined)?.code;
  const api = (error as { api_error?: { code?: number } } | undefined)?.api_error;
  return code === '404' || api?.code === 404 || /not found/i.test(String(error));
}
