#!/usr/bin/env node
// start-server.mjs — starts the BUILT Mawjly server (dist/) with one known benchmark app, so that
// load tools (bench/pusher-bench.mjs, k6, your own scripts) can sign requests without reading the
// random development credentials. The app's plan is unlimited, so quotas never interfere with a
// measurement. Prints one JSON line on stdout once listening:
//   {"ready":true,"pid":…,"host":"127.0.0.1","port":…,"metricsPort":…,"appId":…,"key":…,"secret":…}
// and stops cleanly on SIGINT/SIGTERM.
//
// usage: npm run build && node bench/start-server.mjs [--port 0] [--host 127.0.0.1]
//          [--app-id bench-app] [--key bench-key] [--secret bench-secret] [--log-level warn]
//          [--webhooks N] [--history EVENTS,SECONDS]
// --history 100,120: the app keeps channel history (docs/history.md), e.g. to compare fan-out with
// history on and off.
// --webhooks N: the app lives in a store (a temporary SQLite data directory) and has N webhook
// endpoints subscribed to every event type, pointing at a receiver in a separate process that
// answers 200 (so its CPU is not counted as the server's).
// Other settings come from the usual environment variables (docs/configuration.md).
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const arg = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : fallback;
};
if (args.includes('--help')) {
  process.stdout.write(
    'usage: node bench/start-server.mjs [--port 0] [--host 127.0.0.1] [--app-id ID] [--key KEY] [--secret SECRET] [--log-level warn]\n',
  );
  process.exit(0);
}
const dist = join(root, 'dist');
if (!existsSync(join(dist, 'server', 'server.js'))) {
  process.stderr.write('dist/ is missing: run `npm run build` first\n');
  process.exit(2);
}
const load = (path) => import(pathToFileURL(join(dist, path)).href);
const { startServer } = await load('server/server.js');
const { loadConfig } = await load('config/config.js');
const { DEFAULT_APP_SETTINGS } = await load('core/app.js');

const host = arg('host', '127.0.0.1');
const config = loadConfig(process.env, {
  host,
  port: Number(arg('port', '0')),
  metricsPort: Number(arg('metrics-port', '0')),
  logLevel: arg('log-level', 'warn'),
});

/** No limit anywhere: a benchmark measures the server, not the plan table. */
const UNLIMITED_PLAN = {
  name: 'benchmark',
  maxConnections: null,
  maxMessagesPerDay: null,
  maxApps: null,
  maxPresenceMembers: null,
  maxWebhookEndpoints: null,
  clientEvents: true,
  encryptedChannels: true,
  history: { maxEvents: 100_000, maxAgeSeconds: 86_400 },
};
const [historyEvents, historySeconds] = arg('history', '').split(',').map(Number);
const history =
  historyEvents > 0 && historySeconds > 0
    ? { maxEvents: historyEvents, maxAgeMs: historySeconds * 1000 }
    : null;
const app = {
  id: arg('app-id', 'bench-app'),
  key: arg('key', 'bench-key'),
  secrets: [arg('secret', 'bench-secret')],
  accountId: 'benchmark',
  name: 'Benchmark app',
  plan: UNLIMITED_PLAN,
  settings: { ...DEFAULT_APP_SETTINGS, history },
};

const webhooks = Math.max(0, Number(arg('webhooks', '0')) || 0);
let server;
let cleanup = () => undefined;
if (webhooks === 0) server = await startServer({ config, apps: [app] });
else {
  const dataDir = mkdtempSync(join(tmpdir(), 'mawjly-bench-'));
  const plansFile = join(dataDir, 'plans.json');
  const unlimited = {
    max_connections: null,
    max_messages_per_day: null,
    max_apps: null,
    max_presence_members: null,
    max_webhook_endpoints: null,
  };
  writeFileSync(plansFile, JSON.stringify({ business: unlimited }));
  const receiver = spawn(
    process.execPath,
    [
      '-e',
      "const s=require('http').createServer((q,r)=>{q.resume();q.on('end',()=>r.end('ok'))});s.listen(0,'127.0.0.1',()=>console.log(s.address().port))",
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const receiverPort = await new Promise((resolve) =>
    receiver.stdout.once('data', (d) => resolve(Number(String(d).trim()))),
  );
  cleanup = () => {
    receiver.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  };
  server = await startServer({
    config: { ...config, dataDir, databaseUrl: undefined, plansFile, webhooksAllowPrivateTargets: true },
  });
  const m = server.management;
  const account = await m.accounts.create({ name: 'benchmark', plan: 'business' }, 'bench');
  const record = await m.apps.create(
    account,
    {
      id: app.id,
      key: app.key,
      secret: app.secrets[0],
      operator: true,
      settings: {
        client_events: true,
        subscription_count: true,
        ...(history ? { history: { max_events: historyEvents, max_age_seconds: historySeconds } } : {}),
      },
    },
    'bench',
  );
  for (let i = 0; i < webhooks; i++)
    await m.webhooks.create(account, record, { url: `http://127.0.0.1:${receiverPort}/hook-${i}` }, 'bench');
}
process.stdout.write(
  `${JSON.stringify({
    ready: true,
    pid: process.pid,
    host: server.host,
    port: server.port,
    metricsPort: server.metricsPort,
    appId: app.id,
    key: app.key,
    secret: app.secrets[0],
  })}\n`,
);

let stopping = false;
const stop = () => {
  if (stopping) return;
  stopping = true;
  const force = setTimeout(() => process.exit(1), 5000);
  force.unref();
  server.close().then(
    () => {
      cleanup();
      process.exit(0);
    },
    () => process.exit(1),
  );
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
