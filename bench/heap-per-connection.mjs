#!/usr/bin/env node
// heap-per-connection.mjs — exact JS heap cost of one idle connection (and one private
// subscription) on the BUILT server, measured after forced GCs, so it is free of the GC-timing noise
// of RSS readings. The server runs in this process; the clients run in a child process.
//
// usage: npm run build && node --expose-gc bench/heap-per-connection.mjs [--connections 5000] [--subscribe]
//        [--transport uws|ws]   (default uws, as `npm run bench` and `auto` run it)
//        [--held N]   first open N more sockets and keep them: the reading is then the slope past N,
//                     free of one-time growth (V8's young generation, allocator arenas) that a cold
//                     reading spreads over the connections
//        [--cluster-url URL]  the node's cluster bus (default memory; redis://… or nats://… to see
//                     what a clustered node keeps per connection)
import { fork } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const arg = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : fallback;
};

if (process.argv[2] === '--client') {
  // Child: open N sockets (optionally one private subscription each), report, then hold them.
  const { default: WebSocket } = await import('ws');
  const [, , , port, n, subscribe] = process.argv;
  let open = 0;
  const sockets = [];
  const next = (i) =>
    new Promise((resolve, reject) => {
      const ws = new WebSocket(`ws://127.0.0.1:${port}/app/heap-key?protocol=7`);
      sockets.push(ws);
      ws.on('error', reject);
      ws.on('message', (raw) => {
        const m = JSON.parse(raw.toString());
        if (m.event === 'pusher:connection_established') {
          if (subscribe !== '1') return resolve();
          const socketId = JSON.parse(m.data).socket_id;
          const channel = `private-heap-${i}`;
          const sig = createHmac('sha256', 'heap-secret').update(`${socketId}:${channel}`).digest('hex');
          ws.send(JSON.stringify({ event: 'pusher:subscribe', data: { channel, auth: `heap-key:${sig}` } }));
        } else if (m.event === 'pusher_internal:subscription_succeeded') resolve();
      });
    });
  for (let i = 0; i < Number(n); i += 50) {
    await Promise.all(Array.from({ length: Math.min(50, Number(n) - i) }, (_, k) => next(i + k)));
    open = i + 50;
  }
  process.send({ open: Math.min(open, Number(n)) });
  process.on('message', () => process.exit(0));
} else {
  if (typeof globalThis.gc !== 'function') {
    process.stderr.write('run with node --expose-gc\n');
    process.exit(2);
  }
  const n = Number(arg('connections', '5000'));
  const subscribe = args.includes('--subscribe');
  const transport = arg('transport', 'uws');
  const clusterUrl = arg('cluster-url', 'memory');
  const dist = (p) => import(pathToFileURL(join(here, '..', 'dist', p)).href);
  const { startServer } = await dist('server/server.js');
  const { loadConfig } = await dist('config/config.js');
  const { DEFAULT_APP_SETTINGS } = await dist('core/app.js');
  const plan = {
    name: 'heap',
    maxConnections: null,
    maxMessagesPerDay: null,
    maxApps: null,
    maxPresenceMembers: null,
    maxWebhookEndpoints: null,
    clientEvents: true,
    encryptedChannels: true,
  };
  const app = {
    id: 'heap-app',
    key: 'heap-key',
    secrets: ['heap-secret'],
    accountId: 'heap',
    name: 'heap',
    plan,
    settings: DEFAULT_APP_SETTINGS,
  };
  const server = await startServer({
    config: loadConfig(
      {},
      {
        host: '127.0.0.1',
        port: 0,
        metricsPort: 0,
        logLevel: 'silent',
        transport,
        clusterUrl,
        clusterPrefix: `heap${process.pid}`,
      },
    ),
    apps: [app],
  });
  const settle = async () => {
    for (let i = 0; i < 4; i++) {
      globalThis.gc();
      await new Promise((r) => setTimeout(r, 50));
    }
    const m = process.memoryUsage();
    return { heap: m.heapUsed, external: m.external, rss: m.rss };
  };
  // Warm up code paths with a few connections first, so that compiled code is not counted.
  const warm = fork(fileURLToPath(import.meta.url), [
    '--client',
    String(server.port),
    '50',
    subscribe ? '1' : '0',
  ]);
  await new Promise((r) => warm.once('message', r));
  warm.kill();
  const heldCount = Number(arg('held', '0'));
  const held =
    heldCount > 0
      ? fork(fileURLToPath(import.meta.url), [
          '--client',
          String(server.port),
          String(heldCount),
          subscribe ? '1' : '0',
        ])
      : undefined;
  if (held) await new Promise((r) => held.once('message', r));
  await new Promise((r) => setTimeout(r, 500));
  const before = await settle();
  const child = fork(fileURLToPath(import.meta.url), [
    '--client',
    String(server.port),
    String(n),
    subscribe ? '1' : '0',
  ]);
  const { open } = await new Promise((r) => child.once('message', r));
  await new Promise((r) => setTimeout(r, 500));
  const after = await settle();
  const per = (k) => ((after[k] - before[k]) / open / 1024).toFixed(2);
  const out = {
    transport,
    held: heldCount,
    connections: open,
    subscribed: subscribe,
    sessions: server.engine.sessionCount,
    heap_kb_per_conn: Number(per('heap')),
    external_kb_per_conn: Number(per('external')),
    rss_kb_per_conn: Number(per('rss')),
  };
  process.stdout.write(`${JSON.stringify(out)}\n`);
  child.kill();
  held?.kill();
  await server.close();
  process.exit(0);
}
