import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api, ApiError } from '../api.js';
import type { App } from '../api.js';
import { ErrorNote, Loading } from '../components/controls.js';
import { formatTime } from '../format.js';
import { Link, navigate } from '../router.js';
import { can, useSession } from '../session.js';

export function AppsPage(): JSX.Element {
  const { session, plan, refreshAccount } = useSession();
  const [apps, setApps] = useState<App[]>();
  const [error, setError] = useState<unknown>();
  const [name, setName] = useState('');
  const [busy, setBusy] = useState(false);
  const [createError, setCreateError] = useState<unknown>();
  const [limitReached, setLimitReached] = useState(false);

  useEffect(() => {
    api.apps().then((r) => {
      setApps(r.apps);
    }, setError);
  }, []);

  const atCap =
    limitReached || (plan?.max_apps != null && apps !== undefined && apps.length >= plan.max_apps);

  const create = async (e: Event): Promise<void> => {
    e.preventDefault();
    setBusy(true);
    setCreateError(undefined);
    try {
      const app = await api.createApp(name.trim());
      refreshAccount();
      navigate(`/apps/${encodeURIComponent(app.id)}/getting-started`);
    } catch (err) {
      if (err instanceof ApiError && err.code === 'plan_limit_reached') setLimitReached(true);
      else setCreateError(err);
      setBusy(false);
    }
  };

  return (
    <section>
      <h1>Apps</h1>
      <ErrorNote error={error} />
      {apps === undefined && error === undefined && <Loading />}
      {apps?.length === 0 && <p class="muted">No apps yet. Create one to get its keys.</p>}
      {apps && apps.length > 0 && (
        <ul class="app-list" aria-label="Your apps">
          {apps.map((app) => (
            <li key={app.id} class="card app-card">
              <Link href={`/apps/${encodeURIComponent(app.id)}`} class="app-name">
                {app.name}
              </Link>
              <span class={app.settings.enabled ? 'badge ok' : 'badge off'}>
                {app.settings.enabled ? 'enabled' : 'disabled'}
              </span>
              <dl class="inline">
                <dt>App ID</dt>
                <dd>
                  <code>{app.id}</code>
                </dd>
                <dt>Key</dt>
                <dd>
                  <code>{app.key}</code>
                </dd>
                <dt>Cluster</dt>
                <dd>{app.cluster}</dd>
                <dt>Created</dt>
                <dd>{formatTime(app.created_at)}</dd>
              </dl>
            </li>
          ))}
        </ul>
      )}
      {can(session.role, 'write') && (
        <section class="card" aria-labelledby="create-title">
          <h2 id="create-title">Create an app</h2>
          {atCap ? (
            <div class="upgrade" role="status">
              <p>
                <strong>You have reached your plan's app limit</strong>
                {plan?.max_apps != null ? ` (${plan.max_apps} apps on ${plan.name})` : ''}.
              </p>
              <p>
                Upgrade your plan to create more apps, or delete one you no longer use.{' '}
                <Link href="/account">Compare plans</Link>
              </p>
            </div>
          ) : (
            <form class="row" onSubmit={(e) => void create(e)}>
              <label for="app-name">App name</label>
              <input
                id="app-name"
                required
                maxLength={100}
                value={name}
                onInput={(e) => {
                  setName(e.currentTarget.value);
                }}
              />
              <button type="submit" class="primary" disabled={busy || name.trim() === ''}>
                {busy ? 'Creating…' : 'Create app'}
              </button>
            </form>
          )}
          <ErrorNote error={createError} />
        </section>
      )}
    </section>
  );
}
