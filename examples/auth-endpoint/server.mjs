// The recommended flow for browsers: the backend keeps the master key, and its auth endpoint hands
// each authorized browser the key of one channel (`shared_secret`). Stock pusher-js decrypts.
//   node examples/auth-endpoint/server.mjs        then open http://127.0.0.1:3000/
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { fileURLToPath, URLSearchParams } from 'node:url';
import Pusher from 'pusher';
import { examplePortFromEnv, mawjlyFromEnv } from '../config.mjs';

const require = createRequire(import.meta.url);
const pusherJsPath = require.resolve('pusher-js/dist/web/pusher-with-encryption.min.js');
const pagePath = fileURLToPath(new URL('./index.html', import.meta.url));

/** Starts the example web app; resolves once it listens. */
export async function start({ port = examplePortFromEnv(), config = mawjlyFromEnv() } = {}) {
  // #region sdk
  const pusher = new Pusher({
    appId: config.appId,
    key: config.key,
    secret: config.secret,
    cluster: config.cluster,
    host: config.host,
    port: String(config.port),
    useTLS: config.useTLS,
    encryptionMasterKeyBase64: config.encryptionMasterKeyBase64,
  });
  // #endregion

  // What the page needs to connect. Never the secret, never the master key.
  const pageConfig = {
    key: config.key,
    cluster: config.cluster,
    wsHost: config.host,
    wsPort: config.port,
    forceTLS: config.useTLS,
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
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(page);
    } else if (req.method === 'GET' && req.url === '/js/pusher-with-encryption.min.js') {
      res.writeHead(200, { 'content-type': 'text/javascript' }).end(await readFile(pusherJsPath));
    } else if (req.method === 'POST' && req.url === '/broadcasting/auth') {
      // #region auth
      const form = new URLSearchParams(await readBody(req));
      const socketId = form.get('socket_id') ?? '';
      const channel = form.get('channel_name') ?? '';
      // A real app checks here that the signed-in user may read this channel (their own order).
      if (channel !== 'private-encrypted-orders.42') {
        res.writeHead(403, { 'content-type': 'application/json' }).end('{"error":"forbidden"}');
        return;
      }
      // { auth, shared_secret }: the SDK derives the channel's key from the master key.
      const authorization = pusher.authorizeChannel(socketId, channel);
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(authorization));
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
  console.log(`auth-endpoint example: open ${url} then run node examples/auth-endpoint/trigger.mjs`);
}
