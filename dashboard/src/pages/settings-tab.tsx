import type { JSX } from 'preact';
import { useRef, useState } from 'preact/hooks';
import { api } from '../api.js';
import type { App, AppSettings } from '../api.js';
import { ConfirmDialog, ErrorNote, Toggle } from '../components/controls.js';
import { navigate } from '../router.js';
import { can, useSession } from '../session.js';

export function SettingsTab({ app, onChange }: { app: App; onChange: (app: App) => void }): JSX.Element {
  const { session, plan, refreshAccount } = useSession();
  const [error, setError] = useState<unknown>();
  const [saved, setSaved] = useState('');
  const [origins, setOrigins] = useState(app.settings.allowed_origins.join('\n'));
  const [name, setName] = useState(app.name);
  const [deleteOpen, setDeleteOpen] = useState(false);
  const [confirmName, setConfirmName] = useState('');
  const [busy, setBusy] = useState(false);
  const editable = can(session.role, 'write');

  // Saves go one at a time, in the order they were made, so each answer carries every earlier change.
  // Until its own answer comes, a save's values are shown over the app's: the answer to an earlier save
  // (the state that save sent) never re-renders a switch the user has changed since.
  const outstanding = useRef<{ body: { name?: string; settings?: Partial<AppSettings> }; what: string }[]>(
    [],
  );
  const [, setOutstandingCount] = useState(0);
  const settings: AppSettings = Object.assign(
    {},
    app.settings,
    ...outstanding.current.map((save) => save.body.settings ?? {}),
  ) as AppSettings;

  const drain = async (): Promise<void> => {
    const queue = outstanding.current;
    for (let save = queue[0]; save !== undefined; save = queue[0]) {
      try {
        const updated = await api.updateApp(app.id, save.body);
        queue.shift();
        onChange(updated);
        setSaved(`${save.what} saved.`);
      } catch (err) {
        queue.shift();
        setError(err);
      }
      setOutstandingCount(queue.length);
    }
  };
  const patch = async (
    body: { name?: string; settings?: Partial<AppSettings> },
    what: string,
  ): Promise<void> => {
    setError(undefined);
    setSaved('');
    outstanding.current.push({ body, what });
    setOutstandingCount(outstanding.current.length);
    if (outstanding.current.length === 1) await drain();
  };
  const toggle =
    (key: keyof Omit<AppSettings, 'allowed_origins' | 'history'>, label: string) => (value: boolean) =>
      void patch({ settings: { [key]: value } }, label);
  // Channel history: on keeps the plan's maximum (the API accepts anything within it).
  const ceiling = plan?.history ?? null;
  const history = settings.history ?? null;

  const remove = async (): Promise<void> => {
    setBusy(true);
    try {
      await api.deleteApp(app.id);
      refreshAccount();
      navigate('/apps');
    } catch (err) {
      setError(err);
      setBusy(false);
      setDeleteOpen(false);
    }
  };

  return (
    <div class="stack">
      <div role="status" aria-live="polite">
        {saved && <p class="note ok">{saved}</p>}
      </div>
      <ErrorNote error={error} />
      <section class="card" aria-labelledby="features-title">
        <h2 id="features-title">Features</h2>
        <Toggle
          label="App enabled"
          description="When disabled, connections get error 4003 and publishes get 403."
          checked={settings.enabled}
          disabled={!editable}
          onChange={toggle('enabled', 'App enabled')}
        />
        <Toggle
          label="Client events"
          description={
            plan && !plan.client_events
              ? `Not available on the ${plan.name} plan.`
              : 'Let clients send client-* events on private and presence channels.'
          }
          checked={settings.client_events}
          disabled={!editable || (plan !== undefined && !plan.client_events)}
          onChange={toggle('client_events', 'Client events')}
        />
        <Toggle
          label="Encrypted client events"
          description={
            plan && !(plan.client_events && plan.encrypted_channels)
              ? `Not available on the ${plan.name} plan.`
              : 'Relay client-* events on private-encrypted- channels, ciphertext envelopes only (send them with @mawjly/client). Needs client events on.'
          }
          checked={settings.encrypted_client_events}
          disabled={!editable || (plan !== undefined && !(plan.client_events && plan.encrypted_channels))}
          onChange={toggle('encrypted_client_events', 'Encrypted client events')}
        />
        <Toggle
          label="User authentication"
          description="Accept pusher:signin (authenticated users, sendToUser)."
          checked={settings.user_authentication}
          disabled={!editable}
          onChange={toggle('user_authentication', 'User authentication')}
        />
        <Toggle
          label="Subscription counting"
          description="Send pusher_internal:subscription_count events and subscription_count webhooks."
          checked={settings.subscription_count}
          disabled={!editable}
          onChange={toggle('subscription_count', 'Subscription counting')}
        />
        <Toggle
          label="Authorized connections only"
          description="Close sockets that neither sign in nor join a private or presence channel within 30 s (4009)."
          checked={settings.authorized_connections}
          disabled={!editable}
          onChange={toggle('authorized_connections', 'Authorized connections')}
        />
        <Toggle
          label="Channel history and recovery"
          description={
            plan && !ceiling
              ? `Not available on the ${plan.name} plan (Pro and Business).`
              : history
                ? `Keeps the last ${history.max_events} events or ${history.max_age_seconds} s per channel; reconnecting @mawjly/client clients get what they missed.`
                : 'Keep recent events per channel so reconnecting @mawjly/client clients get what they missed.'
          }
          checked={history !== null}
          disabled={!editable || !ceiling}
          onChange={(on) =>
            void patch(
              {
                settings: {
                  history:
                    on && ceiling
                      ? { max_events: ceiling.max_events, max_age_seconds: ceiling.max_age_seconds }
                      : null,
                },
              },
              'Channel history',
            )
          }
        />
      </section>
      <section class="card" aria-labelledby="origins-title">
        <h2 id="origins-title">Allowed origins</h2>
        <form
          onSubmit={(e) => {
            e.preventDefault();
            const list = origins
              .split(/[\n,]/)
              .map((o) => o.trim())
              .filter((o) => o !== '');
            void patch({ settings: { allowed_origins: list.length > 0 ? list : ['*'] } }, 'Allowed origins');
          }}
        >
          <label for="origins">One origin per line (e.g. https://example.com); * allows any</label>
          <textarea
            id="origins"
            rows={4}
            class="mono"
            disabled={!editable}
            value={origins}
            onInput={(e) => {
              setOrigins(e.currentTarget.value);
            }}
          />
          {editable && (
            <button type="submit" class="primary">
              Save origins
            </button>
          )}
        </form>
      </section>
      <section class="card" aria-labelledby="name-title">
        <h2 id="name-title">Name</h2>
        <form
          class="row"
          onSubmit={(e) => {
            e.preventDefault();
            void patch({ name: name.trim() }, 'Name');
          }}
        >
          <label for="rename">App name</label>
          <input
            id="rename"
            required
            disabled={!editable}
            value={name}
            onInput={(e) => {
              setName(e.currentTarget.value);
            }}
          />
          {editable && (
            <button type="submit" class="primary" disabled={name.trim() === '' || name.trim() === app.name}>
              Rename
            </button>
          )}
        </form>
      </section>
      {editable && (
        <section class="card danger-zone" aria-labelledby="delete-title">
          <h2 id="delete-title">Delete app</h2>
          <p>
            Deleting closes every connection and removes the app's keys, settings and encryption key record.
          </p>
          <button
            type="button"
            class="danger"
            onClick={() => {
              setConfirmName('');
              setDeleteOpen(true);
            }}
          >
            Delete app…
          </button>
          <ConfirmDialog
            open={deleteOpen}
            title="Delete this app?"
            confirmLabel="Delete app"
            danger
            busy={busy}
            disabled={confirmName !== app.name}
            onCancel={() => {
              setDeleteOpen(false);
            }}
            onConfirm={() => void remove()}
          >
            <p>This cannot be undone.</p>
            <label for="confirm-name">
              Type the app name (<strong>{app.name}</strong>) to confirm
            </label>
            <input
              id="confirm-name"
              value={confirmName}
              onInput={(e) => {
                setConfirmName(e.currentTarget.value);
              }}
            />
          </ConfirmDialog>
        </section>
      )}
    </div>
  );
}
