#!/usr/bin/env node
// run.mjs — `npm run bench`: one command that builds Mawjly if needed, starts it with a benchmark
// app (bench/start-server.mjs), optionally starts the reference server (bench/baseline-ws.mjs
// --mode frame), runs the black-box harness (bench/pusher-bench.mjs) against each, prints a
// markdown table and writes the raw JSON to bench/results/.
//
// Every scenario gets a freshly started server, so RSS-per-connection readings are meaningful and
// one scenario's leftovers cannot slow the next. With --baseline the two servers alternate per
// scenario, so both see the same machine state. Loopback only; every child is killed by its PID.
//
// usage: npm run bench -- [--baseline] [--scenarios fanout,latency,encrypted,connections,http,channels,churn,webhooks]
// `webhooks` is the fanout scenario against a server whose app has two webhook endpoints subscribed
// to every event type (store-backed); the report compares its CPU cost with `fanout`'s.
//                         [--repeat N] [--quick] [--workers 2] [--no-build] [--out FILE]
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const args = process.argv.slice(2);
const flag = (name) => args.includes(`--${name}`);
const arg = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : fallback;
};
if (flag('help')) {
  process.stdout.write(
    'usage: npm run bench -- [--baseline] [--scenarios LIST] [--repeat N] [--quick] [--workers W] [--no-build] [--out FILE]\n' +
      `scenarios: ${Object.keys(scenarioArgs(false)).join(', ')}\n`,
  );
  process.exit(0);
}

/** Harness arguments of each scenario, sized for a 2-core machine (about a minute per server). */
function scenarioArgs(quick) {
  return {
    fanout: [
      '--scenarios',
      'fanout',
      '--subscribers',
      quick ? '500' : '2000',
      '--messages',
      quick ? '50' : '200',
    ],
    latency: [
      '--scenarios',
      'fanout',
      '--subscribers',
      '100',
      '--rate',
      '100',
      '--messages',
      quick ? '300' : '1000',
    ],
    encrypted: [
      '--scenarios',
      'encrypted',
      '--subscribers',
      quick ? '500' : '2000',
      '--messages',
      quick ? '50' : '200',
    ],
    webhooks: [
      '--scenarios',
      'fanout',
      '--subscribers',
      quick ? '500' : '2000',
      '--messages',
      quick ? '50' : '200',
    ],
    connections: ['--scenarios', 'connections', '--connections', quick ? '2000' : '10000'],
    http: ['--scenarios', 'http', '--http-concurrency', '32', '--http-seconds', quick ? '3' : '10'],
    channels: [
      '--scenarios',
      'channels',
      '--channels',
      quick ? '500' : '2000',
      '--subs-per-channel',
      '2',
      '--events-per-channel',
      '20',
    ],
    churn: [
      '--scenarios',
      'churn',
      '--churn-sockets',
      quick ? '200' : '500',
      '--churn-rounds',
      quick ? '5' : '20',
      '--churn-channels',
      '50',
    ],
  };
}

const quick = flag('quick');
const ALL = scenarioArgs(quick);
const scenarios = arg('scenarios', Object.keys(ALL).join(','))
  .split(',')
  .map((s) => s.trim())
  .filter(Boolean);
for (const s of scenarios)
  if (!ALL[s]) {
    process.stderr.write(`unknown scenario ${s} (known: ${Object.keys(ALL).join(', ')})\n`);
    process.exit(2);
  }
const repeat = Math.max(1, Math.min(9, Number(arg('repeat', '1')) || 1));
const workers = String(Math.max(1, Math.min(8, Number(arg('workers', '2')) || 2)));
const servers = flag('baseline') ? ['mawjly', 'baseline'] : ['mawjly'];
const log = (s) => process.stderr.write(`${s}\n`);

// --- children -------------------------------------------------------------------------------------

const children = new Set();
function track(child) {
  children.add(child);
  child.on('exit', () => children.delete(child));
  return child;
}
function killChildren() {
  for (const child of children) if (child.pid !== undefined && child.exitCode === null) child.kill('SIGKILL');
}
process.on('exit', killChildren);
for (const signal of ['SIGINT', 'SIGTERM'])
  process.on(signal, () => {
    killChildren();
    process.exit(130);
  });

/** Spawns node with the open-files soft limit raised to the hard limit (10k sockets need it). */
function spawnNode(script, scriptArgs, extraEnv = {}) {
  return track(
    spawn(
      'sh',
      [
        '-c',
        'ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec "$0" "$@"',
        process.execPath,
        script,
        ...scriptArgs,
      ],
      { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...extraEnv } },
    ),
  );
}

function waitForLine(child, test, timeoutMs, what) {
  return new Promise((resolve, reject) => {
    let buffer = '';
    let stderr = '';
    const timer = setTimeout(
      () => reject(new Error(`${what}: not ready after ${timeoutMs} ms\n${stderr}`)),
      timeoutMs,
    );
    child.stderr.on('data', (d) => {
      stderr = (stderr + d.toString()).slice(-4000);
    });
    child.stdout.on('data', (d) => {
      buffer += d.toString();
      let i;
      while ((i = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, i);
        buffer = buffer.slice(i + 1);
        const found = test(line);
        if (found) {
          clearTimeout(timer);
          resolve(found);
        }
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${what} exited with ${code}\n${stderr}`));
    });
  });
}

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

async function startTarget(name, scenario) {
  if (name === 'mawjly') {
    const child = spawnNode(
      join(here, 'start-server.mjs'),
      ['--port', '0', '--host', '127.0.0.1', ...(scenario === 'webhooks' ? ['--webhooks', '2'] : [])],
      { LOG_LEVEL: 'warn' },
    );
    const info = await waitForLine(
      child,
      (line) => {
        try {
          const o = JSON.parse(line);
          return o.ready ? o : undefined;
        } catch {
          return undefined;
        }
      },
      20_000,
      'mawjly',
    );
    return { child, pid: child.pid, port: info.port, appId: info.appId, key: info.key, secret: info.secret };
  }
  const port = await freePort();
  const child = spawnNode(join(here, 'baseline-ws.mjs'), [
    '--port',
    String(port),
    '--host',
    '127.0.0.1',
    '--mode',
    'frame',
  ]);
  await waitForLine(child, (line) => line.includes('listening on'), 20_000, 'baseline-ws');
  return { child, pid: child.pid, port, appId: 'app-id', key: 'app-key', secret: 'app-secret' };
}

function stopTarget(target) {
  return new Promise((resolve) => {
    if (target.child.exitCode !== null) {
      resolve();
      return;
    }
    const timer = setTimeout(() => target.child.kill('SIGKILL'), 8000);
    target.child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    target.child.kill('SIGTERM');
  });
}

function runHarness(target, name, scenario) {
  return new Promise((resolve) => {
    const harnessArgs = [
      join(here, 'pusher-bench.mjs'),
      '--host',
      '127.0.0.1',
      '--port',
      String(target.port),
      '--app-id',
      target.appId,
      '--key',
      target.key,
      '--secret',
      target.secret,
      '--server-pid',
      String(target.pid),
      '--label',
      name,
      '--workers',
      workers,
      '--scenario-timeout',
      '240',
      '--settle',
      '2',
      ...ALL[scenario],
    ];
    const child = track(
      spawn(process.execPath, harnessArgs, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] }),
    );
    let out = '';
    child.stdout.on('data', (d) => (out += d.toString()));
    child.stderr.on('data', (d) => {
      for (const line of d.toString().split('\n')) if (line.trim()) log(`    ${line}`);
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 300_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      const lines = out
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l));
      resolve(
        lines[0] ?? {
          scenario: scenario,
          label: name,
          pass: false,
          error: `harness exit ${code}, no result`,
        },
      );
    });
  });
}

// --- build ------------------------------------------------------------------------------------------

function newestMtime(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestMtime(path));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts'))
      newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

function buildIfNeeded() {
  const built = join(root, 'dist', 'server', 'server.js');
  if (flag('no-build')) return;
  if (existsSync(built) && statSync(built).mtimeMs >= newestMtime(join(root, 'src'))) return;
  log('building (npm run build) ...');
  const r = spawnSync('npm', ['run', 'build', '--silent'], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) {
    log('build failed');
    process.exit(1);
  }
}

// --- summary ----------------------------------------------------------------------------------------

const median = (xs) => {
  const v = xs.filter((x) => typeof x === 'number' && Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return null;
  const m = Math.floor(v.length / 2);
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
};

/** Rows of the table: label, scenario, value picker, target (ratio to baseline or absolute bound). */
const ROWS = [
  ['fan-out deliveries/s', 'fanout', (r) => r.deliveries_per_sec, null],
  ['fan-out deliveries per server CPU-s', 'fanout', (r) => r.deliveries_per_server_cpu_sec, { ratio: 0.9 }],
  [
    'fan-out deliveries per server CPU-s, 2 webhook endpoints',
    'webhooks',
    (r) => r.deliveries_per_server_cpu_sec,
    null,
  ],
  [
    'encrypted deliveries per server CPU-s',
    'encrypted',
    (r) => r.deliveries_per_server_cpu_sec,
    { ratio: 0.9 },
  ],
  ['p50 trigger→receive, 100 subs × 100 ev/s (ms)', 'latency', (r) => r.latency_ms?.p50, null],
  ['p99 trigger→receive, 100 subs × 100 ev/s (ms)', 'latency', (r) => r.latency_ms?.p99, { max: 4 }],
  ['REST publishes/s (32 concurrent)', 'http', (r) => r.requests_per_sec, { ratio: 0.9 }],
  ['REST p99 (ms)', 'http', (r) => r.latency_ms?.p99, null],
  [
    'idle connections held (of the requested)',
    'connections',
    (r) => (r.failed === 0 ? r.still_open_after_settle : -r.failed),
    null,
  ],
  ['memory per idle connection (KB)', 'connections', (r) => r.server_rss_per_conn_kb, { max: 5 }],
  [
    '`channels` deliveries per server CPU-s',
    'channels',
    (r) => r.deliveries_per_server_cpu_sec,
    { ratio: 1 },
  ],
  ['`channels` memory per private subscription (KB)', 'channels', (r) => r.server_rss_per_sub_kb, { max: 5 }],
  ['`churn` presence subscriptions/s', 'churn', (r) => r.subscriptions_per_sec, null],
  [
    '`churn` subscriptions per server CPU-s',
    'churn',
    (r) => r.subscriptions_per_server_cpu_sec,
    { ratio: 1 },
  ],
];

function fmt(x) {
  if (x === null || x === undefined) return '–';
  if (Math.abs(x) >= 1000) return Math.round(x).toLocaleString('en-US');
  return String(Math.round(x * 100) / 100);
}

function table(results) {
  const withBaseline = servers.includes('baseline');
  const head = withBaseline
    ? '| metric | Mawjly | baseline (frame) | ratio | target | met |\n|---|---:|---:|---:|---|:-:|'
    : '| metric | Mawjly | target |\n|---|---:|---|';
  const lines = [head];
  const verdicts = [];
  for (const [label, scenario, pick, target] of ROWS) {
    if (!scenarios.includes(scenario)) continue;
    const ours = median(results.filter((r) => r.label === 'mawjly' && r.scenario_key === scenario).map(pick));
    const base = median(
      results.filter((r) => r.label === 'baseline' && r.scenario_key === scenario).map(pick),
    );
    const ratio = ours !== null && base ? ours / base : null;
    let targetText = '';
    let met = null;
    if (target?.ratio !== undefined) {
      targetText = `≥ ${target.ratio}× baseline`;
      if (ratio !== null) met = ratio >= target.ratio;
    } else if (target?.max !== undefined) {
      targetText = `≤ ${target.max}`;
      if (ours !== null) met = ours <= target.max;
    }
    if (met !== null) verdicts.push({ metric: label, met });
    const mark = met === null ? '' : met ? 'yes' : '**no**';
    lines.push(
      withBaseline
        ? `| ${label} | ${fmt(ours)} | ${fmt(base)} | ${ratio === null ? '–' : `${ratio.toFixed(2)}×`} | ${targetText} | ${mark} |`
        : `| ${label} | ${fmt(ours)} | ${targetText} |`,
    );
  }
  const failed = results.filter((r) => !r.pass).map((r) => `${r.label}/${r.scenario_key}`);
  return { text: lines.join('\n'), verdicts, failed };
}

// --- main -------------------------------------------------------------------------------------------

buildIfNeeded();
const started = new Date();
log(
  `bench: ${servers.join(' vs ')}; scenarios ${scenarios.join(',')}; repeat ${repeat}; ${os.cpus().length} CPUs, Node ${process.version}`,
);
const results = [];
for (let round = 1; round <= repeat; round++) {
  for (const scenario of scenarios) {
    for (const name of servers) {
      // The webhooks scenario measures Mawjly against itself (fanout); no baseline run.
      if (scenario === 'webhooks' && name !== 'mawjly') continue;
      log(`\n== ${scenario} / ${name}${repeat > 1 ? ` (round ${round}/${repeat})` : ''}`);
      const target = await startTarget(name, scenario);
      try {
        const r = await runHarness(target, name, scenario);
        r.scenario_key = scenario;
        r.round = round;
        results.push(r);
      } finally {
        await stopTarget(target);
      }
    }
  }
}

const cpuModel = (() => {
  try {
    return os.cpus()[0]?.model ?? 'unknown';
  } catch {
    return 'unknown';
  }
})();
const { text, verdicts, failed } = table(results);
const header =
  `Mawjly benchmark, ${started.toISOString()} — ${os.cpus().length} × ${cpuModel}, Node ${process.version}, ` +
  `${repeat > 1 ? `median of ${repeat}` : 'one run'}${quick ? ', --quick sizes' : ''}`;
process.stdout.write(`\n${header}\n\n${text}\n`);
{
  const cpu = (key) =>
    median(
      results
        .filter((r) => r.label === 'mawjly' && r.scenario_key === key)
        .map((r) => r.deliveries_per_server_cpu_sec),
    );
  const plain = cpu('fanout');
  const hooked = cpu('webhooks');
  if (typeof plain === 'number' && typeof hooked === 'number' && plain > 0)
    process.stdout.write(
      `\nwebhooks: fan-out per server CPU-s with 2 endpoints on every event type is ${((hooked / plain) * 100).toFixed(1)} % of the run without (target ≥ 90 %)\n`,
    );
}
if (failed.length > 0)
  process.stdout.write(`\nscenarios that reported errors (see JSON): ${failed.join(', ')}\n`);

const resultsDir = join(here, 'results');
mkdirSync(resultsDir, { recursive: true });
const outFile = arg('out', join(resultsDir, `bench-${started.toISOString().replace(/[:.]/g, '-')}.json`));
writeFileSync(
  outFile,
  `${JSON.stringify(
    {
      started: started.toISOString(),
      machine: {
        cpus: os.cpus().length,
        cpuModel,
        node: process.version,
        platform: `${os.type()} ${os.release()}`,
      },
      servers,
      scenarios,
      repeat,
      quick,
      harnessArgs: Object.fromEntries(scenarios.map((s) => [s, ALL[s]])),
      verdicts,
      results,
    },
    null,
    2,
  )}\n`,
);
process.stdout.write(`\nraw results: ${relative(process.cwd(), outFile)}\n`);
process.exitCode = failed.length > 0 ? 1 : 0;
