#!/usr/bin/env node
// run.mjs — `npm run bench`: builds Mawjly if needed, starts it the way `npm start` does (SQLite
// store in a temporary data directory, an apps file, the default log level, only the plan's caps
// lifted) once per transport (MAWJLY_TRANSPORT=ws and =uws, where uWS loads), starts the Node + ws
// baseline (bench/baseline-ws.mjs --mode frame) and optionally the uWS ceiling
// (bench/baseline-uws.mjs), runs the black-box harness (bench/pusher-bench.mjs) against each,
// prints one markdown table and writes the raw JSON to bench/results/.
//
// Every scenario gets freshly started servers, run one after the other in the same order, so RSS
// readings are meaningful and each server sees the same machine state. Loopback only; every child
// is killed by its PID. `npm run bench -- --help` lists the options; bench/README.md explains them.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { median, table } from './lib/report.mjs';
import { spawnNode, startCluster, startTarget, stopTarget } from './lib/targets.mjs';
import { scenarioArgs } from './lib/scenarios.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const args = process.argv.slice(2);
const flag = (name) => args.includes(`--${name}`);
const arg = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : fallback;
};
const all = (name) => args.flatMap((a, i) => (a === `--${name}` && i + 1 < args.length ? [args[i + 1]] : []));
const USAGE = `usage: npm run bench -- [options]
  --scenarios LIST       ${Object.keys(scenarioArgs({})).join(',')}
                         (default: every one but webhooks, fanout-setting, idle50k and
                         idle50k-cluster)
  --transports LIST      Mawjly transports to run: ws,uws (default; uws is skipped with a note
                         when its native module does not load)
  --no-baseline          do not run bench/baseline-ws.mjs --mode frame (ratios need it)
  --ceiling              also run bench/baseline-uws.mjs, the uWS native pub/sub ceiling
  --server user|memory   user (default): bin/mawjly.js serve with store, apps file and plans file;
                         memory: bench/start-server.mjs (in-memory apps, log level warn)
  --app-setting K=V      an app setting in the apps file of every Mawjly server (repeatable)
  --toggle K=V           the setting(s) of the fanout-setting scenario (default
                         history={"max_events":100,"max_age_seconds":120}, needs --plan pro)
  --plan NAME            the benchmark app's plan (default startup); its caps are lifted
  --idle-connections N   idle50k and idle50k-cluster size (default 50000)
  --nodes N              idle50k-cluster: Mawjly uWS nodes sharing one port (default 3)
  --cluster-url URL      idle50k-cluster: their cluster bus (default redis://127.0.0.1:6379; a
                         fresh MAWJLY_CLUSTER_PREFIX per run)
  --host ADDR            server address (default 127.0.0.1; any 127.x.y.z)
  --client-addresses L   idle50k source addresses (default: .1-.4 of the /24 after --host's)
  --repeat N  --quick  --workers W  --no-build  --out FILE
`;
if (flag('help')) {
  process.stdout.write(USAGE);
  process.exit(0);
}

const host = arg('host', '127.0.0.1');
if (!/^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host)) {
  process.stderr.write('--host must be a 127.x.y.z address\n');
  process.exit(2);
}
const quick = flag('quick');
const idleConnections = Math.max(100, Number(arg('idle-connections', '50000')) || 50000);
const clientAddresses = arg(
  'client-addresses',
  (() => {
    const [a, b] = host.split('.').slice(1, 3).map(Number);
    return [1, 2, 3, 4].map((d) => `127.${a}.${(b + 1) % 256}.${d}`).join(',');
  })(),
);
const ALL = scenarioArgs({ quick, idleConnections, clientAddresses });
const DEFAULT_SCENARIOS = Object.keys(ALL).filter(
  (s) => !['webhooks', 'fanout-setting', 'idle50k', 'idle50k-cluster'].includes(s),
);
const scenarios = arg('scenarios', DEFAULT_SCENARIOS.join(','))
  .split(',')
  .map((s) => s.trim())
  .filter(Boolean);
for (const s of scenarios)
  if (!ALL[s]) {
    process.stderr.write(`unknown scenario ${s} (known: ${Object.keys(ALL).join(', ')})\n`);
    process.exit(2);
  }
const parseSettings = (list) =>
  Object.fromEntries(
    list.map((kv) => {
      const i = kv.indexOf('=');
      const key = i > 0 ? kv.slice(0, i) : kv;
      const text = i > 0 ? kv.slice(i + 1) : 'true';
      let value;
      try {
        value = JSON.parse(text);
      } catch {
        value = text;
      }
      return [key, value];
    }),
  );
const appSettings = parseSettings(all('app-setting'));
const toggled = parseSettings(
  all('toggle').length > 0 ? all('toggle') : ['history={"max_events":100,"max_age_seconds":120}'],
);
const plan = arg('plan', 'startup');
if (!['free', 'startup', 'pro', 'business'].includes(plan)) {
  process.stderr.write('--plan must be free, startup, pro or business\n');
  process.exit(2);
}
const serverMode = arg('server', 'user');
if (!['user', 'memory'].includes(serverMode)) {
  process.stderr.write('--server must be user or memory\n');
  process.exit(2);
}
const repeat = Math.max(1, Math.min(9, Number(arg('repeat', '1')) || 1));
const nodes = Math.max(2, Math.min(16, Number(arg('nodes', '3')) || 3));
const clusterUrl = arg('cluster-url', 'redis://127.0.0.1:6379');
if (!/^(redis|nats):\/\/(127\.\d{1,3}\.\d{1,3}\.\d{1,3}|localhost)(:\d+)?\/?$/.test(clusterUrl)) {
  process.stderr.write('--cluster-url must be redis:// or nats:// on a loopback address\n');
  process.exit(2);
}
const IDLE = ['idle50k', 'idle50k-cluster'];
const workers = String(Math.max(1, Math.min(8, Number(arg('workers', '2')) || 2)));
const transports = arg('transports', 'ws,uws')
  .split(',')
  .map((s) => s.trim())
  .filter((t) => t === 'ws' || t === 'uws');
const log = (s) => process.stderr.write(`${s}\n`);
const notes = [];

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

/** The soft open-files limit of a running process (from /proc). */
function openFilesLimit(pid) {
  try {
    const m = /Max open files\s+(\d+)/.exec(readFileSync(`/proc/${pid}/limits`, 'utf8'));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

const startOptions = (scenario) => ({
  root,
  here,
  host,
  track,
  server: scenario === 'webhooks' ? 'memory' : serverMode,
  plan,
  webhooks: scenario === 'webhooks' ? 2 : 0,
  appSettings: scenario === 'fanout-setting' ? { ...appSettings, ...toggled } : appSettings,
  files: IDLE.includes(scenario) ? idleConnections + 1024 : 0,
});

function runHarness(target, name, scenario, harnessArgs) {
  return new Promise((resolve) => {
    const child = spawnNode(track, root, join(here, 'pusher-bench.mjs'), [
      '--host',
      target.host,
      '--port',
      String(target.port),
      '--app-id',
      target.appId,
      '--key',
      target.key,
      '--secret',
      target.secret,
      '--server-pid',
      (target.pids ?? [target.pid]).join(','),
      '--label',
      name,
      '--workers',
      workers,
      '--scenario-timeout',
      IDLE.includes(scenario) ? '900' : '240',
      '--settle',
      '2',
      ...harnessArgs,
    ]);
    let out = '';
    child.stdout.on('data', (d) => (out += d.toString()));
    child.stderr.on('data', (d) => {
      for (const line of d.toString().split('\n')) if (line.trim()) log(`    ${line}`);
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), IDLE.includes(scenario) ? 1_000_000 : 300_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      const lines = out
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l));
      const first = lines[0] ?? {
        scenario,
        label: name,
        pass: false,
        error: `harness exit ${code}, no result`,
      };
      // idle50k-cluster: the fan-out check through the shared port follows the idle connections.
      if (scenario === 'idle50k-cluster') {
        first.cluster_fanout = lines[1] ?? { pass: false, error: 'no fan-out result' };
        first.pass = first.pass === true && first.cluster_fanout.pass === true;
      }
      resolve(first);
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
  const built = join(root, 'dist', 'cli', 'main.js');
  if (flag('no-build')) return;
  if (existsSync(built) && statSync(built).mtimeMs >= newestMtime(join(root, 'src'))) return;
  log('building (npm run build) ...');
  const r = spawnSync('npm', ['run', 'build', '--silent'], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) {
    log('build failed');
    process.exit(1);
  }
}

// --- which servers ------------------------------------------------------------------------------------

/** Starts a target once to see that it runs, and on the transport asked for. */
async function available(name) {
  let target;
  try {
    target = await startTarget(name, startOptions('probe'));
    const want = name.endsWith('uws') ? 'uws' : 'ws';
    if (target.transport !== want && !(want === 'ws' && target.transport === 'unknown'))
      return `started on ${target.transport} instead of ${want} (no uWS support in this build?)`;
    return true;
  } catch (error) {
    return String(error.message).split('\n').slice(0, 3).join(' ').slice(0, 300);
  } finally {
    if (target) await stopTarget(target);
  }
}

async function chooseTargets() {
  const chosen = [];
  for (const t of transports) {
    const name = `mawjly-${t}`;
    const ok = t === 'ws' ? true : await available(name);
    if (ok === true) chosen.push(name);
    else notes.push(`${name} not run: ${ok}`);
  }
  if (!flag('no-baseline')) chosen.push('baseline');
  if (flag('ceiling')) {
    const ok = await available('ceiling-uws');
    if (ok === true) chosen.push('ceiling-uws');
    else notes.push(`ceiling-uws not run: ${ok}`);
  }
  return chosen;
}

// --- main -------------------------------------------------------------------------------------------

buildIfNeeded();
const targets = await chooseTargets();
const started = new Date();
log(
  `bench: ${targets.join(', ')}; scenarios ${scenarios.join(',')}; repeat ${repeat}; server ${serverMode}; ${os.cpus().length} CPUs, Node ${process.version}`,
);
for (const n of notes) log(`note: ${n}`);
const results = [];
for (let round = 1; round <= repeat; round++) {
  for (const scenario of scenarios) {
    for (const name of targets) {
      // webhooks and fanout-setting compare Mawjly with itself (against fanout): no baselines.
      if (['webhooks', 'fanout-setting'].includes(scenario) && !name.startsWith('mawjly')) continue;
      // idle50k-cluster needs nodes that share a port and a cluster bus: only Mawjly on uWS has both.
      const cluster = scenario === 'idle50k-cluster';
      if (cluster && name !== 'mawjly-uws') {
        if (round === 1)
          notes.push(
            `idle50k-cluster not run on ${name}: ${name === 'mawjly-ws' ? 'node:http in Node 20 cannot share a port (no SO_REUSEPORT)' : 'a baseline has no cluster'}`,
          );
        continue;
      }
      log(
        `\n== ${scenario} / ${name}${cluster ? ` × ${nodes} nodes on one port` : ''}${repeat > 1 ? ` (round ${round}/${repeat})` : ''}`,
      );
      let target;
      try {
        target = cluster
          ? await startCluster({ ...startOptions(scenario), nodes, clusterUrl })
          : await startTarget(name, startOptions(scenario));
      } catch (error) {
        log(`    could not start ${name}: ${error.message}`);
        results.push({ label: name, scenario_key: scenario, round, pass: false, error: error.message });
        continue;
      }
      try {
        let harnessArgs = ALL[scenario];
        if (IDLE.includes(scenario)) {
          const limit = openFilesLimit(target.pid);
          const count = target.pids?.length ?? 1;
          // The kernel spreads connections over the nodes by a hash, not exactly evenly: 10 % margin.
          const room = count === 1 ? (limit ?? 0) - 1000 : Math.floor(count * ((limit ?? 0) - 1000) * 0.9);
          if (limit !== null && idleConnections > room) {
            const n = Math.max(100, room);
            notes.push(
              `${scenario} on ${name}: the open-files limit of ${count === 1 ? 'the server' : `each of ${count} nodes`} is ${limit} (the hard limit could not be raised), so ${n} connections were opened instead of ${idleConnections}`,
            );
            harnessArgs = scenarioArgs({ quick, idleConnections: n, clientAddresses })[scenario];
          }
        }
        // Freshly started nodes shrink for several seconds (start-up garbage, V8's memory reducer):
        // readings taken at once would count that as negative growth per connection.
        if (cluster) await new Promise((resolve) => setTimeout(resolve, 12_000));
        const r = await runHarness(target, name, scenario, harnessArgs);
        r.scenario_key = scenario;
        if (harnessArgs !== ALL[scenario]) r.capped_from = idleConnections;
        r.round = round;
        r.transport_in_effect = target.transport;
        if (cluster) {
          r.nodes = target.pids.length;
          r.cluster_url = clusterUrl;
          r.cluster_prefix = target.clusterPrefix;
        }
        r.server_mode = name.startsWith('mawjly') ? startOptions(scenario).server : 'baseline';
        results.push(r);
      } finally {
        await stopTarget(target);
      }
    }
  }
}

const cpuModel = os.cpus()[0]?.model ?? 'unknown';
const { text, verdicts } = table(results, targets, scenarios);
const header =
  `Mawjly benchmark, ${started.toISOString()} — ${os.cpus().length} × ${cpuModel}, Node ${process.version}, ` +
  `server ${serverMode === 'user' ? 'as `npm start` runs it' : 'bench/start-server.mjs (memory)'}, ` +
  `${repeat > 1 ? `median of ${repeat}` : 'one run'}${quick ? ', --quick sizes' : ''}, load average at start ${os.loadavg()[0].toFixed(1)}`;
process.stdout.write(`\n${header}\n\n${text}\n`);
for (const [key, what] of [
  ['webhooks', 'with 2 webhook endpoints on every event type'],
  ['fanout-setting', `with ${JSON.stringify(toggled)}`],
]) {
  if (!scenarios.includes(key) || !scenarios.includes('fanout')) continue;
  for (const t of targets.filter((x) => x.startsWith('mawjly'))) {
    const cpu = (s) =>
      median(
        results
          .filter((r) => r.label === t && r.scenario_key === s)
          .map((r) => r.deliveries_per_server_cpu_sec),
      );
    const plain = cpu('fanout');
    const other = cpu(key);
    if (plain && other)
      process.stdout.write(
        `\n${t}: fan-out per server CPU-s ${what} is ${((other / plain) * 100).toFixed(1)} % of the plain run\n`,
      );
  }
}
const failed = results.filter((r) => !r.pass).map((r) => `${r.label}/${r.scenario_key}`);
if (failed.length > 0)
  process.stdout.write(`\nscenarios that reported errors (see JSON): ${failed.join(', ')}\n`);
for (const n of notes) process.stdout.write(`\nnote: ${n}\n`);

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
        loadavg: os.loadavg(),
      },
      command: `npm run bench -- ${args.join(' ')}`.trim(),
      targets,
      serverMode,
      plan,
      appSettings,
      toggled,
      scenarios,
      repeat,
      quick,
      notes,
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
