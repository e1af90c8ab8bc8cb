import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api } from '../api.js';
import type { App, ChannelInfo } from '../api.js';
import { ErrorNote, Loading } from '../components/controls.js';
import { channelBadges } from '../channel-type.js';

const POLL_MS = 3000;

function Roster({ app, channel }: { app: App; channel: string }): JSX.Element {
  const [users, setUsers] = useState<{ id: string; user_info?: unknown }[]>();
  const [error, setError] = useState<unknown>();
  useEffect(() => {
    api.channelUsers(app.id, channel).then((r) => {
      setUsers(r.users);
    }, setError);
  }, [app.id, channel]);
  if (error !== undefined) return <ErrorNote error={error} />;
  if (!users) return <Loading label="Loading members…" />;
  if (users.length === 0) return <p class="muted small">No members.</p>;
  return (
    <ul class="roster" aria-label={`Members of ${channel}`}>
      {users.map((u) => (
        <li key={u.id}>
          <code>{u.id}</code>
          {u.user_info !== undefined && <span class="muted small"> {JSON.stringify(u.user_info)}</span>}
        </li>
      ))}
    </ul>
  );
}

export function ChannelsTab({ app }: { app: App }): JSX.Element {
  const [channels, setChannels] = useState<ChannelInfo[]>();
  const [error, setError] = useState<unknown>();
  const [open, setOpen] = useState<string>();
  const [filter, setFilter] = useState('');

  useEffect(() => {
    let stopped = false;
    const poll = (): void => {
      api.channels(app.id).then(
        (r) => {
          if (stopped) return;
          setError(undefined);
          setChannels([...r.channels].sort((a, b) => a.name.localeCompare(b.name)));
        },
        (err: unknown) => {
          if (!stopped) setError(err);
        },
      );
    };
    poll();
    const timer = setInterval(poll, POLL_MS);
    return () => {
      stopped = true;
      clearInterval(timer);
    };
  }, [app.id]);

  const shown = channels?.filter((c) => c.name.includes(filter.trim()));
  return (
    <div>
      <div class="row spaced">
        <label for="channel-filter">Filter channels</label>
        <input
          id="channel-filter"
          type="search"
          value={filter}
          onInput={(e) => {
            setFilter(e.currentTarget.value);
          }}
        />
        <span class="muted small" role="status" aria-live="polite">
          {channels ? `${channels.length} occupied, refreshed every 3 s` : ''}
        </span>
      </div>
      <ErrorNote error={error} />
      {!channels && error === undefined && <Loading />}
      {shown?.length === 0 && <p class="muted">No occupied channels.</p>}
      {shown && shown.length > 0 && (
        <table class="table">
          <thead>
            <tr>
              <th scope="col">Channel</th>
              <th scope="col">Type</th>
              <th scope="col">Subscriptions</th>
              <th scope="col">Users</th>
            </tr>
          </thead>
          <tbody>
            {shown.map((c) => {
              const badges = channelBadges(c.name);
              const presence = badges.includes('presence');
              return (
                <tr key={c.name}>
                  <td>
                    <code>{c.name}</code>
                    {presence && (
                      <>
                        {' '}
                        <button
                          type="button"
                          class="secondary small"
                          aria-expanded={open === c.name}
                          onClick={() => {
                            setOpen(open === c.name ? undefined : c.name);
                          }}
                        >
                          {open === c.name ? 'Hide members' : 'Members'}
                        </button>
                        {open === c.name && <Roster app={app} channel={c.name} />}
                      </>
                    )}
                  </td>
                  <td>
                    {badges.map((b) => (
                      <span key={b} class={`badge type-${b}`}>
                        {b}
                      </span>
                    ))}
                  </td>
                  <td>{c.subscription_count ?? '—'}</td>
                  <td>{c.user_count ?? (presence ? '…' : '—')}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </div>
  );
}
