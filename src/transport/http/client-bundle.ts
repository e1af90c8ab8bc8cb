import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

/** Where the served scripts come from: the helper's browser build and pusher-js's own. */
export function clientScripts(helperBundle: URL): Readonly<Record<string, URL>> {
  const require = createRequire(import.meta.url);
  return {
    '/js/mawjly.js': helperBundle,
    '/js/pusher-with-encryption.min.js': pathToFileURL(
      require.resolve('pusher-js/dist/web/pusher-with-encryption.min.js'),
    ),
  };
}

/**
 * Browser scripts for a `<script>` tag:
 * - `GET /js/mawjly.js`: the browser build of the `@mawjly/client` helper (a drop-in for pusher-js
 *   with encryption that honours `encryptionMasterKeyBase64`; global `Pusher`). Built by `npm run build`.
 * - `GET /js/pusher-with-encryption.min.js`: the stock `pusher-js/with-encryption` build of the
 *   pusher-js version Mawjly is tested with (global `Pusher`).
 */
export function createClientBundleHandler(
  scripts: Readonly<Record<string, URL>>,
): (req: IncomingMessage, res: ServerResponse, url: URL) => boolean {
  const cached = new Map<string, Buffer>();
  return (req, res, url) => {
    const file = Object.hasOwn(scripts, url.pathname) ? scripts[url.pathname] : undefined;
    if (file === undefined) return false;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return true;
    }
    const send = (body: Buffer): void => {
      res.writeHead(200, {
        'content-type': 'text/javascript; charset=utf-8',
        'content-length': body.length,
        'cache-control': 'public, max-age=300',
        'x-content-type-options': 'nosniff',
      });
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    const hit = cached.get(url.pathname);
    if (hit) {
      send(hit);
      return true;
    }
    readFile(file)
      .then((body) => {
        cached.set(url.pathname, body);
        send(body);
      })
      .catch(() => {
        res.writeHead(503, { 'content-type': 'text/plain; charset=utf-8' });
        res.end('The client bundle is not built: run `npm run build`.\n');
      });
    return true;
  };
}
