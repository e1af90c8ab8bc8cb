import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { api } from '../api.js';
import type { App } from '../api.js';
import { ErrorNote } from '../components/controls.js';
import { isEncryptedChannel } from '../channel-type.js';
import { can, useSession } from '../session.js';

export function EventsTab({ app }: { app: App }): JSX.Element {
  const { session } = useSession();
  const [channels, setChannels] = useState('my-channel');
  const [name, setName] = useState('my-event');
  const [data, setData] = useState('{\n  "message": "hello"\n}');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const [sent, setSent] = useState('');

  const list = channels
    .split(/[\s,]+/)
    .map((c) => c.trim())
    .filter((c) => c !== '');
  const encrypted = list.some(isEncryptedChannel);

  const send = async (e: Event): Promise<void> => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    setSent('');
    try {
      await api.publish(app.id, { name: name.trim(), channels: list, data });
      setSent(`Sent ${name.trim()} to ${list.join(', ')} at ${new Date().toISOString().slice(11, 19)} UTC.`);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  if (!can(session.role, 'write')) {
    return <p class="muted">Viewers cannot publish events.</p>;
  }
  return (
    <form class="card" onSubmit={(e) => void send(e)} aria-labelledby="creator-title">
      <h2 id="creator-title">Send an event</h2>
      <label for="ev-channels">Channels (comma or space separated, up to 100)</label>
      <input
        id="ev-channels"
        required
        value={channels}
        onInput={(e) => {
          setChannels(e.currentTarget.value);
        }}
      />
      <label for="ev-name">Event name</label>
      <input
        id="ev-name"
        required
        maxLength={200}
        value={name}
        onInput={(e) => {
          setName(e.currentTarget.value);
        }}
      />
      <label for="ev-data">Data (sent as a string; JSON is conventional)</label>
      <textarea
        id="ev-data"
        rows={8}
        class="mono"
        value={data}
        onInput={(e) => {
          setData(e.currentTarget.value);
        }}
      />
      {encrypted && (
        <p class="note warn">
          Encrypted channels only accept ciphertext produced by a server SDK configured with the master key (
          <code>{'{"nonce","ciphertext"}'}</code>); Mawjly refuses plaintext there.
        </p>
      )}
      <ErrorNote error={error} />
      <div role="status" aria-live="polite">
        {sent && <p class="note ok">{sent}</p>}
      </div>
      <button type="submit" class="primary" disabled={busy || list.length === 0 || name.trim() === ''}>
        {busy ? 'Sending…' : 'Send event'}
      </button>
    </form>
  );
}
