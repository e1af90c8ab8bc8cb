import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { MawjlyError } from '../../protocol/errors.js';
import type { HttpRequest, HttpResponse } from './exchange.js';

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
 * The router sends only these paths here, and only GET and HEAD (`clientScripts` names them).
 */
export function createClientBundleHandler(
  scripts: Readonly<Record<string, URL>>,
): (req: HttpRequest, res: HttpResponse, url: URL) => void {
  const cached = new Map<string, Buffer>();
  return (_req, res, url) => {
    const file = Object.hasOwn(scripts, url.pathname) ? scripts[url.pathname] : undefined;
    if (file === undefined) throw new MawjlyError('not_found', `Nothing at ${url.pathname.slice(0, 200)}`);
    const hit = cached.get(url.pathname);
    if (hit) {
      res.send(200, SCRIPT_HEADERS, hit);
      return;
    }
    readFile(file)
      .then((body) => {
        cached.set(url.pathname, body);
        res.send(200, SCRIPT_HEADERS, body);
      })
      .catch(() => {
        res.send(503, TEXT_HEADERS, 'The client bundle is not built: run `npm run build`.\n');
      });
  };
}

const SCRIPT_HEADERS = Object.freeze({
  'content-type': 'text/javascript; charset=utf-8',
  'cache-control': 'public, max-age=300',
  'x-content-type-options': 'nosniff',
});
const TEXT_HEADERS = Object.freeze({ 'content-type': 'text/plain; charset=utf-8' });
