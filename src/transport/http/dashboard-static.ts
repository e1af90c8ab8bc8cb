// Serves the built dashboard (dashboard/dist, from `npm run build`) under /dashboard. The dashboard is
// a single-page app: every /dashboard path that is not a file gets index.html and routes client-side.
// The router sends /dashboard and /dashboard/* here, GET and HEAD only (anything else: DASHBOARD_405).
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { HttpRequest, HttpResponse } from './exchange.js';

export const DASHBOARD_PREFIX = '/dashboard';

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

// Self only: no inline script, and the page may talk to this origin alone (the key pasted on the Keys
// page or in the debug console therefore cannot be sent elsewhere even by injected markup).
const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy': CSP,
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'X-Content-Type-Options': 'nosniff',
  'Cross-Origin-Opener-Policy': 'same-origin',
};

/** Content-hashed assets (`app-<hex>.js`, written by dashboard/build.mjs) never change. */
const HASHED_ASSET = /-[0-9a-f]{8,}\.[a-z0-9]+$/;

function send(res: HttpResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  res.send(
    status,
    {
      ...SECURITY_HEADERS,
      'Content-Type': 'text/plain; charset=utf-8',
      'Cache-Control': 'no-store',
      ...headers,
    },
    body,
  );
}

/** The answer to any method but GET and HEAD under /dashboard. */
export function refuseDashboardMethod(res: HttpResponse): void {
  send(res, 405, 'Method not allowed\n', { Allow: 'GET, HEAD' });
}

async function fileSize(path: string): Promise<number | undefined> {
  try {
    const info = await stat(path);
    return info.isFile() ? info.size : undefined;
  } catch {
    return undefined;
  }
}

async function serve(root: string, pathname: string, req: HttpRequest, res: HttpResponse): Promise<void> {
  const indexPath = join(root, 'index.html');
  const indexSize = await fileSize(indexPath);
  if (indexSize === undefined) {
    send(
      res,
      503,
      'The dashboard is not built. Run `npm run build` (or `npm run build:dashboard`) and reload this page.\n',
      { 'Retry-After': '30' },
    );
    return;
  }

  let relative: string;
  try {
    relative = decodeURIComponent(pathname.slice(DASHBOARD_PREFIX.length));
  } catch {
    send(res, 400, 'Malformed percent-encoding in the path\n');
    return;
  }
  let filePath = indexPath;
  let size = indexSize;
  if (relative !== '' && relative !== '/' && !relative.includes('\0')) {
    const candidate = resolve(root, `.${relative}`);
    // Only files inside dist are served; anything else (including ../) falls back to the app.
    if (candidate.startsWith(root + sep)) {
      const candidateSize = await fileSize(candidate);
      if (candidateSize !== undefined) {
        filePath = candidate;
        size = candidateSize;
      } else if (extname(relative) !== '' && !relative.endsWith('.html')) {
        // A missing asset is a 404, not the app's HTML (which would confuse the browser's parser).
        send(res, 404, 'Not found\n');
        return;
      }
    }
  }

  const name = filePath.slice(root.length + 1);
  const cacheControl =
    filePath !== indexPath && HASHED_ASSET.test(name) ? 'public, max-age=31536000, immutable' : 'no-cache';
  const headers = {
    ...SECURITY_HEADERS,
    'Content-Type': CONTENT_TYPES[extname(filePath).toLowerCase()] ?? 'application/octet-stream',
    'Cache-Control': cacheControl,
  };
  res.start(200, headers, size);
  if (req.method === 'HEAD' || res.closed) {
    res.end();
    return;
  }
  streamFile(filePath, res);
}

/** Copies a file into a started response, pausing while the transport's queue drains. */
function streamFile(path: string, res: HttpResponse): void {
  const stream = createReadStream(path);
  stream.on('data', (chunk) => {
    if (res.write(chunk)) return;
    stream.pause();
    res.onWritable(() => stream.resume());
  });
  stream.on('end', () => {
    res.end();
  });
  stream.on('error', () => {
    res.destroy();
  });
  res.onClose(() => stream.destroy());
}

/** The handler of GET and HEAD under `/dashboard` (the router routes them here); answers asynchronously. */
export function createDashboardHandler(
  distDir: string,
): (req: HttpRequest, res: HttpResponse, url: URL) => void {
  const root = resolve(distDir);
  return (req, res, url) => {
    serve(root, url.pathname, req, res).catch(() => {
      if (!res.started) send(res, 500, 'Internal error\n');
      else res.destroy();
    });
  };
}

/** dashboard/dist of this checkout: the same relative place from src/transport/http and dist/transport/http. */
export function defaultDashboardDir(): string {
  return fileURLToPath(new URL('../../../dashboard/dist', import.meta.url));
}
