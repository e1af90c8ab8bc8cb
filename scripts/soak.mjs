#!/usr/bin/env node
// soak.mjs — `npm run soak`: a long run of mixed, moderate load against the server started exactly as
// `npm start` starts it (`node bin/mawjly.js serve`, SQLite store in a fresh data directory), with the
// server's RSS sampled every 10 s. Not part of CI.
//
// Load, all to 127.0.0.1 and bounded:
//   - steady subscribers reading normally (public, cache and presence channels);
//   - connection churn: sockets that connect, subscribe, and leave (close or drop) seconds later;
//   - subscription churn: sockets that subscribe and unsubscribe random channels all the time;
//   - fan-out: signed REST publishes to the steady subscribers' channels, plus batch publishes and
//     channel queries;
//   - slow readers: sockets that stop reading and ask for 100 KB cache replays until the server cuts
//     them (4100), and a debug-console SSE reader that stops reading;
//   - malformed input: broken JSON, binary frames, unknown events, bad subscriptions, and sockets that
//     ask for more channels than the per-socket cap.
//
// usage: npm run soak -- [--minutes 30] [--out bench/results/soak-<time>.json] [--scale 1]
// Run it under `nice -n 10` on a shared machine; the server child is started with `nice -n 10` too.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync, existsSync } from 'node:fs';
import { request } from 'node:http';
import { connect as netConnect, createServer } from 'node:net';
import { tmpdir, cpus, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import Pusher from 'pusher';
import WebSocket from 'ws';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const arg = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : fallback;
};
if (args.includes('--help')) {
  process.stdout.write('usage: npm run soak -- [--minutes 30] [--out FILE.json] [--scale 1]\n');
  process.exit(0);
}
const minutes = Number(arg('minutes', process.env.SOAK_MINUTES ?? '30'));
const scale = Number(arg('scale', '1'));
const SAMPLE_MS = 10_000;
if (!(minutes > 0) || !(scale > 0)) {
  process.stderr.write('--minutes and --scale must be positive numbers\n');
  process.exit(2);
}
const startedAt = new Date();
const out = arg(
  'out',
  join(root, 'bench', 'results', `soak-${startedAt.toISOString().replace(/[:.]/g, '-')}.json`),
);
if (!existsSync(join(root, 'dist', 'server', 'server.js'))) {
  process.stderr.write('dist/ is missing: run `npm run build` first (npm run soak does)\n');
  process.exit(2);
}

// --- the server, as `npm start` runs it ------------------------------------------------------------

const APP = { id: '7000001', key: 'soak-key-00000000000', secret: 'soak-secret' };
const dataDir = mkdtempSync(join(tmpdir(), 'mawjly-soak-'));
const appsFile = join(dataDir, 'apps.json');
const plansFile = join(dataDir, 'plans.json');
mkdirSync(join(dataDir, 'data'));
writeFileSync(
  appsFile,
  JSON.stringify([
    { ...APP, plan: 'business', account: 'soak', name: 'Soak', settings: { client_events: true } },
  ]),
);
// The soak measures the server, not the plan table: no connection or message quota.
writeFileSync(plansFile, JSON.stringify({ business: { max_connections: null, max_messages_per_day: null } }));

async function freePort() {
  const server = createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}
const port = await freePort();
const metricsPort = await freePort();
const serverEnv = {
  ...process.env,
  PORT: String(port),
  HOST: '127.0.0.1',
  METRICS_PORT: String(metricsPort),
  MAWJLY_DATA_DIR: join(dataDir, 'data'),
  MAWJLY_APPS_FILE: appsFile,
  MAWJLY_PLANS_FILE: plansFile,
  LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
};
const command = ['nice', '-n', '10', process.execPath, join(root, 'bin', 'mawjly.js'), 'serve'];
const child = spawn(command[0], command.slice(1), {
  cwd: root,
  env: serverEnv,
  stdio: ['ignore', 'ignore', 'pipe'],
});
const warnings = new Map();
child.stderr.setEncoding('utf8');
let stderrTail = '';
child.stderr.on('data', (chunk) => {
  stderrTail = (stderrTail + chunk).slice(-4000);
  for (const line of chunk.split('\n')) {
    const msg = /"msg":"([^"]*)"/.exec(line)?.[1];
    if (msg) warnings.set(msg, (warnings.get(msg) ?? 0) + 1);
  }
});
let serverExited = null;
child.on('exit', (code, signal) => {
  serverExited = { code, signal };
});

function httpGet(path, headers = {}) {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path, headers, timeout: 10_000 }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
    });
    req.on('error', () => resolve(0));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}

const readyBy = Date.now() + 60_000;
while ((await httpGet('/ready')) !== 200) {
  if (serverExited || Date.now() > readyBy) {
    process.stderr.write(`server did not become ready\n${stderrTail}\n`);
    await cleanup();
    process.exit(1);
  }
  await sleep(200);
}

// A management token for the debug-console reader, made with the operator CLI on the same store.
let token;
try {
  token = execFileSync(
    process.execPath,
    [join(root, 'bin', 'mawjly.js'), 'tokens', 'create', '--account', 'soak', '--scopes', 'debug:read'],
    { cwd: root, env: serverEnv, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] },
  )
    .trim()
    .split('\n')
    .at(-1);
} catch (error) {
  process.stderr.write(`no management token (the SSE slow reader is skipped): ${error.message}\n`);
}

function rssKb() {
  try {
    return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1] ?? 0);
  } catch {
    return 0;
  }
}

// --- load ----------------------------------------------------------------------------------------

const sdk = new Pusher({
  appId: APP.id,
  key: APP.key,
  secret: APP.secret,
  host: '127.0.0.1',
  port: String(port),
});
const stats = {
  connections_opened: 0,
  connections_refused_or_failed: 0,
  close_codes: {},
  subscribes_sent: 0,
  subscription_errors: {},
  publishes_ok: 0,
  publishes_failed: 0,
  deliveries_received: 0,
  slow_readers_cut_4100: 0,
  slow_readers_cut_other: 0,
  slow_readers_not_cut: 0,
  sse_readers_cut: 0,
  sse_readers_not_cut: 0,
  malformed_frames_sent: 0,
  error_frames_received: 0,
};
const live = new Set();
let stopping = false;

function connect({ onFrame } = {}) {
  const ws = new WebSocket(
    `ws://127.0.0.1:${port}/app/${APP.key}?protocol=7&client=js&version=8.4.0&flash=false`,
  );
  stats.connections_opened++;
  live.add(ws);
  const socketId = new Promise((resolve) => {
    ws.on('message', (data, isBinary) => {
      if (isBinary) return;
      let frame;
      try {
        frame = JSON.parse(data.toString());
      } catch {
        return;
      }
      if (frame.event === 'pusher:connection_established') resolve(JSON.parse(frame.data).socket_id);
      // As pusher-js does: answer the server's activity check, or it closes the socket (4201).
      else if (frame.event === 'pusher:ping') ws.send('{"event":"pusher:pong","data":{}}');
      else if (frame.event === 'pusher:error') stats.error_frames_received++;
      else if (frame.event === 'pusher:subscription_error') {
        const status = (typeof frame.data === 'string' ? JSON.parse(frame.data) : frame.data)?.status;
        stats.subscription_errors[status] = (stats.subscription_errors[status] ?? 0) + 1;
      } else if (!frame.event.startsWith('pusher')) stats.deliveries_received++;
      onFrame?.(frame);
    });
  });
  ws.on('error', () => {
    stats.connections_refused_or_failed++;
  });
  ws.on('close', (code) => {
    live.delete(ws);
    stats.close_codes[code] = (stats.close_codes[code] ?? 0) + 1;
  });
  return { ws, socketId };
}

function subscribe(ws, socketId, channel, userId) {
  if (ws.readyState !== WebSocket.OPEN) return;
  const data = { channel };
  if (channel.startsWith('presence-')) {
    const auth = sdk.authorizeChannel(socketId, channel, {
      user_id: userId ?? `u-${socketId}`,
      user_info: { n: 1 },
    });
    data.auth = auth.auth;
    data.channel_data = auth.channel_data;
  } else if (channel.startsWith('private-')) {
    data.auth = sdk.authorizeChannel(socketId, channel).auth;
  }
  ws.send(JSON.stringify({ event: 'pusher:subscribe', data }));
  stats.subscribes_sent++;
}

const pick = (list) => list[Math.floor(Math.random() * list.length)];
const FANOUT = Array.from({ length: 10 }, (_, i) => `soak-fanout-${i}`);
const PRESENCE = Array.from({ length: 5 }, (_, i) => `presence-soak-${i}`);
const CHURN_POOL = Array.from({ length: 500 }, (_, i) => (i % 5 === 0 ? `private-churn-${i}` : `churn-${i}`));

/** Runs `tick` every `ms` until the soak ends; errors are counted, never fatal. */
function every(ms, tick) {
  const run = async () => {
    while (!stopping) {
      const t = Date.now();
      try {
        await tick();
      } catch {
        // counted by the tick itself where it matters
      }
      await sleep(Math.max(0, ms - (Date.now() - t)));
    }
  };
  return run();
}

async function publish(channels, name, data) {
  try {
    await sdk.trigger(channels, name, data);
    stats.publishes_ok++;
  } catch {
    stats.publishes_failed++;
  }
}

// 1. Steady subscribers.
const steady = Math.round(200 * scale);
for (let i = 0; i < steady; i++) {
  const { ws, socketId } = connect();
  socketId.then((id) => {
    subscribe(ws, id, FANOUT[i % FANOUT.length]);
    subscribe(ws, id, `cache-soak-${i % 5}`);
    if (i % 4 === 0) subscribe(ws, id, PRESENCE[i % PRESENCE.length], `steady-${i}`);
  });
  if (i % 20 === 19) await sleep(50);
}

const loops = [
  // 2. Connection churn: ~5 sockets a second, living 1–6 s, half closed cleanly, half dropped.
  every(1000, async () => {
    for (let i = 0; i < Math.round(5 * scale); i++) {
      const { ws, socketId } = connect();
      socketId.then((id) => {
        subscribe(ws, id, pick(FANOUT));
        subscribe(ws, id, pick(CHURN_POOL), undefined);
        if (Math.random() < 0.3) subscribe(ws, id, pick(PRESENCE));
      });
      setTimeout(
        () => {
          if (Math.random() < 0.5) ws.close();
          else ws.terminate();
        },
        1000 + Math.random() * 5000,
      ).unref();
    }
  }),
  // 3. Subscription churn: 20 sockets subscribing and unsubscribing random channels, ~40 frames/s.
  (async () => {
    const churners = [];
    for (let i = 0; i < Math.round(20 * scale); i++) churners.push(connect());
    const ids = await Promise.all(churners.map((c) => c.socketId));
    // Each holds up to ~30 channels: subscribe one, and once past 30 leave the oldest.
    const held = churners.map(() => []);
    await every(500, () => {
      churners.forEach(({ ws }, i) => {
        const channel = pick(CHURN_POOL);
        subscribe(ws, ids[i], channel);
        held[i].push(channel);
        if (held[i].length > 30 && ws.readyState === WebSocket.OPEN)
          ws.send(JSON.stringify({ event: 'pusher:unsubscribe', data: { channel: held[i].shift() } }));
      });
    });
  })(),
  // 4. Fan-out: 10 publishes a second of ~1 KB to the steady channels, a batch and a cache refresh.
  every(100, () => publish(pick(FANOUT), 'tick', JSON.stringify({ t: Date.now(), pad: 'p'.repeat(1000) }))),
  every(1000, async () => {
    try {
      await sdk.triggerBatch(
        Array.from({ length: 5 }, (_, i) => ({ channel: pick(FANOUT), name: 'batch', data: `{"i":${i}}` })),
      );
      stats.publishes_ok++;
    } catch {
      stats.publishes_failed++;
    }
    await publish(
      [`cache-soak-${Math.floor(Math.random() * 5)}`],
      'state',
      JSON.stringify({ at: Date.now() }),
    );
  }),
  // 5. REST queries.
  every(2000, async () => {
    try {
      await sdk.get({ path: '/channels', params: { filter_by_prefix: 'presence-', info: 'user_count' } });
      await sdk.get({ path: `/channels/${PRESENCE[0]}/users` });
    } catch {
      stats.publishes_failed++;
    }
  }),
  // 6a. A slow reader every 20 s: stops reading, asks for 100 KB cache replays until cut (4100).
  every(20_000, async () => {
    await publish(['cache-soak-big'], 'snapshot', 'x'.repeat(95 * 1024));
    const { ws, socketId } = connect();
    await socketId;
    ws.pause();
    let closed = false;
    ws.once('close', (code) => {
      closed = true;
      if (code === 4100) stats.slow_readers_cut_4100++;
      else stats.slow_readers_cut_other++;
    });
    for (let i = 0; i < 800 && !closed && !stopping; i++) {
      if (ws.readyState !== WebSocket.OPEN) break;
      ws.send('{"event":"pusher:subscribe","data":{"channel":"cache-soak-big"}}');
      ws.send('{"event":"pusher:unsubscribe","data":{"channel":"cache-soak-big"}}');
      if (i % 20 === 19) await sleep(10);
    }
    // Reading again: the server has cut it by now, and the close (4100) is waiting behind the data.
    ws.resume();
    const deadline = Date.now() + 10_000;
    while (!closed && Date.now() < deadline) await sleep(100);
    if (!closed) {
      stats.slow_readers_not_cut++;
      ws.terminate();
    }
  }),
  // 6b. A debug-console (SSE) reader every 60 s that stops reading while big events flow.
  every(60_000, async () => {
    if (!token) return;
    const socket = netConnect(port, '127.0.0.1');
    let ended = false;
    socket.on('error', () => undefined);
    socket.once('close', () => {
      ended = true;
    });
    socket.write(
      `GET /api/v1/apps/${APP.id}/debug HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${token}\r\n\r\n`,
    );
    socket.pause();
    await sleep(500);
    const big = JSON.stringify({ blob: 'd'.repeat(90 * 1024) });
    for (let i = 0; i < 200 && !stopping; i++) await publish(['soak-debug-flood'], 'big', big);
    socket.resume();
    socket.on('data', () => undefined);
    const deadline = Date.now() + 10_000;
    while (!ended && Date.now() < deadline) await sleep(100);
    if (ended) stats.sse_readers_cut++;
    else stats.sse_readers_not_cut++;
    socket.destroy();
  }),
  // 7. Malformed input: one socket sending garbage, binary, unknown events and bad subscriptions.
  (async () => {
    let bad = connect();
    await bad.socketId;
    const junk = [
      'not json',
      '{"event":',
      '[]',
      '{"event":42}',
      '{"event":"pusher:subscribe"}',
      '{"event":"pusher:subscribe","data":{"channel":"private-x","auth":"k:bad"}}',
      '{"event":"pusher:subscribe","data":{"channel":"bad name!"}}',
      '{"event":"client-x","channel":"nope","data":{}}',
      '{"event":"pusher:signin","data":{"auth":"x","user_data":"{"}}',
      `{"event":"unknown","data":"${'z'.repeat(2000)}"}`,
      '{"event":"pusher:ping","data":{}}',
    ];
    await every(200, async () => {
      if (bad.ws.readyState !== WebSocket.OPEN) {
        bad = connect();
        await bad.socketId;
      }
      bad.ws.send(pick(junk));
      if (Math.random() < 0.1) bad.ws.send(Buffer.from([0, 1, 2, 3]), { binary: true });
      stats.malformed_frames_sent++;
    });
  })(),
  // 8. Every 30 s a socket asks for more channels than the per-socket cap, then leaves.
  every(30_000, async () => {
    const { ws, socketId } = connect();
    const id = await socketId;
    for (let i = 0; i < 150; i++) subscribe(ws, id, `cap-${i}`);
    await sleep(2000);
    ws.close();
  }),
];

// --- sampling ------------------------------------------------------------------------------------

const samples = [];
const t0 = Date.now();
const sample = () => {
  const s = {
    t_s: Math.round((Date.now() - t0) / 1000),
    rss_mb: Math.round(rssKb() / 102.4) / 10,
    client_sockets: live.size,
    deliveries: stats.deliveries_received,
    publishes: stats.publishes_ok,
    cut_4100: stats.slow_readers_cut_4100,
    sse_cut: stats.sse_readers_cut,
  };
  samples.push(s);
  writeFileSync(out, JSON.stringify({ meta: meta(), samples, stats }, null, 1));
  process.stdout.write(
    `${new Date().toISOString()} t=${s.t_s}s rss=${s.rss_mb}MB sockets=${s.client_sockets} deliveries=${s.deliveries} publishes=${s.publishes} cut4100=${s.cut_4100} sseCut=${s.sse_cut}\n`,
  );
};
function meta() {
  return {
    started: startedAt.toISOString(),
    minutes,
    scale,
    command: `${command.join(' ')} (PORT=${port}, SQLite in ${join(dataDir, 'data')})`,
    node: process.version,
    cpus: `${cpus().length} × ${cpus()[0]?.model ?? '?'}`,
    memory_gb: Math.round(totalmem() / 1024 ** 3),
  };
}
mkdirSync(dirname(out), { recursive: true });
sample();
const sampler = setInterval(sample, SAMPLE_MS);
// Ctrl-C (SIGINT) or SIGTERM ends the soak early, with the summary of what ran.
await new Promise((resolve) => {
  const timer = setTimeout(resolve, minutes * 60_000);
  const early = () => {
    clearTimeout(timer);
    resolve();
  };
  process.once('SIGINT', early);
  process.once('SIGTERM', early);
});

// --- end -----------------------------------------------------------------------------------------

stopping = true;
clearInterval(sampler);
sample();
for (const ws of live) ws.terminate();
await Promise.race([Promise.allSettled(loops), sleep(15_000)]);
const alive = serverExited === null && (await httpGet('/ready')) === 200;
const rss = samples.map((s) => s.rss_mb).filter((v) => v > 0);
const summary = {
  ...meta(),
  server_alive_at_end: alive,
  rss_start_mb: rss[0],
  rss_end_mb: rss.at(-1),
  rss_max_mb: Math.max(...rss),
  rss_min_mb: Math.min(...rss),
  samples: samples.length,
  stats,
  server_log_messages: Object.fromEntries(warnings),
  out,
};
writeFileSync(out, JSON.stringify({ meta: meta(), summary, samples, stats }, null, 1));
process.stdout.write(`\n${JSON.stringify(summary, null, 2)}\n`);
await cleanup();
process.exit(alive ? 0 : 1);

async function cleanup() {
  if (serverExited === null) child.kill('SIGTERM');
  const deadline = Date.now() + 10_000;
  while (serverExited === null && Date.now() < deadline) await sleep(100);
  if (serverExited === null) child.kill('SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
}
