import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { api } from '../api.js';
import type { App } from '../api.js';
import { ConfirmDialog, CopyButton, ErrorNote } from '../components/controls.js';
import { formatTime } from '../format.js';
import { can, useSession } from '../session.js';
import { EncryptionPanel } from './encryption-panel.js';

function SecretRow({ app }: { app: App }): JSX.Element {
  const { session } = useSession();
  const [secret, setSecret] = useState<string>();
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const [rotateOpen, setRotateOpen] = useState(false);
  const [grace, setGrace] = useState('3600');
  const [rotated, setRotated] = useState<string>();
  const mayReveal = can(session.role, 'secrets');

  const reveal = async (): Promise<void> => {
    setError(undefined);
    try {
      setSecret((await api.revealSecret(app.id)).secret);
    } catch (err) {
      setError(err);
    }
  };
  const rotate = async (): Promise<void> => {
    setBusy(true);
    setError(undefined);
    try {
      const seconds = Math.max(0, Math.min(86400, Math.floor(Number(grace) || 0)));
      const res = await api.rotateSecret(app.id, seconds);
      setSecret(res.secret);
      setRotated(
        res.previous_valid_until
          ? `Secret rotated. The previous secret stays valid until ${formatTime(res.previous_valid_until)}.`
          : 'Secret rotated. The previous secret no longer works.',
      );
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
      setRotateOpen(false);
    }
  };

  return (
    <>
      <dt>Secret</dt>
      <dd>
        <code data-testid="app-secret">{secret ?? app.secret}</code>
        {mayReveal && secret === undefined && (
          <button type="button" class="secondary small" onClick={() => void reveal()}>
            Reveal
          </button>
        )}
        {secret !== undefined && (
          <>
            <CopyButton value={secret} />
            <button
              type="button"
              class="secondary small"
              onClick={() => {
                setSecret(undefined);
              }}
            >
              Hide
            </button>
          </>
        )}
        {mayReveal && (
          <button
            type="button"
            class="danger small"
            onClick={() => {
              setRotateOpen(true);
            }}
          >
            Rotate secret
          </button>
        )}
        {!mayReveal && <span class="muted small"> Viewers cannot see the secret.</span>}
        {rotated && (
          <p class="note ok" role="status">
            {rotated}
          </p>
        )}
        <ErrorNote error={error} />
        <ConfirmDialog
          open={rotateOpen}
          title="Rotate the app secret?"
          confirmLabel="Rotate secret"
          danger
          busy={busy}
          onCancel={() => {
            setRotateOpen(false);
          }}
          onConfirm={() => void rotate()}
        >
          <p>
            A new secret is issued. Servers signing with the old secret are refused once the grace period
            ends.
          </p>
          <label for="grace">Grace period for the old secret (seconds, 0–86400)</label>
          <input
            id="grace"
            type="number"
            min={0}
            max={86400}
            value={grace}
            onInput={(e) => {
              setGrace(e.currentTarget.value);
            }}
          />
        </ConfirmDialog>
      </dd>
    </>
  );
}

export function KeysTab({ app }: { app: App }): JSX.Element {
  return (
    <div class="stack">
      <section class="card" aria-labelledby="creds-title">
        <h2 id="creds-title">App credentials</h2>
        <dl class="inline creds">
          <dt>App ID</dt>
          <dd>
            <code data-testid="app-id">{app.id}</code> <CopyButton value={app.id} />
          </dd>
          <dt>Key</dt>
          <dd>
            <code data-testid="app-key">{app.key}</code> <CopyButton value={app.key} />
          </dd>
          <dt>Cluster</dt>
          <dd>
            <code>{app.cluster}</code>
          </dd>
          <SecretRow app={app} />
        </dl>
      </section>
      <EncryptionPanel app={app} />
    </div>
  );
}
