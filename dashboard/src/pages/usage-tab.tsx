import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api } from '../api.js';
import type { App, Usage } from '../api.js';
import { ErrorNote, Loading, Meter } from '../components/controls.js';

export function UsageTab({ app }: { app: App }): JSX.Element {
  const [appUsage, setAppUsage] = useState<{ connections: number; messages_today: number }>();
  const [account, setAccount] = useState<Usage>();
  const [error, setError] = useState<unknown>();
  useEffect(() => {
    Promise.all([api.appUsage(app.id), api.usage()]).then(([a, u]) => {
      setAppUsage(a);
      setAccount(u);
    }, setError);
  }, [app.id]);
  if (error !== undefined) return <ErrorNote error={error} />;
  if (!appUsage || !account) return <Loading />;
  const share = account.messages > 0 ? Math.round((appUsage.messages_today / account.messages) * 100) : 0;
  return (
    <div class="stack">
      <section class="card" aria-labelledby="app-usage-title">
        <h2 id="app-usage-title">This app today ({account.day})</h2>
        <dl class="inline">
          <dt>Messages</dt>
          <dd>
            {appUsage.messages_today.toLocaleString('en-US')} ({share} % of the account's)
          </dd>
          <dt>Connections now</dt>
          <dd>{appUsage.connections.toLocaleString('en-US')}</dd>
        </dl>
        <p class="muted small">
          Messages are counted as Pusher counts them: each API publish plus each delivery to a client. Quotas
          reset at 00:00 UTC.
        </p>
      </section>
      <section class="card" aria-labelledby="acct-usage-title">
        <h2 id="acct-usage-title">Account limits (all apps)</h2>
        <Meter label="Messages today" used={account.messages} quota={account.message_quota} />
        <Meter label="Concurrent connections" used={account.connections} quota={account.connection_quota} />
      </section>
    </div>
  );
}
