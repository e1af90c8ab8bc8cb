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
// Other settings come from the usual environment variables (docs/configuration.md).
import { existsSync } from 'node:fs';
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
};
const app = {
  id: arg('app-id', 'bench-app'),
  key: arg('key', 'bench-key'),
  secrets: [arg('secret', 'bench-secret')],
  accountId: 'benchmark',
  name: 'Benchmark app',
  plan: UNLIMITED_PLAN,
  settings: DEFAULT_APP_SETTINGS,
};

const server = await startServer({ config, apps: [app] });
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
    () => process.exit(0),
    () => process.exit(1),
  );
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
