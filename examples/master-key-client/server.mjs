// The product page's client snippet as written: the backend injects the master key into the page,
// the Mawjly client helper derives each channel's key itself, and the auth endpoint returns ONLY
// `auth`. Whoever can load this page can read every encrypted channel of the app: use this flow for
// trusted, managed clients (kiosks, MDM-configured devices), not for browsers of arbitrary users.
//   node examples/master-key-client/server.mjs    then open http://127.0.0.1:3000/
import { createHmac } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { fileURLToPath, URLSearchParams } from 'node:url';
import { examplePortFromEnv, mawjlyFromEnv } from '../config.mjs';

// The helper's browser bundle (npm run build); Mawjly itself also serves it at /js/mawjly.js.
const bundlePath = fileURLToPath(new URL('../../packages/client/dist/mawjly.js', import.meta.url));
const pagePath = fileURLToPath(new URL('./index.html', import.meta.url));

/** Starts the example web app; resolves once it listens. */
export async function start({ port = examplePortFromEnv(), config = mawjlyFromEnv() } = {}) {
  // Injected by the backend: here from its environment (MAWJLY_ENCRYPTION_KEY).
  const pageConfig = {
    key: config.key,
    cluster: config.cluster,
    wsHost: config.host,
    wsPort: config.port,
    forceTLS: config.useTLS,
    encryptionMasterKeyBase64: config.encryptionMasterKeyBase64,
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error) => {
      console.error(error);
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });

  async function handle(req, res) {
    if (req.method === 'GET' && req.url === '/') {
      const page = (await readFile(pagePath, 'utf8')).replace('__CONFIG__', inlineJson(pageConfig));
      // The page carries a secret: never cache it.
      res
        .writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' })
        .end(page);
    } else if (req.method === 'GET' && req.url === '/js/mawjly.js') {
      res.writeHead(200, { 'content-type': 'text/javascript' }).end(await readFile(bundlePath));
    } else if (req.method === 'POST' && req.url === '/broadcasting/auth') {
      // #region auth
      const form = new URLSearchParams(await readBody(req));
      const socketId = form.get('socket_id') ?? '';
      const channel = form.get('channel_name') ?? '';
      // A real app checks here that the signed-in user may subscribe to this channel.
      if (channel !== 'private-encrypted-orders.42') {
        res.writeHead(403, { 'content-type': 'application/json' }).end('{"error":"forbidden"}');
        return;
      }
      // Only `auth`: HMAC-SHA256(secret, "socket_id:channel"), as for any private channel.
      const signature = createHmac('sha256', config.secret).update(`${socketId}:${channel}`).digest('hex');
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ auth: `${config.key}:${signature}` }));
      // #endregion
    } else {
      res.writeHead(404).end();
    }
  }

  await new Promise((resolve) => server.listen(port, '127.0.0.1', resolve));
  const { port: actualPort } = server.address();
  return {
    url: `http://127.0.0.1:${actualPort}/`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk) => {
      body += chunk;
      if (body.length > 10_000) req.destroy(new Error('body too large'));
    });
    req.on('end', () => resolve(body));
    req.on('error', reject);
  });
}

// JSON inside a <script> element: `<` escaped so no value can close the element.
function inlineJson(value) {
  return JSON.stringify(value).replace(/</g, '\\u003c');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { url } = await start();
  console.log(`master-key-client example: open ${url} then run node examples/auth-endpoint/trigger.mjs`);
}
