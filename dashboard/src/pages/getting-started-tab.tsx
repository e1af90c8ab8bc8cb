import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import type { App } from '../api.js';
import { CopyButton } from '../components/controls.js';
import { Link } from '../router.js';

/** Where this server is reachable, as the browser sees it (the dashboard is served by the server). */
function endpoint(): { host: string; port: number; tls: boolean } {
  const tls = location.protocol === 'https:';
  const port = location.port ? Number(location.port) : tls ? 443 : 80;
  return { host: location.hostname, port, tls };
}

function snippets(app: App): { id: string; label: string; code: string }[] {
  const { host, port, tls } = endpoint();
  const q = JSON.stringify;
  return [
    {
      id: 'pusher-js',
      label: 'pusher-js (browser)',
      code: `import Pusher from 'pusher-js';

const pusher = new Pusher(${q(app.key)}, {
  cluster: ${q(app.cluster)},
  wsHost: ${q(host)},
  wsPort: ${port},
  wssPort: ${port},
  forceTLS: ${tls},
  enabledTransports: ['ws', 'wss'],
  // Your backend signs private, presence and encrypted channel subscriptions:
  channelAuthorization: { endpoint: '/broadcasting/auth', transport: 'ajax' },
});

const channel = pusher.subscribe('my-channel');
channel.bind('my-event', (data) => console.log(data));`,
    },
    {
      id: 'echo',
      label: 'Laravel Echo',
      code: `import Echo from 'laravel-echo';
import Pusher from 'pusher-js';

window.Pusher = Pusher;
window.Echo = new Echo({
  broadcaster: 'pusher',
  key: ${q(app.key)},
  cluster: ${q(app.cluster)},
  wsHost: ${q(host)},
  wsPort: ${port},
  wssPort: ${port},
  forceTLS: ${tls},
  enabledTransports: ['ws', 'wss'],
});

window.Echo.private('orders.42').listen('.order.shipped', (e) => console.log(e));`,
    },
    {
      id: 'laravel-env',
      label: 'Laravel .env',
      code: `# The secret is on the Keys page; keep it server-side.
BROADCAST_CONNECTION=pusher
PUSHER_APP_ID=${app.id}
PUSHER_APP_KEY=${app.key}
PUSHER_APP_SECRET=
PUSHER_HOST=${host}
PUSHER_PORT=${port}
PUSHER_SCHEME=${tls ? 'https' : 'http'}
PUSHER_APP_CLUSTER=${app.cluster}`,
    },
    {
      id: 'pusher',
      label: 'pusher (Node server SDK)',
      code: `import Pusher from 'pusher';

const pusher = new Pusher({
  appId: ${q(app.id)},
  key: ${q(app.key)},
  secret: process.env.MAWJLY_APP_SECRET, // from the Keys page; never ship it to browsers
  cluster: ${q(app.cluster)},
  host: ${q(host)},
  port: ${q(String(port))},
  useTLS: ${tls},
  // For private-encrypted-* channels (Keys → Encryption master key):
  // encryptionMasterKeyBase64: process.env.MAWJLY_ENCRYPTION_KEY,
});

await pusher.trigger('my-channel', 'my-event', { message: 'hello' });`,
    },
  ];
}

export function GettingStartedTab({ app }: { app: App }): JSX.Element {
  const all = snippets(app);
  const [active, setActive] = useState(all[0]?.id ?? '');
  const current = all.find((s) => s.id === active) ?? all[0];
  return (
    <div>
      <p>
        Point the official Pusher SDKs at this server. The app secret is not shown here: copy it from the{' '}
        <Link href={`/apps/${encodeURIComponent(app.id)}/keys`}>Keys</Link> page into your server's
        environment.
      </p>
      <div role="group" aria-label="SDK" class="subtabs">
        {all.map((s) => (
          <button
            key={s.id}
            type="button"
            aria-pressed={s.id === active}
            onClick={() => {
              setActive(s.id);
            }}
          >
            {s.label}
          </button>
        ))}
      </div>
      {current && (
        <div class="card" aria-label={`${current.label} snippet`} role="region">
          <CopyButton value={current.code} label="Copy snippet" />
          <pre tabIndex={0}>
            <code>{current.code}</code>
          </pre>
        </div>
      )}
    </div>
  );
}
