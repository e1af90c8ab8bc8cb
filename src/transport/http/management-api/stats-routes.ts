// `GET /apps/:id/stats`: the usage history of an app (src/management/usage-history.ts), cluster-wide,
// as a dense series (buckets without rows are zeros) with the plan's limits for quota lines.
import {
  MINUTE_MS,
  stepOf,
  type StatsPoint,
  type StatsResolution,
  type StatsStore,
} from '../../../management/stats-store.js';
import { MawjlyError } from '../../../protocol/errors.js';
import { route, type Route } from './route.js';

/** At most this many points per answer: 90 days of hours, or a day and a half of minutes. */
export const MAX_STATS_POINTS = 2160;
const DAY_MS = 86_400_000;
/** ISO 8601 date and time in UTC or with an offset (what `Date.prototype.toISOString` gives). */
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/;

function timeParam(query: URLSearchParams, name: string): number | undefined {
  const text = query.get(name);
  if (text === null) return undefined;
  const ms = ISO_TIME.test(text) ? Date.parse(text) : Number.NaN;
  if (!Number.isFinite(ms))
    throw new MawjlyError('validation_failed', `${name}: an ISO 8601 time such as 2026-01-31T12:00:00Z`);
  return ms;
}

function resolutionParam(query: URLSearchParams, from: number, to: number): StatsResolution {
  const text = query.get('resolution');
  if (text === null) return to - from <= DAY_MS ? 'minute' : 'hour';
  if (text !== 'minute' && text !== 'hour')
    throw new MawjlyError('validation_failed', 'resolution: one of minute, hour');
  return text;
}

function pointJson(t: number, p: StatsPoint | undefined): Record<string, unknown> {
  return {
    t: new Date(t).toISOString(),
    connections_peak: p?.connectionsPeak ?? 0,
    connections_avg: p?.connectionsAvg ?? 0,
    messages: p?.messages ?? 0,
    api_calls: p?.apiCalls ?? 0,
    webhook_deliveries: p?.webhookDeliveries ?? 0,
    decryption_failures: p?.decryptionFailures ?? 0,
    decryption_failed_clients: p?.decryptionFailedClients ?? 0,
  };
}

/** Client-reported decryption failures of the 60 minutes before `now` (the dashboard's figure). */
async function lastHourFailures(
  stats: StatsStore,
  appId: string,
  now: number,
): Promise<{ clients: number; failures: number }> {
  const end = Math.floor(now / MINUTE_MS) * MINUTE_MS + MINUTE_MS;
  const rows = await stats.listStats(appId, 'minute', end - 60 * MINUTE_MS, end);
  let clients = 0;
  let failures = 0;
  for (const row of rows) {
    clients += row.decryptionFailedClients;
    failures += row.decryptionFailures;
  }
  return { clients, failures };
}

export const statsRoutes: readonly Route[] = [
  route('GET', '/apps/:id/stats', 'apps:read', async ({ management, principal, params, query }) => {
    const app = await management.apps.get(principal.account.id, params.id ?? '');
    const now = management.clock.now();
    const toParam = timeParam(query, 'to');
    const fromParam = timeParam(query, 'from');
    const to = toParam ?? now;
    const from = fromParam ?? to - DAY_MS;
    if (from >= to) throw new MawjlyError('validation_failed', 'from: must be before to');
    const resolution = resolutionParam(query, from, to);
    const step = stepOf(resolution);
    const first = Math.floor(from / step) * step;
    const end = Math.ceil(to / step) * step;
    const count = (end - first) / step;
    if (count > MAX_STATS_POINTS)
      throw new MawjlyError(
        'validation_failed',
        `from, to: at most ${MAX_STATS_POINTS} points (${resolution} resolution); asked for ${count}`,
      );
    const rows = await management.store.stats.listStats(app.id, resolution, first, end);
    const byTime = new Map(rows.map((p) => [p.t, p]));
    const points = Array.from({ length: count }, (_, i) =>
      pointJson(first + i * step, byTime.get(first + i * step)),
    );
    const plan = management.plans[principal.account.plan];
    return {
      status: 200,
      body: {
        app_id: app.id,
        resolution,
        step_seconds: step / 1000,
        from: new Date(first).toISOString(),
        to: new Date(end).toISOString(),
        limits: { connections: plan.maxConnections, messages_per_day: plan.maxMessagesPerDay },
        decryption_failures_last_hour: await lastHourFailures(management.store.stats, app.id, now),
        points,
      },
    };
  }),
];
