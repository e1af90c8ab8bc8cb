import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { silentLogger } from '../../core/ports/logger.js';
import { createGuard } from '../guard.js';
import { nodeRequestListener } from './node-exchange.js';
import { createRouter, findEndpoint, type Endpoint } from './router.js';
import { httpRoutes } from './routes.js';

describe('the route table', () => {
  let dir: string;
  let server: Server;
  let base: string;
  const seen: string[] = [];

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mawjly-router-'));
    await writeFile(join(dir, 'index.html'), '<!doctype html><title>app</title>');
    await writeFile(join(dir, 'client.js'), 'window.X = 1;\n');
    const endpoints: Endpoint[] = [
      ...httpRoutes({
        probe: { ready: true, checks: [] },
        dashboardDir: dir,
        clientScripts: { '/js/client.js': pathToFileURL(join(dir, 'client.js')) },
        // A stand-in for the REST API that records which way each request came in.
        pusherApi: (req, res, target) => {
          if (!target.path.startsWith('/apps/')) return false;
          seen.push(`${req.method} ${target.path}`);
          res.send(200, { 'content-type': 'application/json' }, '{}');
          return true;
        },
      }),
      {
        name: 'posts',
        path: '/only-post',
        methods: ['POST'],
        handle: (_req, res) => {
          res.send(204, {});
        },
      },
    ];
    const guard = createGuard(silentLogger);
    server = createServer(guard.request(nodeRequestListener(guard.exchange(createRouter(endpoints)))));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${String((server.address() as AddressInfo).port)}`;
  });
  after(async () => {
    await new Promise((resolve) => server.close(resolve));
    await rm(dir, { recursive: true, force: true });
  });

  test('an unknown path is 404 not_found in the error shape', async () => {
    for (const path of ['/', '/nope', '/dashboardx', '/healthz', '/apps', '/js/other.js']) {
      const res = await fetch(base + path);
      assert.equal(res.status, 404, path);
      assert.equal(res.headers.get('cache-control'), 'no-store', path);
      const body = (await res.json()) as { error: { code: string; message: string } };
      assert.equal(body.error.code, 'not_found', path);
    }
  });

  test('a wrong method is 405 with Allow, or the endpoint’s own refusal', async () => {
    const get = await fetch(`${base}/only-post`);
    assert.equal(get.status, 405);
    assert.equal(get.headers.get('allow'), 'POST');
    assert.equal(((await get.json()) as { error: { code: string } }).error.code, 'method_not_allowed');
    const script = await fetch(`${base}/js/client.js`, { method: 'DELETE' });
    assert.equal(script.status, 405);
    assert.equal(script.headers.get('allow'), 'GET, HEAD');
    const dashboard = await fetch(`${base}/dashboard/x`, { method: 'PUT', body: 'x' });
    assert.equal(dashboard.status, 405);
    assert.equal(await dashboard.text(), 'Method not allowed\n');
  });

  test('HEAD of a static file: its headers and length, no body', async () => {
    for (const path of ['/js/client.js', '/dashboard/', '/health']) {
      const get = await fetch(base + path);
      const length = (await get.arrayBuffer()).byteLength;
      const head = await fetch(base + path, { method: 'HEAD' });
      assert.equal(head.status, 200, path);
      assert.equal(head.headers.get('content-type'), get.headers.get('content-type'), path);
      assert.equal(head.headers.get('content-length'), String(length), path);
      assert.equal((await head.arrayBuffer()).byteLength, 0, path);
    }
  });

  test('/apps/ targets reach the REST API, plain or needing normalisation', async () => {
    seen.length = 0;
    assert.equal(
      (await fetch(`${base}/apps/1/events?auth_key=k`, { method: 'POST', body: '{}' })).status,
      200,
    );
    assert.equal((await fetch(`${base}/x/../apps/1/channels`)).status, 200);
    assert.deepEqual(seen, ['POST /apps/1/events', 'GET /apps/1/channels']);
  });

  test('findEndpoint matches a tree at a segment boundary only', () => {
    const endpoints = httpRoutes({ probe: { ready: true, checks: [] }, dashboardDir: dir });
    assert.equal(findEndpoint(endpoints, '/dashboard')?.name, 'dashboard');
    assert.equal(findEndpoint(endpoints, '/dashboard/a/b')?.name, 'dashboard');
    assert.equal(findEndpoint(endpoints, '/dashboard-x'), undefined);
    assert.equal(findEndpoint(endpoints, '/ready')?.name, 'ready');
    assert.equal(findEndpoint(endpoints, '/ready/'), undefined);
  });
});
