import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api } from '../api.js';
import type { App, Usage } from '../api.js';
import { ErrorNote, Meter } from '../components/controls.js';
import { Chart } from '../components/chart.js';

const POLL_MS = 5000;
const POINTS = 60;

interface Sample {
  readonly t: number;
  readonly connections: number;
  readonly messages: number;
}

export function OverviewTab({ app }: { app: App }): JSX.Element {
  const [samples, setSamples] = useState<Sample[]>([]);
  const [account, setAccount] = useState<Usage>();
  const [error, setError] = useState<unknown>();

  useEffect(() => {
    let stopped = false;
    const poll = (): void => {
      Promise.all([api.appUsage(app.id), api.usage()]).then(
        ([u, acc]) => {
          if (stopped) return;
          setError(undefined);
          setAccount(acc);
          setSamples((prev) =>
            [...prev, { t: Date.now(), connections: u.connections, messages: u.messages_today }].slice(
              -POINTS,
            ),
          );
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

  const last = samples[samples.length - 1];
  return (
    <div class="grid">
      <ErrorNote error={error} />
      <div class="card stat">
        <h2>Live connections</h2>
        <p class="big" data-testid="live-connections">
          {last ? last.connections.toLocaleString('en-US') : '…'}
        </p>
        <p class="muted small">this app, right now</p>
      </div>
      <div class="card stat">
        <h2>Messages today</h2>
        <p class="big">{last ? last.messages.toLocaleString('en-US') : '…'}</p>
        <p class="muted small">this app, since 00:00 UTC</p>
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
      <div class="card">
        <h2>Connections (last {Math.round((POINTS * POLL_MS) / 60000)} minutes)</h2>
        <Chart
          label="Live connections over time"
          points={samples.map((s) => ({ t: s.t, v: s.connections }))}
        />
      </div>
      <div class="card">
        <h2>Messages today (running total)</h2>
        <Chart label="Messages today over time" points={samples.map((s) => ({ t: s.t, v: s.messages }))} />
      </div>
    </div>
  );
}
