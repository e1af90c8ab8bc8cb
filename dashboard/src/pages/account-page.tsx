import type { JSX } from 'preact';
import { useCallback, useEffect, useState } from 'preact/hooks';
import { api, SCOPES } from '../api.js';
import type { AuditEntry, Member, Plan, Role, Token, Usage } from '../api.js';
import { ConfirmDialog, CopyButton, ErrorNote, Loading, Meter } from '../components/controls.js';
import { formatActor, formatNumber, formatTime } from '../format.js';
import { Link } from '../router.js';
import { can, grantableRoles, useSession } from '../session.js';

const TABS = [
  { id: 'plan', label: 'Plan and usage' },
  { id: 'team', label: 'Team' },
  { id: 'tokens', label: 'API tokens' },
  { id: 'audit', label: 'Audit log' },
] as const;

/** The account name as one shell word (names may hold spaces: docs/cli.md). */
function shellQuote(value: string): string {
  return /^[A-Za-z0-9._@-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}

function PlanTab({ usage }: { usage: Usage | undefined }): JSX.Element {
  const { account } = useSession();
  const [plans, setPlans] = useState<Plan[]>();
  const [error, setError] = useState<unknown>();
  useEffect(() => {
    api.plans().then((r) => {
      setPlans(r.plans);
    }, setError);
  }, []);
  return (
    <div class="stack">
      <section class="card" aria-labelledby="plan-title">
        <h2 id="plan-title">Your plan: {account?.plan ?? '…'}</h2>
        {usage ? (
          <>
            <Meter
              label={`Messages today (${usage.day})`}
              used={usage.messages}
              quota={usage.message_quota}
            />
            <Meter label="Concurrent connections" used={usage.connections} quota={usage.connection_quota} />
          </>
        ) : (
          <Loading />
        )}
        <p class="muted small">
          At 80 % of a quota you get a warning; at 100 % new connections (error 4004) and publishes (403) are
          refused while existing connections stay.
        </p>
      </section>
      <section class="card" aria-labelledby="change-plan-title">
        <h2 id="change-plan-title">Changing plan</h2>
        <p>
          A plan is set by the operator of this Mawjly server, not from the dashboard or the API. The operator
          (or you, if you host Mawjly yourself) runs, on a machine with access to the server's data directory
          or database:
        </p>
        <pre data-testid="set-plan-command">
          <code>{`mawjly accounts set-plan ${shellQuote(account?.name ?? 'ACCOUNT')} PLAN`}</code>
        </pre>
        <p class="muted small">
          PLAN is one of {plans ? plans.map((p) => p.name).join(', ') : 'free, startup, pro, business'}. The
          new limits apply to every app of the account at once, on every node.
        </p>
      </section>
      <ErrorNote error={error} />
      {plans && (
        <section class="card" aria-labelledby="plans-title">
          <h2 id="plans-title">Plans</h2>
          <div class="table-wrap">
            <table class="table">
              <thead>
                <tr>
                  <th scope="col">Plan</th>
                  <th scope="col">Connections</th>
                  <th scope="col">Messages / day</th>
                  <th scope="col">Apps</th>
                  <th scope="col">Presence members</th>
                  <th scope="col">Client events</th>
                  <th scope="col">Encrypted channels</th>
                </tr>
              </thead>
              <tbody>
                {plans.map((p) => (
                  <tr key={p.name} class={p.name === account?.plan ? 'current' : ''}>
                    <th scope="row">
                      <span class="plan-name">{p.name}</span>
                      {p.name === account?.plan && <span class="badge ok">current</span>}
                    </th>
                    <td>{formatNumber(p.max_connections)}</td>
                    <td>{formatNumber(p.max_messages_per_day)}</td>
                    <td>{formatNumber(p.max_apps)}</td>
                    <td>{formatNumber(p.max_presence_members)}</td>
                    <td>{p.client_events ? 'yes' : 'no'}</td>
                    <td>{p.encrypted_channels ? 'yes' : 'no'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </section>
      )}
    </div>
  );
}

function TeamTab(): JSX.Element {
  const { session } = useSession();
  const [members, setMembers] = useState<Member[]>();
  const [error, setError] = useState<unknown>();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [role, setRole] = useState<Role>('developer');
  const [removing, setRemoving] = useState<Member>();
  const manage = can(session.role, 'team');
  const grantable = grantableRoles(session.role);
  const manages = (m: Member): boolean => manage && m.id !== session.user.id && grantable.includes(m.role);
  const load = useCallback(() => {
    api.team().then((r) => {
      setMembers(r.members);
    }, setError);
  }, []);
  useEffect(load, [load]);

  const act = async (action: () => Promise<unknown>): Promise<void> => {
    setError(undefined);
    try {
      await action();
      load();
    } catch (err) {
      setError(err);
    }
  };

  return (
    <div class="stack">
      <ErrorNote error={error} />
      {!members && error === undefined && <Loading />}
      {members && (
        <table class="table">
          <thead>
            <tr>
              <th scope="col">Email</th>
              <th scope="col">Role</th>
              <th scope="col">Added</th>
              {manage && <th scope="col">Actions</th>}
            </tr>
          </thead>
          <tbody>
            {members.map((m) => (
              <tr key={m.id}>
                <td>{m.email}</td>
                <td>
                  {manages(m) ? (
                    <select
                      aria-label={`Role of ${m.email}`}
                      value={m.role}
                      onChange={(e) => void act(() => api.setRole(m.id, e.currentTarget.value as Role))}
                    >
                      {grantable.map((r) => (
                        <option key={r} value={r}>
                          {r}
                        </option>
                      ))}
                    </select>
                  ) : (
                    m.role
                  )}
                </td>
                <td>{formatTime(m.created_at)}</td>
                {manage && (
                  <td>
                    {manages(m) && (
                      <button
                        type="button"
                        class="danger small"
                        onClick={() => {
                          setRemoving(m);
                        }}
                      >
                        Remove
                      </button>
                    )}
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <p class="muted small">
        Owners and admins can do everything, but only owners add, change or remove owners; developers
        everything but team and token changes; viewers only read and never see a secret. A removed member's
        API tokens are revoked; a demoted member's tokens that hold more than the new role are revoked.
      </p>
      {manage && (
        <form
          class="card"
          aria-labelledby="add-member-title"
          onSubmit={(e) => {
            e.preventDefault();
            void act(async () => {
              await api.addMember({ email: email.trim(), password, role });
              setEmail('');
              setPassword('');
            });
          }}
        >
          <h2 id="add-member-title">Add a team member</h2>
          <label for="member-email">Email</label>
          <input
            id="member-email"
            type="email"
            required
            autocomplete="off"
            value={email}
            onInput={(e) => {
              setEmail(e.currentTarget.value);
            }}
          />
          <label for="member-password">Initial password</label>
          <input
            id="member-password"
            type="password"
            required
            minLength={8}
            autocomplete="new-password"
            value={password}
            onInput={(e) => {
              setPassword(e.currentTarget.value);
            }}
          />
          <label for="member-role">Role</label>
          <select
            id="member-role"
            value={role}
            onChange={(e) => {
              setRole(e.currentTarget.value as Role);
            }}
          >
            {grantable.map((r) => (
              <option key={r} value={r}>
                {r}
              </option>
            ))}
          </select>
          <button type="submit" class="primary">
            Add member
          </button>
        </form>
      )}
      <ConfirmDialog
        open={removing !== undefined}
        title="Remove this team member?"
        confirmLabel="Remove"
        danger
        onCancel={() => {
          setRemoving(undefined);
        }}
        onConfirm={() => {
          const m = removing;
          setRemoving(undefined);
          if (m) void act(() => api.removeMember(m.id));
        }}
      >
        <p>{removing?.email} loses access to this account at once.</p>
      </ConfirmDialog>
    </div>
  );
}

function TokensTab(): JSX.Element {
  const { session } = useSession();
  const [tokens, setTokens] = useState<Token[]>();
  const [error, setError] = useState<unknown>();
  const [name, setName] = useState('');
  const [scopes, setScopes] = useState<string[]>([]);
  const [days, setDays] = useState('');
  const [created, setCreated] = useState<string>();
  const [revoking, setRevoking] = useState<Token>();
  const manage = can(session.role, 'tokens');
  const load = useCallback(() => {
    api.tokens().then((r) => {
      setTokens(r.tokens);
    }, setError);
  }, []);
  useEffect(load, [load]);

  const create = async (e: Event): Promise<void> => {
    e.preventDefault();
    setError(undefined);
    try {
      const res = await api.createToken({
        name: name.trim(),
        ...(scopes.length > 0 ? { scopes } : {}),
        ...(days.trim() !== '' ? { expires_in_days: Number(days) } : {}),
      });
      setCreated(res.token);
      setName('');
      setScopes([]);
      setDays('');
      load();
    } catch (err) {
      setError(err);
    }
  };

  return (
    <div class="stack">
      <ErrorNote error={error} />
      {created && (
        <div class="new-key" role="region" aria-labelledby="new-token-title">
          <h3 id="new-token-title">Your new API token</h3>
          <p class="note warn">Copy it now: it is shown only once.</p>
          <div class="secret-box">
            <code class="key-value">{created}</code>
            <CopyButton value={created} />
          </div>
          <button
            type="button"
            class="secondary"
            onClick={() => {
              setCreated(undefined);
            }}
          >
            Done, hide it
          </button>
        </div>
      )}
      {!tokens && error === undefined && <Loading />}
      {tokens?.length === 0 && <p class="muted">No API tokens.</p>}
      {tokens && tokens.length > 0 && (
        <div class="table-wrap">
          <table class="table">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Prefix</th>
                <th scope="col">Scopes</th>
                <th scope="col">Last used</th>
                <th scope="col">Expires</th>
                {manage && <th scope="col">Actions</th>}
              </tr>
            </thead>
            <tbody>
              {tokens.map((t) => (
                <tr key={t.id}>
                  <td>{t.name}</td>
                  <td>
                    <code>{t.prefix}…</code>
                  </td>
                  <td class="small">{t.scopes.length === SCOPES.length ? 'all' : t.scopes.join(', ')}</td>
                  <td>{formatTime(t.last_used_at)}</td>
                  <td>{t.expires_at === null ? 'never' : formatTime(t.expires_at)}</td>
                  {manage && (
                    <td>
                      <button
                        type="button"
                        class="danger small"
                        onClick={() => {
                          setRevoking(t);
                        }}
                      >
                        Revoke
                      </button>
                    </td>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {manage && (
        <form class="card" onSubmit={(e) => void create(e)} aria-labelledby="new-token-form">
          <h2 id="new-token-form">Create a token</h2>
          <label for="token-name">Name</label>
          <input
            id="token-name"
            required
            value={name}
            onInput={(e) => {
              setName(e.currentTarget.value);
            }}
          />
          <fieldset>
            <legend>Scopes (none ticked = all scopes)</legend>
            <div class="scopes">
              {SCOPES.map((s) => (
                <label key={s} class="check">
                  <input
                    type="checkbox"
                    checked={scopes.includes(s)}
                    onChange={(e) => {
                      const on = e.currentTarget.checked;
                      setScopes((prev) => (on ? [...prev, s] : prev.filter((x) => x !== s)));
                    }}
                  />
                  <code>{s}</code>
                </label>
              ))}
            </div>
          </fieldset>
          <label for="token-days">Expires in (days, empty = never)</label>
          <input
            id="token-days"
            type="number"
            min={1}
            value={days}
            onInput={(e) => {
              setDays(e.currentTarget.value);
            }}
          />
          <button type="submit" class="primary" disabled={name.trim() === ''}>
            Create token
          </button>
        </form>
      )}
      <ConfirmDialog
        open={revoking !== undefined}
        title="Revoke this token?"
        confirmLabel="Revoke"
        danger
        onCancel={() => {
          setRevoking(undefined);
        }}
        onConfirm={() => {
          const t = revoking;
          setRevoking(undefined);
          if (t) {
            api.revokeToken(t.id).then(load, setError);
          }
        }}
      >
        <p>Scripts using {revoking?.name} stop working at once.</p>
      </ConfirmDialog>
    </div>
  );
}

function AuditTab(): JSX.Element {
  const [entries, setEntries] = useState<AuditEntry[]>();
  const [more, setMore] = useState(true);
  const [error, setError] = useState<unknown>();
  const loadMore = useCallback((before?: string) => {
    api.auditLog(before).then((r) => {
      setEntries((prev) => [...(before ? (prev ?? []) : []), ...r.entries]);
      setMore(r.entries.length === 50);
    }, setError);
  }, []);
  useEffect(() => {
    loadMore();
  }, [loadMore]);
  return (
    <div class="stack">
      <ErrorNote error={error} />
      {!entries && error === undefined && <Loading />}
      {entries && (
        <div class="table-wrap">
          <table class="table">
            <thead>
              <tr>
                <th scope="col">Time</th>
                <th scope="col">Actor</th>
                <th scope="col">Action</th>
                <th scope="col">Target</th>
                <th scope="col">Details</th>
              </tr>
            </thead>
            <tbody>
              {entries.map((e) => (
                <tr key={e.id}>
                  <td class="nowrap">{formatTime(e.time)}</td>
                  <td>{formatActor(e.actor)}</td>
                  <td>
                    <code>{e.action}</code>
                  </td>
                  <td>{e.target ?? '—'}</td>
                  <td class="small mono">
                    {Object.keys(e.details).length > 0 ? JSON.stringify(e.details) : ''}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {entries && more && entries.length > 0 && (
        <button
          type="button"
          class="secondary"
          onClick={() => {
            loadMore(entries[entries.length - 1]?.id);
          }}
        >
          Load older entries
        </button>
      )}
    </div>
  );
}

export function AccountPage({ tab, usage }: { tab: string; usage: Usage | undefined }): JSX.Element {
  const { account } = useSession();
  let body: JSX.Element;
  if (tab === 'team') body = <TeamTab />;
  else if (tab === 'tokens') body = <TokensTab />;
  else if (tab === 'audit') body = <AuditTab />;
  else body = <PlanTab usage={usage} />;
  const current = TABS.some((t) => t.id === tab) ? tab : 'plan';
  return (
    <section>
      <h1>Account{account ? <span class="muted"> · {account.name}</span> : null}</h1>
      <nav class="tabs" aria-label="Account sections">
        {TABS.map((t) => (
          <Link
            key={t.id}
            href={t.id === 'plan' ? '/account' : `/account/${t.id}`}
            aria-current={t.id === current ? 'page' : undefined}
          >
            {t.label}
          </Link>
        ))}
      </nav>
      <div class="tab-body">{body}</div>
    </section>
  );
}
