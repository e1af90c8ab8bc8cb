// targets.mjs — how `npm run bench` starts each server under test, and stops it again.
//
//   mawjly-ws, mawjly-uws  Mawjly as `npm start` runs it: `node bin/mawjly.js serve` with a SQLite
//                          store in a fresh temporary data directory, an apps file holding the
//                          benchmark app on the `startup` plan (--plan), a plans file that lifts only that
//                          plan's caps (connections, messages per day, presence members), the
//                          default log level, and MAWJLY_TRANSPORT=ws or =uws.
//                          With --server memory (and for the webhooks scenario) they are started
//                          by bench/start-server.mjs instead: the older mode (apps in memory,
//                          log level warn), kept for comparisons with earlier runs.
//   baseline               bench/baseline-ws.mjs --mode frame: the Node + ws ceiling.
//   ceiling-uws            bench/baseline-uws.mjs: a minimal server on uWebSockets.js's native
//                          publish/subscribe, the ceiling of that class of transport.
//   startCluster()         N `mawjly-uws` nodes as above on ONE host and port (MAWJLY_REUSE_PORT=true,
//                          the kernel spreads connections over them), one cluster over Redis or
//                          NATS (--cluster-url) under a fresh MAWJLY_CLUSTER_PREFIX; each node has
//                          its own data directory and METRICS_PORT, all the same apps file.
//
// Every server runs in its own process, started through `sh -c 'ulimit -n …; exec node …'` so its
// open-files limit is raised as far as this machine allows, and is stopped by its own PID.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const BENCH_APP = { id: '7000010', key: 'bench-key', secret: 'bench-secret' };
const BASELINE_APP = { id: 'app-id', key: 'app-key', secret: 'app-secret' };
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Spawns node with the open-files limit raised: to `files` when given (needs the privilege to
 * raise the hard limit), else the soft limit to the hard one.
 */
export function spawnNode(track, cwd, script, scriptArgs, extraEnv = {}, files = 0) {
  const raise =
    files > 0
      ? `ulimit -n ${files} 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null`
      : 'ulimit -n "$(ulimit -Hn)" 2>/dev/null';
  return track(
    spawn('sh', ['-c', `${raise}; exec "$0" "$@"`, process.execPath, script, ...scriptArgs], {
      cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...extraEnv },
    }),
  );
}

/** Collects the last few KB of a child's stderr (and drains stdout) so its pipes never fill up. */
function tail(child) {
  const state = { text: '' };
  child.stdout.on('data', (d) => {
    state.stdout = `${state.stdout ?? ''}${d}`.slice(-8000);
  });
  child.stderr.on('data', (d) => {
    state.text = (state.text + d.toString()).slice(-8000);
  });
  return state;
}

export function freePort(host) {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, host, () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** GET path; resolves { status, headers } or { status: 0 } on a connection error. */
function get(host, port, path) {
  return new Promise((resolve) => {
    const req = request({ host, port, path, timeout: 5000 }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers }));
    });
    req.on('error', () => resolve({ status: 0, headers: {} }));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}

async function waitReady(child, host, port, logs, what, timeoutMs = 60_000) {
  const by = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error(`${what} exited (${child.exitCode ?? child.signalCode})\n${logs.text}`);
    const r = await get(host, port, '/ready');
    // 501: a transport build that does not route HTTP yet; WebSocket-only scenarios still run.
    if (r.status === 200 || r.status === 501) return r;
    if (Date.now() > by) throw new Error(`${what}: not ready after ${timeoutMs} ms\n${logs.text}`);
    await sleep(150);
  }
}

/**
 * Which transport the started server really runs. A uWS HTTP response carries its `uWebSockets`
 * header; the server's start log names the transport too (read when it does). Returns 'uws',
 * 'ws' or 'unknown'.
 */
function transportInEffect(readyHeaders, logs) {
  if (readyHeaders.uwebsockets !== undefined) return 'uws';
  const m = /"transport"\s*:\s*"(uws|ws)"/.exec(logs.text);
  if (m) return m[1];
  return /uWebSockets|"uws"/i.test(logs.text) ? 'uws' : 'unknown';
}

/** Writes the apps and plans files of a user-configured server; returns the environment. */
function userConfiguration(dir, appSettings, plan) {
  const dataDir = join(dir, 'data');
  mkdirSync(dataDir, { mode: 0o700 }); // as an operator would: it holds secrets
  const appsFile = join(dir, 'apps.json');
  const plansFile = join(dir, 'plans.json');
  const app = {
    ...BENCH_APP,
    plan,
    account: 'benchmark',
    name: 'Benchmark',
    settings: { client_events: true, ...appSettings },
  };
  writeFileSync(appsFile, `${JSON.stringify([app], null, 2)}\n`);
  // Only the caps a load test runs into; everything else keeps the startup plan's defaults.
  const lifted = { max_connections: null, max_messages_per_day: null, max_presence_members: null };
  writeFileSync(plansFile, `${JSON.stringify({ [plan]: lifted }, null, 2)}\n`);
  return { MAWJLY_DATA_DIR: dataDir, MAWJLY_APPS_FILE: appsFile, MAWJLY_PLANS_FILE: plansFile };
}

/**
 * Starts one target. opts: { root, here, host, track, server, plan, appSettings, webhooks, files }.
 * Resolves { child, pid, host, port, appId, key, secret, transport, cleanup }.
 */
export async function startTarget(name, opts) {
  const { root, here, host, track } = opts;
  const transport = name === 'mawjly-uws' ? 'uws' : 'ws';
  if ((name === 'mawjly-ws' || name === 'mawjly-uws') && opts.server !== 'memory') {
    const dir = mkdtempSync(join(tmpdir(), 'mawjly-bench-'));
    const port = await freePort(host);
    const metricsPort = await freePort(host);
    const env = {
      ...userConfiguration(dir, opts.appSettings ?? {}, opts.plan ?? 'startup'),
      PORT: String(port),
      HOST: host,
      METRICS_PORT: String(metricsPort),
      MAWJLY_TRANSPORT: transport,
    };
    // The default log level and store: an inherited LOG_LEVEL or DATABASE_URL is dropped
    // (undefined values are left out of a child's environment).
    env.LOG_LEVEL = undefined;
    env.DATABASE_URL = undefined;
    const child = spawnNode(track, root, join(root, 'bin', 'mawjly.js'), ['serve'], env, opts.files);
    const logs = tail(child);
    const cleanup = () => rmSync(dir, { recursive: true, force: true });
    try {
      const ready = await waitReady(child, host, port, logs, name);
      return {
        child,
        pid: child.pid,
        host,
        port,
        ...keys(BENCH_APP),
        transport: transportInEffect(ready.headers, logs),
        logs,
        cleanup,
      };
    } catch (error) {
      child.kill('SIGKILL');
      cleanup();
      throw error;
    }
  }
  if (name === 'mawjly-ws' || name === 'mawjly-uws') {
    const child = spawnNode(
      track,
      root,
      join(here, 'start-server.mjs'),
      ['--port', '0', '--host', host, ...(opts.webhooks ? ['--webhooks', String(opts.webhooks)] : [])],
      { LOG_LEVEL: 'warn', MAWJLY_TRANSPORT: transport },
      opts.files,
    );
    const logs = tail(child);
    const info = await new Promise((resolve, reject) => {
      let buffer = '';
      const timer = setTimeout(() => reject(new Error(`${name}: not ready\n${logs.text}`)), 30_000);
      child.stdout.on('data', (d) => {
        buffer += d.toString();
        for (const line of buffer.split('\n')) {
          try {
            const o = JSON.parse(line);
            if (o.ready) {
              clearTimeout(timer);
              resolve(o);
            }
          } catch {
            // not the ready line
          }
        }
      });
      child.on('exit', (code) => reject(new Error(`${name} exited with ${code}\n${logs.text}`)));
    });
    const ready = await waitReady(child, host, info.port, logs, name);
    return {
      child,
      pid: child.pid,
      host,
      port: info.port,
      appId: info.appId,
      key: info.key,
      secret: info.secret,
      transport: transportInEffect(ready.headers, logs),
      logs,
      cleanup: () => undefined,
    };
  }
  const script = name === 'baseline' ? 'baseline-ws.mjs' : name === 'ceiling-uws' ? 'baseline-uws.mjs' : null;
  if (script === null) throw new Error(`unknown target ${name}`);
  const port = await freePort(host);
  const extra = name === 'baseline' ? ['--mode', 'frame'] : [];
  const child = spawnNode(
    track,
    root,
    join(here, script),
    ['--port', String(port), '--host', host, ...extra],
    {},
    opts.files,
  );
  const logs = tail(child);
  await waitReady(child, host, port, logs, name, 20_000);
  return {
    child,
    pid: child.pid,
    host,
    port,
    ...keys(BASELINE_APP),
    transport: name === 'baseline' ? 'ws' : 'uws',
    logs,
    cleanup: () => undefined,
  };
}

const keys = (app) => ({ appId: app.id, key: app.key, secret: app.secret });

/** Resolves once `http://host:port/metrics` answers 200 (the metrics port is bound after PORT). */
async function waitMetrics(child, host, port, logs, what, timeoutMs = 60_000) {
  const by = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error(`${what} exited (${child.exitCode ?? child.signalCode})\n${logs.text}`);
    if ((await get(host, port, '/metrics')).status === 200) return;
    if (Date.now() > by) throw new Error(`${what}: metrics not up after ${timeoutMs} ms\n${logs.text}`);
    await sleep(150);
  }
}

/**
 * Starts `nodes` Mawjly uWS nodes sharing one port (see the header). opts as startTarget's plus
 * { nodes, clusterUrl }. Resolves a target whose `pids` lists every node; `stopTarget` stops them all.
 */
export async function startCluster(opts) {
  const { root, host, track, nodes, clusterUrl } = opts;
  const dir = mkdtempSync(join(tmpdir(), 'mawjly-bench-cluster-'));
  const port = await freePort(host);
  const prefix = `bench-${process.pid}-${Date.now().toString(36)}`;
  const started = [];
  const cleanup = () => rmSync(dir, { recursive: true, force: true });
  try {
    for (let i = 0; i < nodes; i++) {
      const nodeDir = join(dir, `node-${i + 1}`);
      mkdirSync(nodeDir);
      const metricsPort = await freePort(host);
      const env = {
        ...userConfiguration(nodeDir, opts.appSettings ?? {}, opts.plan ?? 'startup'),
        PORT: String(port),
        HOST: host,
        METRICS_PORT: String(metricsPort),
        MAWJLY_TRANSPORT: 'uws',
        MAWJLY_REUSE_PORT: 'true',
        MAWJLY_CLUSTER_URL: clusterUrl,
        MAWJLY_CLUSTER_PREFIX: prefix,
      };
      env.LOG_LEVEL = undefined;
      env.DATABASE_URL = undefined;
      const child = spawnNode(track, root, join(root, 'bin', 'mawjly.js'), ['serve'], env, opts.files);
      const logs = tail(child);
      started.push({ child, logs, metricsPort });
      // One node at a time: /ready on the shared port may be answered by any node already up.
      await waitMetrics(child, host, metricsPort, logs, `cluster node ${i + 1}`);
    }
    const ready = await waitReady(started[0].child, host, port, started[0].logs, 'cluster');
    return {
      child: started[0].child,
      pid: started[0].child.pid,
      pids: started.map((n) => n.child.pid),
      nodes: started.map((n) => ({
        child: n.child,
        pid: n.child.pid,
        metricsPort: n.metricsPort,
        logs: n.logs,
      })),
      host,
      port,
      clusterPrefix: prefix,
      ...keys(BENCH_APP),
      transport: transportInEffect(ready.headers, started[0].logs),
      logs: started[0].logs,
      cleanup,
    };
  } catch (error) {
    for (const n of started) n.child.kill('SIGKILL');
    cleanup();
    throw error;
  }
}

function stopChild(child) {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) {
      resolve();
      return;
    }
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

export async function stopTarget(target) {
  await Promise.all((target.nodes ?? [target]).map((n) => stopChild(n.child)));
  target.cleanup();
}
