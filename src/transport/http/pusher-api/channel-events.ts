// `GET /apps/{app_id}/channels/{channel}/events?since=&limit=` (docs/history.md): a channel's kept
// events after a serial, oldest first, for backends rebuilding state. Signed like every API GET.
import { historyRetention, type App } from '../../../core/app.js';
import type { Engine } from '../../../core/engine.js';
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
  engine: Engine,
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
  const retention = historyRetention(app);
  if (retention === null || engine.history === undefined) throw new MawjlyError('history_disabled');
  let read;
  try {
    read = await engine.history.store.read(app.id, channel, since, limit, retention);
  } catch (error) {
    engine.logger.warn({ err: error, appId: app.id, channel }, 'history read failed');
    throw new MawjlyError('history_unavailable');
  }
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
