import type { JSX } from 'preact';
import { useCallback, useEffect, useState } from 'preact/hooks';
import { api } from '../api.js';
import type { App } from '../api.js';
import { ErrorNote, Loading } from '../components/controls.js';
import { Link } from '../router.js';
import { OverviewTab } from './overview-tab.js';
import { GettingStartedTab } from './getting-started-tab.js';
import { KeysTab } from './keys-tab.js';
import { SettingsTab } from './settings-tab.js';
import { ChannelsTab } from './channels-tab.js';
import { DebugTab } from './debug-tab.js';
import { EventsTab } from './events-tab.js';
import { UsageTab } from './usage-tab.js';
import { WebhooksTab } from './webhooks-tab.js';
import { webhooksApi } from '../webhooks-api.js';

const TABS: readonly { id: string; label: string }[] = [
  { id: 'overview', label: 'Overview' },
  { id: 'getting-started', label: 'Getting started' },
  { id: 'keys', label: 'Keys' },
  { id: 'settings', label: 'Settings' },
  { id: 'channels', label: 'Channels' },
  { id: 'debug', label: 'Debug console' },
  { id: 'events', label: 'Event creator' },
  { id: 'webhooks', label: 'Webhooks' },
  { id: 'usage', label: 'Usage' },
];

export function AppPage({ appId, tab }: { appId: string; tab: string }): JSX.Element {
  const [app, setApp] = useState<App>();
  const [error, setError] = useState<unknown>();
  const reload = useCallback(() => {
    api.app(appId).then(setApp, setError);
  }, [appId]);
  useEffect(reload, [reload]);
  // The Webhooks tab's badge: some endpoint's deliveries are failing or dead-lettered.
  const [webhooksFailing, setWebhooksFailing] = useState(false);
  useEffect(() => {
    webhooksApi.list(appId).then(
      (res) => {
        setWebhooksFailing(res.webhooks.some((h) => h.failing));
      },
      () => undefined,
    );
  }, [appId]);

  const base = `/apps/${encodeURIComponent(appId)}`;
  const current = TABS.find((t) => t.id === tab);
  let body: JSX.Element;
  if (!app) body = error === undefined ? <Loading /> : <ErrorNote error={error} />;
  else if (tab === 'overview') body = <OverviewTab app={app} />;
  else if (tab === 'getting-started') body = <GettingStartedTab app={app} />;
  else if (tab === 'keys') body = <KeysTab app={app} />;
  else if (tab === 'settings') body = <SettingsTab app={app} onChange={setApp} />;
  else if (tab === 'channels') body = <ChannelsTab app={app} />;
  else if (tab === 'debug') body = <DebugTab app={app} />;
  else if (tab === 'events') body = <EventsTab app={app} />;
  else if (tab === 'webhooks') body = <WebhooksTab app={app} onFailingChange={setWebhooksFailing} />;
  else if (tab === 'usage') body = <UsageTab app={app} />;
  else body = <p>Unknown page.</p>;

  return (
    <section>
      <p class="crumbs">
        <Link href="/apps">Apps</Link> / <span>{app?.name ?? appId}</span>
      </p>
      <h1 class="app-title">
        {app?.name ?? 'App'}
        {current ? <span class="muted title-section"> · {current.label}</span> : null}
        {app && !app.settings.enabled && <span class="badge off">disabled</span>}
      </h1>
      <nav class="tabs" aria-label="App sections">
        {TABS.map((t) => (
          <Link
            key={t.id}
            href={t.id === 'overview' ? base : `${base}/${t.id}`}
            aria-current={t.id === tab ? 'page' : undefined}
          >
            {t.label}
            {t.id === 'webhooks' && webhooksFailing && (
              <span class="badge error" data-testid="webhooks-failing-badge">
                failing
              </span>
            )}
          </Link>
        ))}
      </nav>
      <div class="tab-body">{body}</div>
    </section>
  );
}
