// Debug console: the app's event stream (server-sent events), starting with the last events the
// server kept for the app (up to 100), then live. Encrypted channels show their ciphertext; a master key pasted here decrypts them in this page only (WebCrypto + tweetnacl).
import type { JSX } from 'preact';
import { useEffect, useMemo, useState } from 'preact/hooks';
import { api } from '../api.js';
import type { App } from '../api.js';
import { isEncryptedChannel } from '../channel-type.js';
import { decryptEnvelope, KeyFormatError, parseMasterKey, readEnvelope } from '../crypto.js';
import type { Decrypted } from '../crypto.js';
import { formatEventType } from '../format.js';

interface DebugEvent {
  readonly seq: number;
  /** The server's event id (SSE `id:`), to skip the backlog replayed again after a reconnect. */
  readonly id: string;
  readonly type: string;
  readonly time: string | number | undefined;
  readonly channel: string | undefined;
  readonly event: string | undefined;
  readonly socketId: string | undefined;
  readonly data: unknown;
  readonly extra: Record<string, unknown>;
}

const MAX_EVENTS = 500;
export const CATEGORIES = [
  'connections',
  'subscriptions',
  'api messages',
  'client events',
  'errors',
  'other',
] as const;
type Category = (typeof CATEGORIES)[number];
/** The filter's labels, for people. */
export const CATEGORY_LABELS: Record<Category, string> = {
  connections: 'Connections',
  subscriptions: 'Subscriptions',
  'api messages': 'API messages',
  'client events': 'Client events',
  errors: 'Errors',
  other: 'Other',
};
/** Named SSE events the stream may use besides unnamed `message` events. */
const NAMED_EVENTS = [
  'connection',
  'disconnection',
  'connected',
  'disconnected',
  'subscribed',
  'unsubscribed',
  'subscription',
  'unsubscription',
  'api_message',
  'client_event',
  'error',
  'occupied',
  'vacated',
  'member_added',
  'member_removed',
  'debug',
];

export function categoryOf(type: string): Category {
  const t = type.toLowerCase();
  if (t.includes('error') || t.includes('fail') || t.includes('denied') || t.includes('refused'))
    return 'errors';
  if (t.includes('client')) return 'client events';
  if (t.includes('api') || t.includes('publish') || t.includes('message') || t.includes('trigger'))
    return 'api messages';
  if (t.includes('subscri') || t.includes('occupied') || t.includes('vacated') || t.includes('member')) {
    return 'subscriptions';
  }
  if (t.includes('connect') || t.includes('signin') || t.includes('socket')) return 'connections';
  return 'other';
}

function formatClock(time: string | number | undefined): string {
  if (time === undefined) return '';
  const d = new Date(time);
  return Number.isNaN(d.getTime()) ? String(time) : d.toISOString().slice(11, 23);
}

function show(value: unknown): string {
  if (typeof value === 'string') {
    try {
      return JSON.stringify(JSON.parse(value), null, 2);
    } catch {
      return value;
    }
  }
  return JSON.stringify(value, null, 2);
}

function Plaintext({
  entry,
  masterKey,
}: {
  entry: DebugEvent;
  masterKey: Uint8Array | undefined;
}): JSX.Element | null {
  const [result, setResult] = useState<Decrypted>();
  const envelope = useMemo(() => readEnvelope(entry.data), [entry.data]);
  useEffect(() => {
    setResult(undefined);
    if (!masterKey || !envelope || entry.channel === undefined) return;
    let current = true;
    decryptEnvelope(entry.channel, envelope, masterKey).then(
      (r) => {
        if (current) setResult(r);
      },
      (err: unknown) => {
        if (current) setResult({ ok: false, reason: err instanceof Error ? err.message : String(err) });
      },
    );
    return () => {
      current = false;
    };
  }, [entry.channel, envelope, masterKey]);
  if (!envelope) return null;
  if (!masterKey)
    return <p class="muted small">Encrypted: paste the master key above to decrypt it in this browser.</p>;
  if (!result) return <p class="muted small">Decrypting…</p>;
  if (!result.ok) return <p class="note error small">{result.reason}</p>;
  return (
    <div class="plaintext">
      <span class="badge ok">decrypted in your browser</span>
      <pre data-testid="plaintext">
        {result.json === undefined ? result.text : JSON.stringify(result.json, null, 2)}
      </pre>
    </div>
  );
}

function Entry({ entry, masterKey }: { entry: DebugEvent; masterKey: Uint8Array | undefined }): JSX.Element {
  const encrypted = entry.channel !== undefined && isEncryptedChannel(entry.channel);
  const category = categoryOf(entry.type);
  const extras = Object.entries(entry.extra);
  return (
    <li class={`debug-entry cat-${category.replace(' ', '-')}`} data-type={entry.type}>
      <div class="debug-head">
        <time class="mono small">{formatClock(entry.time)}</time>
        <span class="badge" title={entry.type}>
          {formatEventType(entry.type)}
        </span>
        {entry.channel !== undefined && <code class="channel">{entry.channel}</code>}
        {encrypted && <span class="badge type-encrypted">encrypted</span>}
        {entry.event !== undefined && (
          <span>
            event <code>{entry.event}</code>
          </span>
        )}
        {entry.socketId !== undefined && <span class="muted small">socket {entry.socketId}</span>}
      </div>
      {entry.data !== undefined && (
        <>
          {encrypted && <span class="muted small">Ciphertext as Mawjly sees it:</span>}
          <pre class={encrypted ? 'ciphertext' : ''} data-testid={encrypted ? 'ciphertext' : 'data'}>
            {show(entry.data)}
          </pre>
        </>
      )}
      {encrypted && <Plaintext entry={entry} masterKey={masterKey} />}
      {extras.length > 0 && (
        <pre class="muted small extra">{extras.map(([k, v]) => `${k}: ${show(v)}`).join('\n')}</pre>
      )}
    </li>
  );
}

export function DebugTab({ app }: { app: App }): JSX.Element {
  const [events, setEvents] = useState<DebugEvent[]>([]);
  const [state, setState] = useState<'connecting' | 'live' | 'reconnecting' | 'closed'>('connecting');
  const [attempt, setAttempt] = useState(0);
  const [paused, setPaused] = useState(false);
  const [category, setCategory] = useState<Category | 'all'>('all');
  const [channelFilter, setChannelFilter] = useState('');
  const [keyInput, setKeyInput] = useState('');

  useEffect(() => {
    if (paused) return;
    let seq = 0;
    const source = new EventSource(api.debugStreamUrl(app.id));
    const onMessage = (e: MessageEvent<string>): void => {
      let raw: Record<string, unknown>;
      try {
        const parsed: unknown = JSON.parse(e.data);
        if (typeof parsed !== 'object' || parsed === null) return;
        raw = parsed as Record<string, unknown>;
      } catch {
        return;
      }
      const { type, time, channel, event, data, socket_id: socketId, ...extra } = raw;
      const entry: DebugEvent = {
        seq: ++seq,
        id: e.lastEventId,
        type: typeof type === 'string' ? type : e.type,
        time: typeof time === 'string' || typeof time === 'number' ? time : Date.now(),
        channel: typeof channel === 'string' ? channel : undefined,
        event: typeof event === 'string' ? event : undefined,
        socketId: typeof socketId === 'string' ? socketId : undefined,
        data,
        extra,
      };
      setEvents((prev) =>
        entry.id !== '' && prev.some((p) => p.id === entry.id) ? prev : [entry, ...prev].slice(0, MAX_EVENTS),
      );
    };
    source.onopen = () => {
      setState('live');
    };
    source.onerror = () => {
      // CLOSED: the server refused the stream (signed out, no debug:read); the browser will not retry.
      setState(source.readyState === EventSource.CLOSED ? 'closed' : 'reconnecting');
    };
    source.onmessage = onMessage;
    for (const name of NAMED_EVENTS) source.addEventListener(name, onMessage as EventListener);
    return () => {
      source.close();
    };
  }, [app.id, paused, attempt]);

  const keyState = useMemo((): { key?: Uint8Array; error?: string } => {
    if (keyInput.trim() === '') return {};
    try {
      return { key: parseMasterKey(keyInput) };
    } catch (err) {
      return { error: err instanceof KeyFormatError ? err.message : 'Not a valid key' };
    }
  }, [keyInput]);

  const filter = channelFilter.trim();
  const shown = events.filter(
    (e) =>
      (category === 'all' || categoryOf(e.type) === category) &&
      (filter === '' || (e.channel !== undefined && e.channel.includes(filter))),
  );

  return (
    <div class="stack">
      <div class="card debug-controls">
        <div class="row">
          <span
            class={`badge ${state === 'live' && !paused ? 'ok' : 'off'}`}
            role="status"
            aria-live="polite"
          >
            {paused ? 'paused' : state === 'closed' ? 'disconnected' : state}
          </span>
          {state === 'closed' && !paused && (
            <button
              type="button"
              class="secondary small"
              onClick={() => {
                setState('connecting');
                setAttempt(attempt + 1);
              }}
            >
              Reconnect
            </button>
          )}
          <button
            type="button"
            class="secondary small"
            aria-pressed={paused}
            onClick={() => {
              setPaused(!paused);
            }}
          >
            {paused ? 'Resume' : 'Pause'}
          </button>
          <button
            type="button"
            class="secondary small"
            onClick={() => {
              setEvents([]);
            }}
          >
            Clear
          </button>
        </div>
        <div class="row">
          <label for="debug-type">Type</label>
          <select
            id="debug-type"
            value={category}
            onChange={(e) => {
              setCategory(e.currentTarget.value as Category | 'all');
            }}
          >
            <option value="all">All</option>
            {CATEGORIES.map((c) => (
              <option key={c} value={c}>
                {CATEGORY_LABELS[c]}
              </option>
            ))}
          </select>
          <label for="debug-channel">Channel contains</label>
          <input
            id="debug-channel"
            type="search"
            value={channelFilter}
            onInput={(e) => {
              setChannelFilter(e.currentTarget.value);
            }}
          />
        </div>
        {/* A form (never submitted) around the key field, as browsers expect for password inputs. */}
        <form
          class="row"
          autocomplete="off"
          onSubmit={(e) => {
            e.preventDefault();
          }}
        >
          <label for="debug-key">Decrypt with master key</label>
          <input
            id="debug-key"
            type="password"
            class="mono grow"
            autocomplete="off"
            spellcheck={false}
            data-1p-ignore
            data-lpignore="true"
            placeholder="base64 key, stays in this page"
            value={keyInput}
            onInput={(e) => {
              setKeyInput(e.currentTarget.value);
            }}
          />
          {keyInput !== '' && (
            <button
              type="button"
              class="secondary small"
              onClick={() => {
                setKeyInput('');
              }}
            >
              Forget key
            </button>
          )}
        </form>
        <p class="muted small" id="debug-key-help">
          Encrypted events (<code>private-encrypted-*</code>) are decrypted in this browser; the key is never
          sent to Mawjly and is forgotten when you leave the page.
        </p>
        {keyState.error && (
          <p class="note error" role="alert">
            {keyState.error}
          </p>
        )}
      </div>
      <p class="muted small" role="status" aria-live="polite">
        {shown.length} of {events.length} events
        {events.length >= MAX_EVENTS ? ` (latest ${MAX_EVENTS} kept)` : ''}
      </p>
      {shown.length === 0 && (
        <p class="muted">
          Nothing yet: the server keeps this app's last 100 events and shows them here first. Connect a client
          or publish from the Event creator; it appears here live.
        </p>
      )}
      <ol class="debug-list" aria-label="Debug events, newest first">
        {shown.map((e) => (
          <Entry key={e.seq} entry={e} masterKey={keyState.key} />
        ))}
      </ol>
    </div>
  );
}
