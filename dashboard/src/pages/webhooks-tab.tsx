// The Webhooks tab: an app's endpoints (add, edit, enable/disable, delete, test send) and each
// endpoint's delivery log (body on click, retry of failing or dead-lettered batches). URLs, header
// names and bodies are the customer's: they are only ever rendered as text, never as links or HTML.
import type { JSX } from 'preact';
import { useCallback, useEffect, useState } from 'preact/hooks';
import { ApiError, type App } from '../api.js';
import { ConfirmDialog, ErrorNote, Loading } from '../components/controls.js';
import { formatTime } from '../format.js';
import { Link } from '../router.js';
import { can, useSession } from '../session.js';
import {
  WEBHOOK_EVENT_TYPES,
  webhooksApi,
  type Webhook,
  type WebhookDelivery,
  type WebhookEventType,
  type WebhookInput,
  type WebhookTestResult,
} from '../webhooks-api.js';

const MAX_HEADERS = 10;
const REFRESH_MS = 10_000;

const EVENT_LABELS: Record<WebhookEventType, string> = {
  channel_occupied: 'channel_occupied: a channel gets its first subscriber',
  channel_vacated: 'channel_vacated: its last subscriber leaves',
  member_added: 'member_added: a user joins a presence channel',
  member_removed: 'member_removed: a user leaves a presence channel',
  client_event: 'client_event: a client sends a client-* event',
  cache_miss: 'cache_miss: a cache channel is subscribed with nothing cached',
  subscription_count: 'subscription_count: the subscriber count changes',
};

function prettyBody(body: string): string {
  try {
    return JSON.stringify(JSON.parse(body), null, 2);
  } catch {
    return body;
  }
}

function latency(ms: number | null): string {
  return ms === null ? '—' : `${ms.toLocaleString('en-US')} ms`;
}

// ---------------------------------------------------------------------------------------------
// Add / edit form

interface HeaderRow {
  name: string;
  value: string;
}

function EndpointForm({
  app,
  hook,
  onSaved,
  onCancel,
}: {
  app: App;
  hook: Webhook | undefined;
  onSaved: (hook: Webhook) => void;
  onCancel: () => void;
}): JSX.Element {
  const { plan } = useSession();
  const editing = hook !== undefined;
  const idp = editing ? 'wh-edit' : 'wh-add';
  const [url, setUrl] = useState(hook?.url ?? '');
  const [types, setTypes] = useState<Set<WebhookEventType>>(
    new Set(hook?.event_types ?? WEBHOOK_EVENT_TYPES),
  );
  const [prefix, setPrefix] = useState(hook?.channel_prefix ?? '');
  const [enabled, setEnabled] = useState(hook?.enabled ?? true);
  const currentHeaders = Object.entries(hook?.headers ?? {});
  // Saved header values come back masked, so an edit either keeps them all or replaces them all.
  const [replaceHeaders, setReplaceHeaders] = useState(!editing);
  const [headers, setHeaders] = useState<HeaderRow[]>(
    editing ? currentHeaders.map(([name]) => ({ name, value: '' })) : [],
  );
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();

  const setHeader = (index: number, patch: Partial<HeaderRow>): void => {
    setHeaders(headers.map((h, i) => (i === index ? { ...h, ...patch } : h)));
  };

  const submit = async (e: Event): Promise<void> => {
    e.preventDefault();
    setError(undefined);
    if (types.size === 0) {
      setError(new Error('Choose at least one event type.'));
      return;
    }
    const body: WebhookInput = {
      url: url.trim(),
      event_types: WEBHOOK_EVENT_TYPES.filter((t) => types.has(t)),
      enabled,
    };
    const trimmedPrefix = prefix.trim();
    if (trimmedPrefix !== '') body.channel_prefix = trimmedPrefix;
    else if (editing && hook.channel_prefix !== null) body.channel_prefix = null;
    if (replaceHeaders) {
      const rows = headers.filter((h) => h.name.trim() !== '' || h.value !== '');
      body.headers = Object.fromEntries(rows.map((h) => [h.name.trim(), h.value]));
    }
    setBusy(true);
    try {
      onSaved(
        editing ? await webhooksApi.update(app.id, hook.id, body) : await webhooksApi.create(app.id, body),
      );
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };

  const limitReached = error instanceof ApiError && error.code === 'webhook_limit_reached';
  return (
    <form class="webhook-form" aria-labelledby={`${idp}-title`} onSubmit={(e) => void submit(e)}>
      <h3 id={`${idp}-title`}>{editing ? 'Edit endpoint' : 'Add an endpoint'}</h3>
      <label for={`${idp}-url`}>Endpoint URL</label>
      <input
        id={`${idp}-url`}
        type="url"
        required
        maxLength={2048}
        placeholder="https://example.com/pusher/webhooks"
        value={url}
        onInput={(e) => {
          setUrl(e.currentTarget.value);
        }}
      />
      <fieldset>
        <legend>Event types</legend>
        <div class="event-types">
          {WEBHOOK_EVENT_TYPES.map((t) => (
            <label key={t} class="check">
              <input
                type="checkbox"
                name="event_types"
                value={t}
                checked={types.has(t)}
                onChange={(e) => {
                  const next = new Set(types);
                  if (e.currentTarget.checked) next.add(t);
                  else next.delete(t);
                  setTypes(next);
                }}
              />
              <span>
                <code>{t}</code>
                <span class="muted small"> {EVENT_LABELS[t].slice(t.length + 1)}</span>
              </span>
            </label>
          ))}
        </div>
      </fieldset>
      <label for={`${idp}-prefix`}>Channel prefix filter (optional)</label>
      <input
        id={`${idp}-prefix`}
        maxLength={200}
        placeholder="e.g. presence-room-"
        aria-describedby={`${idp}-prefix-help`}
        value={prefix}
        onInput={(e) => {
          setPrefix(e.currentTarget.value);
        }}
      />
      <p id={`${idp}-prefix-help`} class="muted small">
        Only events of channels whose name starts with this are sent; leave empty for every channel.
      </p>
      <fieldset>
        <legend>Extra headers</legend>
        {editing && currentHeaders.length > 0 && (
          <p class="small">
            Saved:{' '}
            {currentHeaders.map(([name, masked]) => (
              <span key={name} class="badge">
                {name}: {masked}
              </span>
            ))}
          </p>
        )}
        {editing && (
          <label class="check">
            <input
              type="checkbox"
              checked={replaceHeaders}
              onChange={(e) => {
                setReplaceHeaders(e.currentTarget.checked);
              }}
            />
            Replace the extra headers (saved values are not shown again, so enter every value)
          </label>
        )}
        {replaceHeaders && (
          <>
            {headers.map((h, i) => (
              <div class="row header-row" key={i}>
                <input
                  aria-label={`Header name ${i + 1}`}
                  placeholder="Authorization"
                  maxLength={64}
                  value={h.name}
                  onInput={(e) => {
                    setHeader(i, { name: e.currentTarget.value });
                  }}
                />
                <input
                  aria-label={`Header value ${i + 1}`}
                  placeholder="Bearer …"
                  maxLength={1024}
                  autocomplete="off"
                  value={h.value}
                  onInput={(e) => {
                    setHeader(i, { value: e.currentTarget.value });
                  }}
                />
                <button
                  type="button"
                  class="secondary small"
                  aria-label={`Remove header ${i + 1}`}
                  onClick={() => {
                    setHeaders(headers.filter((_, j) => j !== i));
                  }}
                >
                  Remove
                </button>
              </div>
            ))}
            <button
              type="button"
              class="secondary small"
              disabled={headers.length >= MAX_HEADERS}
              onClick={() => {
                setHeaders([...headers, { name: '', value: '' }]);
              }}
            >
              Add header
            </button>
            <p class="muted small">
              Sent with every delivery (at most {MAX_HEADERS}), e.g. a token your receiver checks.
              Content-Type, Host, X-Pusher-* and X-Mawjly-* are set by Mawjly.
            </p>
          </>
        )}
      </fieldset>
      <label class="check">
        <input
          type="checkbox"
          checked={enabled}
          onChange={(e) => {
            setEnabled(e.currentTarget.checked);
          }}
        />
        Enabled (a disabled endpoint gets no new events)
      </label>
      {limitReached ? (
        <CapNote max={plan?.max_webhook_endpoints ?? null} planName={plan?.name} message={errorText(error)} />
      ) : (
        <ErrorNote error={error} />
      )}
      <div class="actions left">
        <button type="submit" class="primary" disabled={busy}>
          {busy ? 'Saving…' : editing ? 'Save changes' : 'Add endpoint'}
        </button>
        <button type="button" class="secondary" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function CapNote({
  max,
  planName,
  message,
}: {
  max: number | null;
  planName: string | undefined;
  message?: string;
}): JSX.Element {
  return (
    <div class="upgrade" role="status" data-testid="webhook-cap">
      <p>
        <strong>This app has reached your plan's webhook endpoint limit</strong>
        {max !== null && planName ? ` (${max} per app on ${planName})` : ''}.
      </p>
      {message && <p class="small">{message}</p>}
      <p>
        Delete an endpoint you no longer use, or upgrade your plan for more.{' '}
        <Link href="/account">Compare plans</Link>
      </p>
    </div>
  );
}

// ---------------------------------------------------------------------------------------------
// Test result

interface TestOutcome {
  hook: Webhook;
  result?: WebhookTestResult;
  error?: unknown;
}

function TestResultNote({ outcome }: { outcome: TestOutcome }): JSX.Element {
  const { hook, result, error } = outcome;
  if (!result) {
    return (
      <div class="note error" data-testid="webhook-test-result">
        <p>
          Test send to <code>{hook.url}</code> could not run: {errorText(error)}
        </p>
      </div>
    );
  }
  return (
    <div class={`note ${result.ok ? 'ok' : 'error'}`} data-testid="webhook-test-result">
      <p>
        Test send to <code>{hook.url}</code>:{' '}
        {result.ok ? (
          <strong>receiver answered {result.status}</strong>
        ) : (
          <strong>failed{result.status !== null ? ` (receiver answered ${result.status})` : ''}</strong>
        )}{' '}
        in {latency(result.latency_ms)}.{result.error && <span class="block">{result.error}</span>}
      </p>
      <details>
        <summary>Body sent</summary>
        <pre>{prettyBody(result.body)}</pre>
      </details>
    </div>
  );
}

// ---------------------------------------------------------------------------------------------
// Delivery log

function StateBadge({ state }: { state: WebhookDelivery['state'] }): JSX.Element {
  const cls = state === 'delivered' ? 'ok' : state === 'dead' ? 'error' : state === 'retrying' ? 'warn' : '';
  return <span class={`badge ${cls}`}>{state === 'dead' ? 'dead-lettered' : state}</span>;
}

function DeliveryLog({
  app,
  hook,
  refreshKey,
  onChanged,
}: {
  app: App;
  hook: Webhook;
  refreshKey: number;
  onChanged: () => void;
}): JSX.Element {
  const { session } = useSession();
  const editable = can(session.role, 'write');
  const [rows, setRows] = useState<WebhookDelivery[]>();
  const [nextBefore, setNextBefore] = useState<string | null>(null);
  const [error, setError] = useState<unknown>();
  const [open, setOpen] = useState<string>();
  const [retrying, setRetrying] = useState<string>();
  const [note, setNote] = useState('');

  const load = useCallback(() => {
    webhooksApi.deliveries(app.id, hook.id).then(
      (res) => {
        setRows(res.deliveries);
        setNextBefore(res.next_before);
        setError(undefined);
      },
      (err: unknown) => {
        setError(err);
      },
    );
  }, [app.id, hook.id]);
  useEffect(load, [load, refreshKey]);

  const more = async (): Promise<void> => {
    if (nextBefore === null) return;
    try {
      const res = await webhooksApi.deliveries(app.id, hook.id, nextBefore);
      setRows([...(rows ?? []), ...res.deliveries]);
      setNextBefore(res.next_before);
    } catch (err) {
      setError(err);
    }
  };

  const retry = async (d: WebhookDelivery): Promise<void> => {
    setRetrying(d.id);
    setNote('');
    setError(undefined);
    try {
      const updated = await webhooksApi.retry(app.id, hook.id, d.id);
      setRows((rows ?? []).map((r) => (r.id === updated.id ? updated : r)));
      setNote(`Delivery ${d.id} queued again.`);
      onChanged();
    } catch (err) {
      setError(err);
    } finally {
      setRetrying(undefined);
    }
  };

  return (
    <div data-testid="delivery-log">
      <div role="status" aria-live="polite">
        {note && <p class="note ok">{note}</p>}
      </div>
      <ErrorNote error={error} />
      {rows === undefined && error === undefined && <Loading />}
      {rows !== undefined && rows.length === 0 && (
        <p class="muted">No deliveries yet. Batches appear here once events are sent to this endpoint.</p>
      )}
      {rows !== undefined && rows.length > 0 && (
        <div class="table-wrap">
          <table class="table deliveries">
            <caption class="muted small">
              Newest first. A failing batch is retried with backoff until its retry window ends, then
              dead-lettered.
            </caption>
            <thead>
              <tr>
                <th scope="col">Time</th>
                <th scope="col">Events</th>
                <th scope="col">Status</th>
                <th scope="col">Attempts</th>
                <th scope="col">Latency</th>
                <th scope="col">Next retry</th>
                <th scope="col">
                  <span class="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {rows.map((d) => {
                const expanded = open === d.id;
                return [
                  <tr key={d.id} data-delivery-id={d.id}>
                    <td class="nowrap">{formatTime(d.created_at)}</td>
                    <td>
                      {d.events.map((name, i) => (
                        <span key={i} class="badge">
                          {name}
                        </span>
                      ))}
                      {d.channels.length > 0 && (
                        <span class="muted small block">{d.channels.join(', ')}</span>
                      )}
                    </td>
                    <td>
                      <StateBadge state={d.state} />
                      {d.last_status !== null && <span class="small"> HTTP {d.last_status}</span>}
                      {d.last_error && d.last_error !== `HTTP ${d.last_status}` && (
                        <span class="muted small block">{d.last_error}</span>
                      )}
                    </td>
                    <td>{d.attempts}</td>
                    <td>{latency(d.latency_ms)}</td>
                    <td class="nowrap">{formatTime(d.next_attempt_at)}</td>
                    <td class="nowrap">
                      <button
                        type="button"
                        class="secondary small"
                        aria-expanded={expanded}
                        aria-controls={`body-${d.id}`}
                        onClick={() => {
                          setOpen(expanded ? undefined : d.id);
                        }}
                      >
                        {expanded ? 'Hide body' : 'Body'}
                      </button>
                      {editable && (d.state === 'retrying' || d.state === 'dead') && (
                        <button
                          type="button"
                          class="primary small"
                          disabled={retrying === d.id}
                          onClick={() => void retry(d)}
                        >
                          {retrying === d.id ? 'Retrying…' : 'Retry'}
                        </button>
                      )}
                    </td>
                  </tr>,
                  expanded ? (
                    <tr key={`${d.id}-body`} id={`body-${d.id}`}>
                      <td colSpan={7}>
                        <p class="small muted">
                          Delivery id (<code>X-Mawjly-Delivery-Id</code>): <code>{d.id}</code> · retried until{' '}
                          {formatTime(d.retry_until)}
                        </p>
                        <pre data-testid="delivery-body">{prettyBody(d.body)}</pre>
                      </td>
                    </tr>
                  ) : null,
                ];
              })}
            </tbody>
          </table>
        </div>
      )}
      <div class="actions left">
        <button type="button" class="secondary small" onClick={load}>
          Refresh log
        </button>
        {nextBefore !== null && (
          <button type="button" class="secondary small" onClick={() => void more()}>
            Older deliveries
          </button>
        )}
      </div>
    </div>
  );
}

// ---------------------------------------------------------------------------------------------
// The tab

export function WebhooksTab({
  app,
  onFailingChange,
}: {
  app: App;
  onFailingChange?: (failing: boolean) => void;
}): JSX.Element {
  const { session, plan } = useSession();
  const editable = can(session.role, 'write');
  const [hooks, setHooks] = useState<Webhook[]>();
  const [error, setError] = useState<unknown>();
  const [form, setForm] = useState<{ hook?: Webhook } | undefined>();
  const [toDelete, setToDelete] = useState<Webhook>();
  const [busy, setBusy] = useState(false);
  const [testing, setTesting] = useState<string>();
  const [outcome, setOutcome] = useState<TestOutcome>();
  const [selected, setSelected] = useState<string>();
  const [saved, setSaved] = useState('');
  const [refreshKey, setRefreshKey] = useState(0);

  const load = useCallback(() => {
    webhooksApi.list(app.id).then(
      (res) => {
        setHooks(res.webhooks);
        setError(undefined);
        onFailingChange?.(res.webhooks.some((h) => h.failing));
      },
      (err: unknown) => {
        setError(err);
      },
    );
  }, [app.id, onFailingChange]);
  useEffect(load, [load]);
  useEffect(() => {
    const timer = setInterval(() => {
      load();
      setRefreshKey((k) => k + 1);
    }, REFRESH_MS);
    return () => {
      clearInterval(timer);
    };
  }, [load]);

  const max = plan?.max_webhook_endpoints ?? null;
  const atCap = hooks !== undefined && max !== null && hooks.length >= max;
  const logHook = hooks?.find((h) => h.id === selected) ?? hooks?.[0];

  const setEnabled = async (hook: Webhook, enabled: boolean): Promise<void> => {
    setError(undefined);
    setSaved('');
    try {
      await webhooksApi.update(app.id, hook.id, { enabled });
      setSaved(`${enabled ? 'Enabled' : 'Disabled'} ${hook.url}.`);
      load();
    } catch (err) {
      setError(err);
    }
  };

  const test = async (hook: Webhook): Promise<void> => {
    setTesting(hook.id);
    setOutcome(undefined);
    try {
      setOutcome({ hook, result: await webhooksApi.test(app.id, hook.id) });
    } catch (err) {
      setOutcome({ hook, error: err });
    } finally {
      setTesting(undefined);
    }
  };

  const remove = async (): Promise<void> => {
    if (!toDelete) return;
    setBusy(true);
    setError(undefined);
    setSaved('');
    try {
      await webhooksApi.remove(app.id, toDelete.id);
      setSaved(`Deleted ${toDelete.url}.`);
      if (outcome?.hook.id === toDelete.id) setOutcome(undefined);
      load();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
      setToDelete(undefined);
    }
  };

  return (
    <div class="stack">
      <section class="card" aria-labelledby="webhooks-title">
        <h2 id="webhooks-title">Webhook endpoints</h2>
        <p class="muted">
          Mawjly POSTs batches of events to these URLs, signed like Pusher's webhooks (
          <code>X-Pusher-Key</code>, <code>X-Pusher-Signature</code>: HMAC-SHA256 of the body with the app
          secret). A receiver that does not answer 2xx is retried with backoff.
          {max !== null && hooks !== undefined && plan
            ? ` ${hooks.length} of ${max} endpoint${max === 1 ? '' : 's'} used (${plan.name} plan).`
            : ''}
        </p>
        <div role="status" aria-live="polite">
          {saved && <p class="note ok">{saved}</p>}
        </div>
        <ErrorNote error={error} />
        {hooks === undefined && error === undefined && <Loading />}
        {hooks !== undefined && hooks.length === 0 && <p>No endpoints yet.</p>}
        {hooks !== undefined && hooks.length > 0 && (
          <div class="table-wrap">
            <table class="table webhooks">
              <thead>
                <tr>
                  <th scope="col">URL</th>
                  <th scope="col">Events</th>
                  <th scope="col">Channels</th>
                  <th scope="col">State</th>
                  <th scope="col">
                    <span class="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {hooks.map((h) => (
                  <tr key={h.id} data-webhook-id={h.id}>
                    <td class="wrap-anywhere">
                      <code>{h.url}</code>
                      {Object.keys(h.headers).length > 0 && (
                        <span class="muted small block">
                          + {Object.keys(h.headers).length} extra header
                          {Object.keys(h.headers).length === 1 ? '' : 's'}
                        </span>
                      )}
                    </td>
                    <td class="small">
                      {h.event_types.length === WEBHOOK_EVENT_TYPES.length ? 'all' : h.event_types.join(', ')}
                    </td>
                    <td class="small">
                      {h.channel_prefix === null ? 'all' : <code class="nowrap">{h.channel_prefix}*</code>}
                    </td>
                    <td>
                      {h.enabled ? (
                        <span class="badge ok">enabled</span>
                      ) : (
                        <span class="badge off">disabled</span>
                      )}
                      {h.failing && (
                        <span class="badge error" data-testid="webhook-failing">
                          failing
                        </span>
                      )}
                      {h.deliveries.retrying + h.deliveries.dead + h.deliveries.pending > 0 && (
                        <span class="muted small block">
                          {h.deliveries.pending} pending · {h.deliveries.retrying} retrying ·{' '}
                          {h.deliveries.dead} dead-lettered
                        </span>
                      )}
                    </td>
                    <td class="row-actions">
                      {editable && (
                        <>
                          <button
                            type="button"
                            class="primary small"
                            disabled={testing !== undefined}
                            onClick={() => void test(h)}
                          >
                            {testing === h.id ? 'Sending…' : 'Send test'}
                          </button>
                          <button
                            type="button"
                            class="secondary small"
                            onClick={() => {
                              setForm({ hook: h });
                            }}
                          >
                            Edit
                          </button>
                          <button
                            type="button"
                            class="secondary small"
                            onClick={() => void setEnabled(h, !h.enabled)}
                          >
                            {h.enabled ? 'Disable' : 'Enable'}
                          </button>
                          <button
                            type="button"
                            class="danger small"
                            onClick={() => {
                              setToDelete(h);
                            }}
                          >
                            Delete
                          </button>
                        </>
                      )}
                      <button
                        type="button"
                        class="secondary small"
                        aria-pressed={logHook?.id === h.id}
                        onClick={() => {
                          setSelected(h.id);
                        }}
                      >
                        Deliveries
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        <div aria-live="polite">{outcome && <TestResultNote outcome={outcome} />}</div>
        {editable && form?.hook !== undefined && (
          <EndpointForm
            key={form.hook.id}
            app={app}
            hook={form.hook}
            onSaved={(h) => {
              setForm(undefined);
              setSaved(`Saved ${h.url}.`);
              load();
            }}
            onCancel={() => {
              setForm(undefined);
            }}
          />
        )}
        {editable && form === undefined && hooks !== undefined && (
          <div class="actions left">
            {atCap ? (
              <CapNote max={max} planName={plan?.name} />
            ) : (
              <button
                type="button"
                class="primary"
                onClick={() => {
                  setForm({});
                }}
              >
                Add endpoint
              </button>
            )}
          </div>
        )}
        {editable && form !== undefined && form.hook === undefined && (
          <EndpointForm
            app={app}
            hook={undefined}
            onSaved={(h) => {
              setForm(undefined);
              setSelected(h.id);
              setSaved(`Added ${h.url}.`);
              load();
            }}
            onCancel={() => {
              setForm(undefined);
            }}
          />
        )}
        <ConfirmDialog
          open={toDelete !== undefined}
          title="Delete this webhook endpoint?"
          confirmLabel="Delete endpoint"
          danger
          busy={busy}
          onCancel={() => {
            setToDelete(undefined);
          }}
          onConfirm={() => void remove()}
        >
          <p>
            <code class="wrap-anywhere">{toDelete?.url}</code> stops receiving events at once. Its queued
            events and its delivery log are deleted with it.
          </p>
        </ConfirmDialog>
      </section>
      {logHook && (
        <section class="card" aria-labelledby="deliveries-title">
          <h2 id="deliveries-title">Delivery log</h2>
          <p class="muted small">
            <code class="wrap-anywhere">{logHook.url}</code>
          </p>
          <DeliveryLog key={logHook.id} app={app} hook={logHook} refreshKey={refreshKey} onChanged={load} />
        </section>
      )}
    </div>
  );
}
