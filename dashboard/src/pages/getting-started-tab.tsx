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

interface Snippet {
  readonly id: string;
  readonly label: string;
  readonly code: string;
}

/**
 * The encrypted-channels path, every snippet pre-filled with this app and this server (never the
 * secret nor the master key, which stay in environment variables). The JavaScript ones run as shown
 * in test/integration/dashboard-getting-started.test.ts.
 */
export function encryptedSnippets(app: App): {
  authEndpoint: Snippet;
  publish: Snippet;
  browser: Snippet;
  echo: Snippet;
  laravelEnv: Snippet;
  laravelConfig: Snippet;
} {
  const { host, port, tls } = endpoint();
  const q = JSON.stringify;
  const sdkOptions = `  appId: ${q(app.id)},
  key: ${q(app.key)},
  secret: process.env.MAWJLY_APP_SECRET, // Keys page; server-side only
  cluster: ${q(app.cluster)},
  host: ${q(host)},
  port: ${q(String(port))},
  useTLS: ${tls},
  // Keys → Encryption master key; server-side only, never in the browser:
  encryptionMasterKeyBase64: process.env.MAWJLY_ENCRYPTION_KEY,`;
  const clientOptions = `  cluster: ${q(app.cluster)},
  wsHost: ${q(host)},
  wsPort: ${port},
  wssPort: ${port},
  forceTLS: ${tls},
  enabledTransports: ['ws', 'wss'],`;
  return {
    authEndpoint: {
      id: 'enc-auth',
      label: 'Auth endpoint (Node, pusher SDK)',
      code: `// auth.mjs: node auth.mjs (serves POST /broadcasting/auth on PORT, default 3000)
import { createServer } from 'node:http';
import Pusher from 'pusher';

const pusher = new Pusher({
${sdkOptions}
});

createServer((req, res) => {
  if (req.method !== 'POST' || req.url !== '/broadcasting/auth') return res.writeHead(404).end();
  let body = '';
  req.on('data', (chunk) => (body += chunk));
  req.on('end', () => {
    const form = new URLSearchParams(body);
    // Check here that the signed-in user may read this channel.
    // For private-encrypted-* channels the answer carries the channel's shared secret.
    const auth = pusher.authorizeChannel(form.get('socket_id'), form.get('channel_name'));
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(auth));
  });
}).listen(Number(process.env.PORT ?? 3000));`,
    },
    publish: {
      id: 'enc-publish',
      label: 'Publish (Node, pusher SDK)',
      code: `// publish.mjs: node publish.mjs (the SDK encrypts; Mawjly only relays ciphertext)
import Pusher from 'pusher';

const pusher = new Pusher({
${sdkOptions}
});

await pusher.trigger('private-encrypted-orders.42', 'order.shipped', { orderId: 42 });`,
    },
    browser: {
      id: 'enc-browser',
      label: 'Browser: pusher-js/with-encryption',
      code: `import Pusher from 'pusher-js/with-encryption';

const pusher = new Pusher(${q(app.key)}, {
${clientOptions}
  channelAuthorization: { endpoint: '/broadcasting/auth', transport: 'ajax' },
});

const channel = pusher.subscribe('private-encrypted-orders.42');
channel.bind('order.shipped', (data) => console.log('order.shipped', data));`,
    },
    echo: {
      id: 'enc-echo',
      label: 'Laravel Echo: encryptedPrivate',
      code: `import Echo from 'laravel-echo';
import Pusher from 'pusher-js/with-encryption';

window.Pusher = Pusher;
window.Echo = new Echo({
  broadcaster: 'pusher',
  key: ${q(app.key)},
${clientOptions}
});

// Subscribes to private-encrypted-orders.42 (authorized by /broadcasting/auth).
window.Echo.encryptedPrivate('orders.42').listen('.order.shipped', (e) => console.log('order.shipped', e));`,
    },
    laravelEnv: {
      id: 'enc-env',
      label: 'Laravel .env (encrypted channels)',
      code: laravelEnv(app, host, port, tls),
    },
    laravelConfig: {
      id: 'enc-config',
      label: 'config/broadcasting.php',
      code: `'connections' => [
    'pusher' => [
        'driver' => 'pusher',
        'key' => env('PUSHER_APP_KEY'),
        'secret' => env('PUSHER_APP_SECRET'),
        'app_id' => env('PUSHER_APP_ID'),
        'options' => [
            'cluster' => env('PUSHER_APP_CLUSTER'),
            'host' => env('PUSHER_HOST'),
            'port' => env('PUSHER_PORT', ${port}),
            'scheme' => env('PUSHER_SCHEME', '${tls ? 'https' : 'http'}'),
            'useTLS' => env('PUSHER_SCHEME', '${tls ? 'https' : 'http'}') === 'https',
            // Encrypts every broadcast on a private-encrypted-* channel:
            'encryption_master_key_base64' => env('PUSHER_ENCRYPTION_MASTER_KEY_BASE64'),
        ],
    ],
],`,
    },
  };
}

function laravelEnv(app: App, host: string, port: number, tls: boolean): string {
  return `# The secret and the master key are on the Keys page; keep both server-side.
BROADCAST_CONNECTION=pusher
PUSHER_APP_ID=${app.id}
PUSHER_APP_KEY=${app.key}
PUSHER_APP_SECRET=
PUSHER_HOST=${host}
PUSHER_PORT=${port}
PUSHER_SCHEME=${tls ? 'https' : 'http'}
PUSHER_APP_CLUSTER=${app.cluster}
# For private-encrypted-* channels (Keys → Encryption master key, shown once when generated):
PUSHER_ENCRYPTION_MASTER_KEY_BASE64=`;
}

function SnippetCard({ snippet, step }: { snippet: Snippet; step?: string }): JSX.Element {
  return (
    <div class="card snippet" aria-label={`${snippet.label} snippet`} role="region">
      <div class="row snippet-head">
        <h4>
          {step ? `${step} ` : ''}
          {snippet.label}
        </h4>
        <CopyButton value={snippet.code} label="Copy snippet" />
      </div>
      <pre tabIndex={0}>
        <code>{snippet.code}</code>
      </pre>
    </div>
  );
}

function EncryptedPath({ app }: { app: App }): JSX.Element {
  const s = encryptedSnippets(app);
  const keys = `/apps/${encodeURIComponent(app.id)}/keys`;
  return (
    <section aria-labelledby="encrypted-path-title" class="stack">
      <h2 id="encrypted-path-title">Encrypted channels</h2>
      <p>
        On <code>private-encrypted-*</code> channels your server encrypts each event and the browser decrypts
        it: Mawjly relays ciphertext it cannot read. The key pieces are the app's encryption master key (held
        by your server only), an auth endpoint that hands each browser its channel's secret, and the stock{' '}
        <code>pusher-js/with-encryption</code> build.
      </p>
      <ol class="steps">
        <li>
          <strong>Generate the encryption master key</strong> on the{' '}
          <Link href={keys} data-testid="keys-panel-link">
            Keys panel
          </Link>{' '}
          (shown once; store it as <code>MAWJLY_ENCRYPTION_KEY</code> or{' '}
          <code>PUSHER_ENCRYPTION_MASTER_KEY_BASE64</code> on your server, never in the browser).
        </li>
        <li>
          <strong>Serve the auth endpoint</strong> and <strong>publish</strong> with the <code>pusher</code>{' '}
          SDK, or with Laravel's broadcasting.
        </li>
        <li>
          <strong>Subscribe in the browser</strong> with pusher-js or Laravel Echo.
        </li>
      </ol>
      <SnippetCard step="2." snippet={s.authEndpoint} />
      <SnippetCard step="2." snippet={s.publish} />
      <SnippetCard step="3." snippet={s.browser} />
      <SnippetCard step="3." snippet={s.echo} />
      <h3>Laravel</h3>
      <SnippetCard snippet={s.laravelEnv} />
      <SnippetCard snippet={s.laravelConfig} />
    </section>
  );
}

function snippets(app: App): Snippet[] {
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
      code: laravelEnv(app, host, port, tls),
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
    <div class="stack">
      <EncryptedPath app={app} />
      <h2>Plain channels</h2>
      <p>
        Public, private and presence channels need no key. Point the official Pusher SDKs at this server. The
        app secret is not shown here: copy it from the{' '}
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
