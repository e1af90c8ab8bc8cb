// Keys → Encryption master key. The generated key lives only in this component's state: it is shown
// once and is gone when the user leaves the page or reloads (never in a URL, storage or the console).
import type { JSX } from 'preact';
import { useCallback, useEffect, useState } from 'preact/hooks';
import { api, ApiError } from '../api.js';
import type { App, EncryptionKeyStatus, NewEncryptionKey } from '../api.js';
import { ConfirmDialog, CopyButton, ErrorNote, Loading } from '../components/controls.js';
import { keyFingerprint, KeyFormatError, parseMasterKey } from '../crypto.js';
import { formatActor, formatTime } from '../format.js';
import { Link } from '../router.js';
import { can, useSession } from '../session.js';

function NewKeyNotice({ created, onDone }: { created: NewEncryptionKey; onDone: () => void }): JSX.Element {
  return (
    <div class="new-key" role="region" aria-labelledby="new-key-title">
      <h3 id="new-key-title">Your new encryption master key (version {created.version})</h3>
      <p class="note warn" role="alert">
        <strong>Store this key now</strong> (a secrets manager or vault). It is shown only this once: Mawjly
        keeps only its fingerprint and cannot show it again. Leaving or reloading this page hides it for good.
      </p>
      <div class="secret-box">
        <code class="key-value" data-testid="new-master-key">
          {created.key_base64}
        </code>
        <CopyButton value={created.key_base64} label="Copy key" />
      </div>
      {/* Its fingerprint is shown once, in the active key's details below. */}
      {created.previous_fingerprint && (
        <dl class="inline">
          <dt>Retired</dt>
          <dd>
            <code>{created.previous_fingerprint}</code>
          </dd>
        </dl>
      )}
      <p class="muted small">
        Configure it as <code>encryptionMasterKeyBase64</code> in the <code>pusher</code> server SDK of every
        publisher and channel-auth endpoint.
      </p>
      <button type="button" class="secondary" onClick={onDone}>
        I have stored the key, hide it
      </button>
    </div>
  );
}

function VerifyKey({ status }: { status: EncryptionKeyStatus }): JSX.Element {
  const [input, setInput] = useState('');
  const [result, setResult] = useState<{
    fingerprint?: string;
    message: string;
    tone: 'ok' | 'error' | 'warn';
  }>();

  useEffect(() => {
    let current = true;
    if (input.trim() === '') {
      setResult(undefined);
      return;
    }
    let key: Uint8Array;
    try {
      key = parseMasterKey(input);
    } catch (err) {
      setResult({ message: err instanceof KeyFormatError ? err.message : 'Not a valid key', tone: 'error' });
      return;
    }
    keyFingerprint(key).then(
      (fingerprint) => {
        if (!current) return;
        if (status.status === 'active' && fingerprint === status.fingerprint) {
          setResult({
            fingerprint,
            tone: 'ok',
            message: `Matches the active key (version ${status.version ?? '?'}).`,
          });
          return;
        }
        const old = status.history.find((h) => h.fingerprint === fingerprint);
        if (old) {
          setResult({
            fingerprint,
            tone: 'warn',
            message: `Matches version ${old.version}, retired ${formatTime(old.retired_at)}: deploy the active key instead.`,
          });
          return;
        }
        setResult({
          fingerprint,
          tone: 'error',
          message:
            status.status === 'active'
              ? 'Does not match the active key.'
              : 'This app has no active key to compare with.',
        });
      },
      (err: unknown) => {
        if (current) setResult({ message: err instanceof Error ? err.message : String(err), tone: 'error' });
      },
    );
    return () => {
      current = false;
    };
  }, [input, status]);

  return (
    <div class="verify">
      <h3 id="verify-title">Verify a key</h3>
      <p class="muted small">
        Paste a key to check which one you deployed. Its fingerprint is computed in this browser; the key is
        never sent anywhere.
      </p>
      <label for="verify-key">Key to verify (base64)</label>
      <input
        id="verify-key"
        type="text"
        class="mono"
        autocomplete="off"
        spellcheck={false}
        data-1p-ignore
        data-lpignore="true"
        value={input}
        onInput={(e) => {
          setInput(e.currentTarget.value);
        }}
      />
      <div role="status" aria-live="polite" data-testid="verify-result">
        {result && (
          <p class={`note ${result.tone}`}>
            {result.fingerprint && (
              <>
                Fingerprint <code>{result.fingerprint}</code>.{' '}
              </>
            )}
            {result.message}
          </p>
        )}
      </div>
    </div>
  );
}

/** The window a dashboard rotation opens (docs/encrypted-channels.md: a day). */
const ROTATION_WINDOW_SECONDS = 86_400;

export function EncryptionPanel({ app }: { app: App }): JSX.Element {
  const { session, account, plan } = useSession();
  const [status, setStatus] = useState<EncryptionKeyStatus>();
  const [created, setCreated] = useState<NewEncryptionKey>();
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const [dialog, setDialog] = useState<'rotate' | 'retire'>();
  const [featureDenied, setFeatureDenied] = useState(false);

  const load = useCallback(() => {
    api.encryptionKey(app.id).then(setStatus, setError);
  }, [app.id]);
  useEffect(load, [load]);

  const planKnown = plan !== undefined || account !== undefined;
  // Until the plan is known nothing is offered, so a Free account never sees a Generate button.
  const allowed = planKnown && !featureDenied && (plan ? plan.encrypted_channels : account?.plan !== 'free');
  const mayManage = can(session.role, 'keys');
  // The API's history lists every version, the active one included.
  const retired = status ? status.history.filter((h) => h.retired_at !== null) : [];

  const run = async (action: () => Promise<NewEncryptionKey | undefined>): Promise<void> => {
    setBusy(true);
    setError(undefined);
    try {
      const result = await action();
      setCreated(result);
      setDialog(undefined);
      load();
    } catch (err) {
      if (err instanceof ApiError && err.code === 'plan_feature_unavailable') setFeatureDenied(true);
      setError(err);
      setDialog(undefined);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section class="card" aria-labelledby="enc-title" data-testid="encryption-panel">
      <h2 id="enc-title">Encryption master key</h2>
      <p class="muted">
        Channels named <code>private-encrypted-*</code> are end-to-end encrypted: publishers encrypt with this
        32-byte key and subscribers decrypt, so Mawjly only ever routes ciphertext. Mawjly stores the key's
        fingerprint, never the key.
      </p>
      {!allowed && (planKnown || featureDenied) && (
        <div class="upgrade" role="note" data-testid="encryption-upgrade">
          <p>
            <strong>Encrypted channels need the Startup plan or above.</strong> Your account is on the{' '}
            {account?.plan ?? plan?.name ?? 'current'} plan, where subscribing to and publishing on encrypted
            channels is refused (403) and no master key can be generated.
          </p>
          <p>
            <Link href="/account">Upgrade your plan</Link> to use encrypted channels.
          </p>
        </div>
      )}
      <ErrorNote error={error} />
      {created && (
        <NewKeyNotice
          created={created}
          onDone={() => {
            setCreated(undefined);
          }}
        />
      )}
      {!status && error === undefined && <Loading />}
      {status?.status === 'none' && (
        <div>
          <p>This app has no encryption master key.</p>
          {allowed && mayManage && (
            <button
              type="button"
              class="primary"
              disabled={busy}
              onClick={() => void run(() => api.generateEncryptionKey(app.id))}
            >
              {busy ? 'Generating…' : 'Generate'}
            </button>
          )}
          {allowed && !mayManage && (
            <p class="muted small">Ask an owner, admin or developer to generate one.</p>
          )}
        </div>
      )}
      {status?.status === 'active' && (
        <div>
          <dl class="inline" data-testid="active-key">
            <dt>Fingerprint</dt>
            <dd>
              <code data-testid="active-fingerprint">{status.fingerprint}</code>
            </dd>
            <dt>Version</dt>
            <dd>{status.version}</dd>
            <dt>Created</dt>
            <dd>
              {formatTime(status.created_at)} by {formatActor(status.created_by)}
            </dd>
            {status.previous && (
              <>
                <dt>Previous key</dt>
                <dd data-testid="previous-key">
                  <code>{status.previous.fingerprint}</code> (version {status.previous.version}), previous
                  until {formatTime(status.previous.until)}
                </dd>
              </>
            )}
          </dl>
          {allowed && mayManage && (
            <div class="actions left">
              {status.previous ? (
                <button
                  type="button"
                  class="primary"
                  disabled={busy}
                  onClick={() =>
                    void run(async () => {
                      await api.finishKeyRotation(app.id);
                      return undefined;
                    })
                  }
                >
                  Finish rotation
                </button>
              ) : (
                <button
                  type="button"
                  class="danger"
                  onClick={() => {
                    setDialog('rotate');
                  }}
                >
                  Rotate
                </button>
              )}
              <button
                type="button"
                class="secondary"
                onClick={() => {
                  setDialog('retire');
                }}
              >
                Retire key
              </button>
            </div>
          )}
        </div>
      )}
      {retired.length > 0 && (
        <div>
          <h3 id="history-title">Retired keys</h3>
          <div class="table-wrap">
            <table class="table" data-testid="key-history" aria-labelledby="history-title">
              <thead>
                <tr>
                  <th scope="col">Version</th>
                  <th scope="col">Fingerprint</th>
                  <th scope="col">Created</th>
                  <th scope="col">Retired</th>
                </tr>
              </thead>
              <tbody>
                {retired.map((h) => (
                  <tr key={h.version}>
                    <td>{h.version}</td>
                    <td>
                      <code>{h.fingerprint}</code>
                    </td>
                    <td>
                      {formatTime(h.created_at)} by {formatActor(h.created_by)}
                    </td>
                    <td>{formatTime(h.retired_at)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </div>
      )}
      {status && (allowed || status.history.length > 0) && <VerifyKey status={status} />}
      <ConfirmDialog
        open={dialog === 'rotate'}
        title="Rotate the encryption master key?"
        confirmLabel="Rotate key"
        danger
        busy={busy}
        acknowledge="I understand that in-flight messages will be lost"
        onCancel={() => {
          setDialog(undefined);
        }}
        onConfirm={() => void run(() => api.rotateEncryptionKey(app.id, ROTATION_WINDOW_SECONDS))}
      >
        <p>
          For stock pusher-js subscribers, rotation <strong>invalidates in-flight messages</strong>: events
          encrypted with one key cannot be read with the other (the envelope carries no key id).
        </p>
        <p>
          The new key is shown once. The current key stays <em>previous</em> for a day: deploy both to your
          auth endpoints (<code>@mawjly/server</code> key ring) first, then the new key to publishers, then
          finish the rotation. Subscribers using <code>@mawjly/client</code> lose nothing meanwhile.
        </p>
      </ConfirmDialog>
      <ConfirmDialog
        open={dialog === 'retire'}
        title="Retire the encryption master key?"
        confirmLabel="Retire key"
        danger
        busy={busy}
        onCancel={() => {
          setDialog(undefined);
        }}
        onConfirm={() =>
          void run(async () => {
            await api.retireEncryptionKey(app.id);
            return undefined;
          })
        }
      >
        <p>
          The app will have no active key. Publishers that still use it keep working, but the dashboard can no
          longer verify it and you will need to generate a new key.
        </p>
      </ConfirmDialog>
    </section>
  );
}
