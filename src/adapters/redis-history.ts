import { Redis } from 'ioredis';
import type {
  ChannelHistory,
  HistoryEvent,
  HistoryRead,
  HistoryRetention,
} from '../core/ports/channel-history.js';
import { GapLedger, HistoryUnavailableError, readyWithin } from './history-common.js';

/**
 * Channel history in Redis Streams: one stream per (prefix, app, channel) at
 * `<prefix>history:<appId>:<channel>` (channel names never contain `:`).
 *
 * Serials are the streams' own entry IDs (`<serial>-0`), chosen inside one Lua script as
 * `max(last + 1, redisTimeMs * 1000)`: strictly increasing per channel, the same for every node (one
 * script runs at a time on Redis), and still increasing after an idle channel's key expired and was
 * created again (the time floor), so a serial a client held from the earlier key is never reused.
 * Every entry records `p`, the serial appended just before it (0 for the first entry of a key), so a
 * read knows whether anything between the caller's `since` and the first entry it returns was
 * trimmed: that is `complete`. Times are Redis's clock (`TIME`), the same for every node.
 *
 * Trimming: `MAXLEN =` on every append and `XTRIM MINID` by age (serial/1000 is at least the
 * append time); reads apply the retention again (it may have been lowered since). The key expires
 * `maxAgeMs + 60 s` after the last append, so an idle channel does not outlive its events for long.
 *
 * Outages: no offline queue and no retries. A call rejects with HistoryUnavailableError at once while
 * a connection that once worked is down, after `deadlineMs` while the first one is being made, and
 * after `deadlineMs` when Redis does not answer (a black-holed connection), and then at once until it
 * answers a PING.
 */
const APPEND = `
local key = KEYS[1]
local maxEvents = tonumber(ARGV[1])
local maxAge = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local last = 0
if redis.call('EXISTS', key) == 1 then
  local info = redis.call('XINFO', 'STREAM', key)
  for i = 1, #info, 2 do
    if info[i] == 'last-generated-id' then
      last = tonumber(string.match(info[i + 1], '^(%d+)'))
    end
  end
end
local serial = math.max(last + 1, now * 1000)
local id = string.format('%.0f', serial)
local fields = {'p', string.format('%.0f', last), 't', string.format('%.0f', now)}
if ARGV[6] == 'g' then
  table.insert(fields, 'g')
  table.insert(fields, '1')
else
  table.insert(fields, 'e')
  table.insert(fields, ARGV[4])
  table.insert(fields, 'd')
  table.insert(fields, ARGV[5])
end
if ARGV[6] == '1' then
  table.insert(fields, 'u')
  table.insert(fields, ARGV[7])
end
redis.call('XADD', key, 'MAXLEN', '=', maxEvents, id .. '-0', unpack(fields))
redis.call('XTRIM', key, 'MINID', string.format('%.0f', (now - maxAge) * 1000))
redis.call('PEXPIRE', key, ARGV[3])
return id
`;

/**
 * Returns {last, more, complete, id1, fields1, id2, fields2, ...}: the entries after ARGV[1], at most
 * ARGV[2], within the count (ARGV[3]) and age (ARGV[4]) bounds.
 */
const READ = `
local key = KEYS[1]
local since = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
local maxEvents = tonumber(ARGV[3])
local maxAge = tonumber(ARGV[4])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
if redis.call('EXISTS', key) == 0 then
  -- The key expires maxAge + 60 s after its last append: a reader whose last serial (time * 1000)
  -- is younger than the window missed nothing, an older one cannot be vouched for.
  return {'0', 0, (since == 0 or since / 1000 >= now - maxAge) and 1 or 0}
end
local last = 0
local info = redis.call('XINFO', 'STREAM', key)
for i = 1, #info, 2 do
  if info[i] == 'last-generated-id' then
    last = tonumber(string.match(info[i + 1], '^(%d+)'))
  end
end
local lastText = string.format('%.0f', last)
if since >= last then
  return {lastText, 0, since == last and 1 or 0}
end
local start = since + 1
if redis.call('XLEN', key) > maxEvents then
  local newest = redis.call('XREVRANGE', key, '+', '-', 'COUNT', maxEvents)
  local oldest = tonumber(string.match(newest[#newest][1], '^(%d+)'))
  if oldest > start then start = oldest end
end
local out = {lastText, 0, 0}
local first = true
local complete = 0
while true do
  local batch = redis.call('XRANGE', key, string.format('%.0f', start), '+', 'COUNT', limit + 1)
  if #batch == 0 then break end
  for _, entry in ipairs(batch) do
    local f = entry[2]
    local time = 0
    local prev = 0
    local gap = false
    for i = 1, #f, 2 do
      if f[i] == 't' then time = tonumber(f[i + 1])
      elseif f[i] == 'p' then prev = tonumber(f[i + 1])
      elseif f[i] == 'g' then gap = true end
    end
    if time >= now - maxAge then
      if first then
        first = false
        if (prev == 0 and since == 0) or (prev > 0 and prev <= since) then complete = 1 end
      end
      if gap then
        -- A gap marker: an append failed before it, so nothing before it can be vouched for.
        complete = 0
      else
        if (#out - 3) / 2 >= limit then
          out[2] = 1
          out[3] = complete
          return out
        end
        table.insert(out, entry[1])
        table.insert(out, f)
      end
    end
  end
  if #batch < limit + 1 then break end
  start = tonumber(string.match(batch[#batch][1], '^(%d+)')) + 1
end
out[3] = complete
return out
`;

interface HistoryCommands {
  mawjlyHistoryAppend(
    key: string,
    maxEvents: number,
    maxAgeMs: number,
    ttlMs: number,
    event: string,
    data: string,
    hasUser: string,
    userId: string,
  ): Promise<string>;
  mawjlyHistoryRead(
    key: string,
    since: string,
    limit: number,
    maxEvents: number,
    maxAgeMs: number,
  ): Promise<unknown[]>;
}

export interface RedisHistoryOptions {
  /** Key prefix shared with the cluster bus (`mawjly:`): several clusters can share one Redis. */
  readonly prefix?: string;
  /** How long a call may wait for Redis before it rejects (default 2 s). */
  readonly deadlineMs?: number;
}

export class RedisHistory implements ChannelHistory {
  readonly kind = 'redis';
  readonly #redis: Redis & HistoryCommands;
  readonly #prefix: string;
  readonly #deadlineMs: number;
  #lastError: string | undefined;
  #everReady = false;
  /** A call timed out and Redis has not answered since (see #probe). */
  #unanswered = false;
  #closed = false;
  readonly #gaps = new GapLedger({
    write: async (gap) => this.#appendRaw(gap.appId, gap.channel, undefined, gap.retention),
    canWrite: () => !this.#closed && this.#redis.status === 'ready',
  });

  constructor(url: string, options: RedisHistoryOptions = {}) {
    this.#prefix = `${options.prefix ?? 'mawjly:'}history:`;
    this.#deadlineMs = options.deadlineMs ?? 2_000;
    this.#redis = new Redis(url, {
      // Connected on first use: a cluster whose apps keep no history holds no extra connection.
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      autoResendUnfulfilledCommands: false,
      commandTimeout: this.#deadlineMs,
      retryStrategy: (attempt: number) => Math.min(attempt * 100, 500),
    }) as Redis & HistoryCommands;
    this.#redis.on('error', (error: Error) => {
      this.#lastError = error.message;
    });
    this.#redis.on('ready', () => {
      this.#everReady = true;
      this.#unanswered = false;
      this.#gaps.flush();
    });
    this.#redis.defineCommand('mawjlyHistoryAppend', { numberOfKeys: 1, lua: APPEND });
    this.#redis.defineCommand('mawjlyHistoryRead', { numberOfKeys: 1, lua: READ });
  }

  async append(
    appId: string,
    channel: string,
    event: Omit<HistoryEvent, 'serial' | 'time'>,
    retention: HistoryRetention,
  ): Promise<number> {
    const serial = await this.#gaps.track(
      { appId, channel, retention },
      this.#call(async () => this.#appendRaw(appId, channel, event, retention)),
    );
    return Number(serial);
  }

  async read(
    appId: string,
    channel: string,
    since: number,
    limit: number,
    retention: HistoryRetention,
  ): Promise<HistoryRead> {
    const reply = await this.#call(async () =>
      this.#redis.mawjlyHistoryRead(
        this.#key(appId, channel),
        String(Math.max(0, Math.floor(since))),
        Math.max(1, Math.floor(limit)),
        Math.max(1, Math.floor(retention.maxEvents)),
        Math.max(1, Math.floor(retention.maxAgeMs)),
      ),
    );
    const events: HistoryEvent[] = [];
    for (let i = 3; i + 1 < reply.length; i += 2) {
      events.push(toEvent(String(reply[i]), reply[i + 1] as string[]));
    }
    return {
      events,
      lastSerial: Number(reply[0]),
      more: reply[1] === 1,
      complete: reply[2] === 1,
    };
  }

  async dropApp(appId: string): Promise<void> {
    this.#gaps.dropApp(appId);
    const pattern = `${this.#prefix}${appId.replace(/[*?[\]\\]/g, '\\$&')}:*`;
    await this.#call(async () => {
      let cursor = '0';
      do {
        const [next, keys] = await this.#redis.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
        cursor = next;
        if (keys.length > 0) await this.#redis.unlink(...keys);
      } while (cursor !== '0');
    });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#redis.status === 'ready') await this.#redis.quit().catch(() => undefined);
    else this.#redis.disconnect();
  }

  async #appendRaw(
    appId: string,
    channel: string,
    event: Omit<HistoryEvent, 'serial' | 'time'> | undefined,
    retention: HistoryRetention,
  ): Promise<string> {
    return this.#redis.mawjlyHistoryAppend(
      this.#key(appId, channel),
      Math.max(1, Math.floor(retention.maxEvents)),
      Math.max(1, Math.floor(retention.maxAgeMs)),
      Math.max(1, Math.floor(retention.maxAgeMs)) + 60_000,
      event?.event ?? '',
      event?.data ?? '',
      event === undefined ? 'g' : event.userId === undefined ? '0' : '1',
      event?.userId ?? '',
    );
  }

  #key(appId: string, channel: string): string {
    return `${this.#prefix}${appId}:${channel}`;
  }

  async #call<T>(run: () => Promise<T>): Promise<T> {
    if (this.#closed) throw new HistoryUnavailableError('redis', 'closed');
    const redis = this.#redis;
    // Waiting is for the first connection only: once Redis was reached, a lost connection fails
    // calls at once, so live events (sent after their append settles) are not held up meanwhile.
    if (this.#everReady && redis.status !== 'ready') {
      throw new HistoryUnavailableError('redis', this.#lastError ?? `connection ${redis.status}`);
    }
    if (this.#unanswered) {
      throw new HistoryUnavailableError(
        'redis',
        'a call went unanswered; waiting for Redis to answer a PING',
      );
    }
    if (redis.status === 'wait') redis.connect().catch(() => undefined);
    const ready = await readyWithin(
      this.#deadlineMs,
      () => redis.status === 'ready',
      (wake) => {
        redis.once('ready', wake);
        return () => redis.off('ready', wake);
      },
    );
    if (!ready) {
      throw new HistoryUnavailableError('redis', this.#lastError ?? `connection ${redis.status}`);
    }
    try {
      return await run();
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      if (/timed out/i.test(message)) this.#probe();
      throw new HistoryUnavailableError('redis', message);
    }
  }

  /**
   * A call timed out (a black-holed connection the client has not noticed): later calls fail at once
   * instead of each waiting out the deadline, until Redis answers a PING or the client reconnects.
   */
  #probe(): void {
    if (this.#unanswered) return;
    this.#unanswered = true;
    const attempt = (): void => {
      if (this.#closed || !this.#unanswered) return;
      this.#redis.ping().then(
        () => {
          this.#unanswered = false;
          this.#gaps.flush();
        },
        () => {
          setTimeout(attempt, 250).unref();
        },
      );
    };
    attempt();
  }
}

function toEvent(id: string, fields: string[]): HistoryEvent {
  const map = new Map<string, string>();
  for (let i = 0; i + 1 < fields.length; i += 2) map.set(fields[i] ?? '', fields[i + 1] ?? '');
  const userId = map.get('u');
  return {
    serial: Number(id.slice(0, id.indexOf('-'))),
    event: map.get('e') ?? '',
    data: map.get('d') ?? '',
    time: Number(map.get('t')),
    ...(userId === undefined ? {} : { userId }),
  };
}
