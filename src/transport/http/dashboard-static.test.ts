import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { defaultDashboardDir } from './dashboard-static.js';
import { nodeRequestListener } from './node-exchange.js';
import { createRouter } from './router.js';
import { httpRoutes } from './routes.js';

/** The dashboard as the server's router mounts it; every other path answers 418 here. */
async function listen(distDir: string): Promise<{ server: Server; base: string }> {
  const router = createRouter(httpRoutes({ probe: { ready: true, checks: [] }, dashboardDir: distDir }));
  const server = createServer(
    nodeRequestListener((req, res) => {
      try {
        return router(req, res);
      } catch {
        res.send(418, { 'Content-Type': 'text/plain' }, 'not mine');
        return undefined;
      }
    }),
  );
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

describe('the dashboard endpoint', () => {
  let dir: string;
  let server: Server;
  let base: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mawjly-dash-'));
    await writeFile(join(dir, 'index.html'), '<!doctype html><title>app</title>');
    await writeFile(join(dir, 'app-0123456789.js'), 'console.log(1)');
    await writeFile(join(dir, 'app-abcdef0123.css'), 'body{}');
    await mkdir(join(dir, 'img'));
    await writeFile(join(dir, 'img', 'logo.svg'), '<svg/>');
    await writeFile(join(tmpdir(), 'mawjly-secret-outside.txt'), 'outside');
    ({ server, base } = await listen(dir));
  });
  after(async () => {
    await new Promise((r) => server.close(r));
    await rm(dir, { recursive: true, force: true });
    await rm(join(tmpdir(), 'mawjly-secret-outside.txt'), { force: true });
  });

  test('serves index.html for /dashboard, /dashboard/ and unknown SPA paths, revalidated', async () => {
    for (const path of ['/dashboard', '/dashboard/', '/dashboard/apps/123/keys', '/dashboard/apps?x=1']) {
      const res = await fetch(base + path);
      assert.equal(res.status, 200, path);
      assert.equal(res.headers.get('content-type'), 'text/html; charset=utf-8');
      assert.equal(res.headers.get('cache-control'), 'no-cache');
      assert.match(await res.text(), /<title>app<\/title>/);
    }
  });

  test('serves assets with their content type; hashed ones are immutable', async () => {
    const js = await fetch(`${base}/dashboard/app-0123456789.js`);
    assert.equal(js.headers.get('content-type'), 'text/javascript; charset=utf-8');
    assert.match(js.headers.get('cache-control') ?? '', /immutable/);
    assert.equal(await js.text(), 'console.log(1)');
    const css = await fetch(`${base}/dashboard/app-abcdef0123.css`);
    assert.equal(css.headers.get('content-type'), 'text/css; charset=utf-8');
    const svg = await fetch(`${base}/dashboard/img/logo.svg`);
    assert.equal(svg.headers.get('content-type'), 'image/svg+xml');
    assert.equal(svg.headers.get('cache-control'), 'no-cache');
  });

  test('sends the security headers', async () => {
    const res = await fetch(`${base}/dashboard/apps`);
    const csp = res.headers.get('content-security-policy') ?? '';
    assert.match(csp, /default-src 'self'/);
    assert.match(csp, /script-src 'self'(;|$)/);
    assert.match(csp, /connect-src 'self'/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
    assert.equal(res.headers.get('x-frame-options'), 'DENY');
    assert.equal(res.headers.get('referrer-policy'), 'no-referrer');
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
  });

  test('a missing asset is 404, not the app', async () => {
    const res = await fetch(`${base}/dashboard/app-ffffffffff.js`);
    assert.equal(res.status, 404);
  });

  test('never serves files outside the dist directory', async () => {
    for (const path of [
      '/dashboard/../mawjly-secret-outside.txt',
      '/dashboard/%2e%2e/mawjly-secret-outside.txt',
      '/dashboard/..%2F..%2Fetc%2Fpasswd',
    ]) {
      const res = await fetch(base + path);
      const body = await res.text();
      assert.notEqual(body, 'outside', path);
      assert.doesNotMatch(body, /root:/, path);
    }
  });

  test('leaves other paths to the server', async () => {
    for (const path of ['/', '/dashboardx', '/api/v1/apps', '/app/key']) {
      const res = await fetch(base + path);
      assert.equal(res.status, 418, path);
    }
  });

  test('HEAD has headers and no body; other methods are 405', async () => {
    const head = await fetch(`${base}/dashboard/`, { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(await head.text(), '');
    const post = await fetch(`${base}/dashboard/`, { method: 'POST', body: 'x' });
    assert.equal(post.status, 405);
    assert.equal(post.headers.get('allow'), 'GET, HEAD');
  });

  test('a missing dist directory gives 503 telling to run the build', async () => {
    const missing = await listen(join(dir, 'does-not-exist'));
    try {
      const res = await fetch(`${missing.base}/dashboard/apps`);
      assert.equal(res.status, 503);
      assert.match(await res.text(), /npm run build/);
    } finally {
      await new Promise((r) => missing.server.close(r));
    }
  });

  test('defaultDashboardDir points at dashboard/dist of the checkout', () => {
    assert.match(defaultDashboardDir(), /[/\\]dashboard[/\\]dist$/);
  });
});
