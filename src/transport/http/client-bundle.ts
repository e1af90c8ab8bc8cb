import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * `GET /js/mawjly.js`: the browser build of the `mawjly/client` helper (a drop-in for pusher-js with
 * encryption that honours `encryptionMasterKeyBase64`; global `Pusher`). Built by `npm run build`.
 */
export function createClientBundleHandler(
  bundle: URL,
): (req: IncomingMessage, res: ServerResponse, url: URL) => boolean {
  let cached: Buffer | undefined;
  return (req, res, url) => {
    if (url.pathname !== '/js/mawjly.js') return false;
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
    if (cached) {
      send(cached);
      return true;
    }
    readFile(bundle)
      .then((body) => {
        cached = body;
        send(body);
      })
      .catch(() => {
        res.writeHead(503, { 'content-type': 'text/plain; charset=utf-8' });
        res.end('The client bundle is not built: run `npm run build`.\n');
      });
    return true;
  };
}
