import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api } from '../api.js';
import type { App, Stats, StatsPoint, Usage } from '../api.js';
import { ErrorNote, Meter } from '../components/controls.js';
import { TimeChart, type Point } from '../components/chart.js';

const POLL_MS = 5000;
/** The history is flushed to the store about once a minute; reading it more often shows nothing new. */
const HISTORY_REFRESH_MS = 60_000;
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

const RANGES = {
  '24h': { label: '24 h', span: DAY, resolution: 'minute' },
  '7d': { label: '7 d', span: 7 * DAY, resolution: 'hour' },
  '30d': { label: '30 d', span: 30 * DAY, resolution: 'hour' },
} as const;
type RangeId = keyof typeof RANGES;

interface History {
  readonly from: number;
  readonly to: number;
  readonly main: Stats;
  /** Hourly points from 00:00 UTC of the range's first day, for the per-day message totals. */
  readonly hourly: Stats;
}

const ms = (p: StatsPoint): number => Date.parse(p.t);

/** Messages per UTC day as a running total (reset at 00:00 UTC), the figure the daily quota counts. */
export function dailyRunningTotal(points: readonly StatsPoint[], from: number): Point[] {
  const out: Point[] = [];
  let day = -1;
  let total = 0;
  for (const p of points) {
    const t = ms(p);
    const d = Math.floor(t / DAY);
    if (d !== day) {
      day = d;
      total = 0;
    }
    total += p.messages;
    if (t >= from - HOUR) out.push({ t, v: total });
  }
  return out;
}

const CSV_COLUMNS = [
  'connections_peak',
  'connections_avg',
  'messages',
  'api_calls',
  'webhook_deliveries',
] as const;

export function statsCsv(stats: Stats): string {
  const rows = stats.points.map((p) => [p.t, ...CSV_COLUMNS.map((c) => String(p[c]))].join(','));
  return `${['time', ...CSV_COLUMNS].join(',')}\n${rows.join('\n')}\n`;
}

function download(name: string, text: string): void {
  const url = URL.createObjectURL(new Blob([text], { type: 'text/csv' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => {
    URL.revokeObjectURL(url);
  }, 1000);
}

export function OverviewTab({ app }: { app: App }): JSX.Element {
  const [live, setLive] = useState<{ connections: number; messages: number }>();
  const [account, setAccount] = useState<Usage>();
  const [error, setError] = useState<unknown>();
  const [range, setRange] = useState<RangeId>('24h');
  const [history, setHistory] = useState<History>();
  const [showLimits, setShowLimits] = useState(false);

  useEffect(() => {
    let stopped = false;
    const poll = (): void => {
      Promise.all([api.appUsage(app.id), api.usage()]).then(
        ([u, acc]) => {
          if (stopped) return;
          setError(undefined);
          setAccount(acc);
          setLive({ connections: u.connections, messages: u.messages_today });
        },
        (err: unknown) => {
          if (!stopped) setError(err);
        },
      );
    };
    poll();
    const timer = setInterval(poll, POLL_MS);
    return () => {
      stopped = true;
      clearInterval(timer);
    };
  }, [app.id]);

  useEffect(() => {
    let stopped = false;
    const load = (): void => {
      const { span, resolution } = RANGES[range];
      const to = Date.now();
      const from = to - span;
      const firstDay = Math.floor(from / DAY) * DAY;
      Promise.all([api.stats(app.id, from, to, resolution), api.stats(app.id, firstDay, to, 'hour')]).then(
        ([main, hourly]) => {
          if (!stopped) setHistory({ from, to, main, hourly });
        },
        (err: unknown) => {
          if (!stopped) setError(err);
        },
      );
    };
    load();
    const timer = setInterval(load, HISTORY_REFRESH_MS);
    return () => {
      stopped = true;
      clearInterval(timer);
    };
  }, [app.id, range]);

  const points = history?.main.points ?? [];
  const series = (key: (typeof CSV_COLUMNS)[number]): Point[] => points.map((p) => ({ t: ms(p), v: p[key] }));
  const limits = history?.main.limits;
  const per = history?.main.resolution === 'hour' ? 'hour' : 'minute';
  return (
    <div class="grid">
      <ErrorNote error={error} />
      <div class="card stat">
        <h2>Live connections</h2>
        <p class="big" data-testid="live-connections">
          {live ? live.connections.toLocaleString('en-US') : '…'}
        </p>
        <p class="muted small">this app, right now</p>
      </div>
      <div class="card stat">
        <h2>Messages today</h2>
        <p class="big">{live ? live.messages.toLocaleString('en-US') : '…'}</p>
        <p class="muted small">this app, since 00:00 UTC</p>
      </div>
      <div class="card stat">
        <h2>Decryption failures</h2>
        <p class="big" data-testid="decryption-failed-clients">
          {history ? history.main.decryption_failures_last_hour.clients.toLocaleString('en-US') : '…'}
        </p>
        <p class="muted small">
          clients failed to decrypt in the last hour
          {history
            ? ` (${history.main.decryption_failures_last_hour.failures.toLocaleString('en-US')} events)`
            : ''}
        </p>
      </div>
      <div class="card wide">
        <h2>Account quota today</h2>
        {account ? (
          <>
            <Meter label="Messages" used={account.messages} quota={account.message_quota} />
            <Meter
              label="Concurrent connections"
              used={account.connections}
              quota={account.connection_quota}
            />
          </>
        ) : (
          <p class="muted">…</p>
        )}
      </div>
      <div class="card wide history">
        <div class="history-bar">
          <h2>Usage history</h2>
          <div role="group" aria-label="Time range" class="subtabs">
            {(Object.keys(RANGES) as RangeId[]).map((id) => (
              <button
                key={id}
                type="button"
                aria-pressed={id === range}
                onClick={() => {
                  setRange(id);
                }}
              >
                {RANGES[id].label}
              </button>
            ))}
          </div>
          <label class="inline-check">
            <input
              type="checkbox"
              checked={showLimits}
              onChange={(e) => {
                setShowLimits(e.currentTarget.checked);
              }}
            />
            Scale to plan limits
          </label>
          <button
            type="button"
            disabled={!history}
            onClick={() => {
              if (history)
                download(`mawjly-${app.id}-${range}-${history.main.resolution}.csv`, statsCsv(history.main));
            }}
          >
            Export CSV
          </button>
        </div>
        {history ? (
          <>
            <h3>Connections (per {per}: peak and average)</h3>
            <TimeChart
              label="Connections"
              from={history.from}
              to={history.to}
              series={[
                { name: 'Average', cls: 'series-2 under', points: series('connections_avg') },
                { name: 'Peak', cls: 'series-1', points: series('connections_peak') },
              ]}
              limit={
                limits?.connections != null ? { label: 'Plan connections', value: limits.connections } : null
              }
              showLimit={showLimits}
            />
            <h3>Messages per UTC day (running total)</h3>
            <TimeChart
              label="Messages per day"
              from={history.from}
              to={history.to}
              series={[
                {
                  name: 'Messages today',
                  cls: 'series-1',
                  points: dailyRunningTotal(history.hourly.points, history.from),
                },
              ]}
              limit={
                limits?.messages_per_day != null
                  ? { label: 'Daily message limit', value: limits.messages_per_day }
                  : null
              }
              showLimit={showLimits}
            />
            <h3>Activity (per {per})</h3>
            <TimeChart
              label="Activity"
              from={history.from}
              to={history.to}
              series={[
                { name: 'Messages', cls: 'series-1', points: series('messages') },
                { name: 'API calls', cls: 'series-2', points: series('api_calls') },
                { name: 'Webhook deliveries', cls: 'series-3', points: series('webhook_deliveries') },
              ]}
            />
          </>
        ) : (
          <p class="muted">Loading history…</p>
        )}
      </div>
    </div>
  );
}
