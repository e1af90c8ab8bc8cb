// `GET /apps/{app_id}/channels/{channel}/events?since=&limit=` (docs/history.md): a channel's kept
// events after a serial, oldest first, for backends rebuilding state. Signed like every API GET.
import type { App } from '../../../core/app.js';
import type { Realtime } from '../../../core/ports/realtime.js';
import { MawjlyError } from '../../../protocol/errors.js';
import { MAX_HISTORY_READ } from '../../../protocol/limits.js';
import { queryValue, type QueryPairs } from './api-target.js';

export const DEFAULT_HISTORY_LIMIT = 100;

function integerParam(query: QueryPairs, name: string, fallback: number, min: number, max: number): number {
  const text = queryValue(query, name);
  if (text === undefined || text === '') return fallback;
  const value = /^\d{1,16}$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new MawjlyError(
      'invalid_request',
      `${name}: an integer from ${min} to ${max === Number.MAX_SAFE_INTEGER ? 'a serial' : max}`,
    );
  }
  return value;
}

export async function readChannelEvents(
  engine: Realtime,
  app: App,
  channel: string,
  query: QueryPairs,
): Promise<unknown> {
  const since = integerParam(query, 'since', 0, 0, Number.MAX_SAFE_INTEGER);
  const limit = integerParam(query, 'limit', DEFAULT_HISTORY_LIMIT, 1, MAX_HISTORY_READ);
  if (app.plan.history === null) {
    throw new MawjlyError(
      'plan_feature_unavailable',
      `Channel history is not available on the ${app.plan.name} plan; upgrade to Pro or Business`,
    );
  }
  const read = await engine.readHistory(app, channel, since, limit);
  return {
    events: read.events.map((e) => ({
      serial: e.serial,
      event: e.event,
      data: e.data,
      ...(e.userId === undefined ? {} : { user_id: e.userId }),
      time: e.time,
    })),
    complete: read.complete,
    more: read.more,
    last_serial: read.lastSerial,
  };
}
