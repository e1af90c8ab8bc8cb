// `npm start`: checks that the ports are free, builds only when a source changed since the last
// build, then runs `mawjly serve` in this process. The port check comes first so that a second
// instance beside a running one fails at once, without rewriting the running server's dist/ and
// dashboard/dist/. Arguments after `npm start --` go to `mawjly serve` (--port, --host, …).
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = fileURLToPath(new URL('..', import.meta.url));
const STAMP = join(root, 'dist', '.build-stamp');
// What `npm run build` reads, and what it writes.
// Directories are walked, skipping build outputs (dist/) and node_modules/.
const SOURCES = [
  'src',
  'packages',
  'dashboard',
  'tsconfig.json',
  'tsconfig.build.json',
  'package.json',
  'package-lock.json',
];
const OUTPUTS = ['dist/cli/main.js', 'packages/client/dist/mawjly.js', 'dashboard/dist/index.html'];

const args = process.argv.slice(2);
const { values } = parseArgs({
  args,
  options: { port: { type: 'string' }, host: { type: 'string' }, 'metrics-port': { type: 'string' } },
  strict: false,
});

function newestMtime(path) {
  const full = join(root, path);
  const stat = statSync(full, { throwIfNoEntry: false });
  if (stat === undefined) return 0;
  if (!stat.isDirectory()) return stat.mtimeMs;
  // Files only (a directory's own time changes when a build recreates an output inside it), and
  // no build outputs or installed packages.
  const entries = readdirSync(full).filter((name) => name !== 'dist' && name !== 'node_modules');
  return Math.max(0, ...entries.map((name) => newestMtime(join(path, name))));
}

/** Resolves when the port can be bound on host (then released); rejects with the reason if not. */
function checkPort(port, host, variable) {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', (error) => {
      reject(
        new Error(
          error.code === 'EADDRINUSE'
            ? `${variable}=${port}: ${host}:${port} is already in use (another Mawjly running? set ${variable} or stop it)`
            : `${variable}=${port}: cannot listen on ${host}:${port}: ${error.message}`,
        ),
      );
    });
    probe.listen(port, host, () => probe.close(() => resolve()));
  });
}

const env = process.env;
const portText = values.port ?? env.PORT ?? '6001';
const host = values.host ?? env.HOST ?? '0.0.0.0';
const port = Number(portText);
// The same rule as the server's: unset, the metrics port follows PORT (6001 → 9601).
const metricsText = values['metrics-port'] ?? env.METRICS_PORT;
const metricsPort =
  metricsText === undefined ? (port === 0 || port + 3600 > 65535 ? 0 : port + 3600) : Number(metricsText);
try {
  // Invalid values are left to `mawjly serve`, which explains them.
  // Nodes sharing PORT (MAWJLY_REUSE_PORT, docs/operations.md): a probe without SO_REUSEPORT would
  // find it taken by the first node; the server checks that the port is shared instead.
  const sharesPort = ['true', '1', 'yes'].includes(env.MAWJLY_REUSE_PORT ?? '');
  if (!sharesPort && Number.isInteger(port) && port > 0 && port <= 65535) await checkPort(port, host, 'PORT');
  if (Number.isInteger(metricsPort) && metricsPort > 0 && metricsPort <= 65535)
    await checkPort(metricsPort, host, 'METRICS_PORT');
} catch (error) {
  process.stderr.write(`mawjly: ${error.message}\n`);
  process.exit(1);
}

const built = existsSync(STAMP) && OUTPUTS.every((path) => existsSync(join(root, path)));
const stale = !built || Math.max(...SOURCES.map(newestMtime)) > statSync(STAMP).mtimeMs;
if (stale) {
  process.stderr.write('mawjly: sources changed since the last build; building (npm run build)…\n');
  const started = Date.now();
  const result = spawnSync('npm', ['run', 'build', '--silent'], { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) process.exit(result.status ?? 1);
  // Dated when the build started: a source saved during the build makes the next start build again.
  writeFileSync(STAMP, `${new Date(started).toISOString()}\n`);
  utimesSync(STAMP, new Date(started), new Date(started));
  process.stderr.write(`mawjly: built in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
}

process.argv = [process.argv[0], join(root, 'bin', 'mawjly.js'), 'serve', ...args];
await import('../bin/mawjly.js');
