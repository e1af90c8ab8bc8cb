// `npm start` and `mawjly serve` as a person meets them: ports checked before any build, the banner
// first, what is bound, and a metrics port that follows PORT.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { statSync } from 'node:fs';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { loadConfig } from '../../src/config/config.js';
import { exposureWarning, listeningLine } from '../../src/server/first-run.js';
import { repoRoot } from '../support/client-build.js';

async function listenOn(port = 0): Promise<Server> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  return server;
}

function run(command: string, env: NodeJS.ProcessEnv): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    // One pipe for stdout and stderr, to see the order a terminal shows.
    const child = spawn('sh', ['-c', `exec ${command} 2>&1`], {
      cwd: repoRoot,
      env: { ...process.env, ...env },
    });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    child.once('exit', (code) => {
      resolve({ code, output });
    });
  });
}

const BUILD_OUTPUTS = ['dist/cli/main.js', 'packages/client/dist/mawjly.js', 'dashboard/dist/index.html'];

for (const busy of ['PORT', 'METRICS_PORT'] as const) {
  test(`npm start with ${busy} taken fails before building anything`, async () => {
    const taken = await listenOn();
    const free = await listenOn();
    const takenPort = String((taken.address() as AddressInfo).port);
    const freePort = String((free.address() as AddressInfo).port);
    await new Promise((resolve) => free.close(resolve));
    const before = BUILD_OUTPUTS.map((path) => statSync(join(repoRoot, path)).mtimeMs);
    try {
      const { code, output } = await run('node scripts/start.mjs', {
        HOST: '127.0.0.1',
        PORT: busy === 'PORT' ? takenPort : freePort,
        METRICS_PORT: busy === 'PORT' ? '0' : takenPort,
        MAWJLY_DATA_DIR: join(tmpdir(), 'mawjly-start-never-used'),
      });
      assert.equal(code, 1, output);
      assert.match(
        output,
        new RegExp(`${busy}=${takenPort}: 127\\.0\\.0\\.1:${takenPort} is already in use`),
      );
      assert.doesNotMatch(output, /building/);
      const after = BUILD_OUTPUTS.map((path) => statSync(join(repoRoot, path)).mtimeMs);
      assert.deepEqual(after, before, 'a build output was rewritten');
    } finally {
      taken.close();
    }
  });
}

test('npm start builds only when a source is newer than the last build', async () => {
  // A copy of scripts/start.mjs in a scratch tree whose `build` and `mawjly serve` only leave traces.
  const tree = await mkdtemp(join(tmpdir(), 'mawjly-start-tree-'));
  try {
    const file = async (path: string, text = ''): Promise<void> => {
      await mkdir(dirname(join(tree, path)), { recursive: true });
      await writeFile(join(tree, path), text);
    };
    await file('scripts/start.mjs', await readFile(join(repoRoot, 'scripts/start.mjs'), 'utf8'));
    await file(
      'package.json',
      JSON.stringify({ scripts: { build: "node -e \"require('fs').appendFileSync('builds', 'x')\"" } }),
    );
    await file('bin/mawjly.js', "console.log('serve', process.argv.slice(2).join(' '));\n");
    await file('src/main.ts', '// source\n');
    for (const output of BUILD_OUTPUTS) await file(output);
    const env = { HOST: '127.0.0.1', PORT: '0', METRICS_PORT: '0' };
    const builds = async (): Promise<number> =>
      (await readFile(join(tree, 'builds'), 'utf8').catch(() => '')).length;

    const first = await run(`node ${join(tree, 'scripts/start.mjs')} --port 0`, env);
    assert.equal(first.code, 0, first.output);
    assert.equal(await builds(), 1, 'no stamp yet: one build');
    assert.match(first.output, /^serve serve --port 0$/m);

    const second = await run(`node ${join(tree, 'scripts/start.mjs')}`, env);
    assert.equal(await builds(), 1, `nothing changed, yet it built again:\n${second.output}`);
    assert.doesNotMatch(second.output, /building/);

    // An output rewritten since (dist/) does not count; a changed source does.
    await file('packages/client/dist/mawjly.js', 'rebuilt');
    await run(`node ${join(tree, 'scripts/start.mjs')}`, env);
    assert.equal(await builds(), 1);
    const later = new Date(Date.now() + 2000);
    await utimes(join(tree, 'src/main.ts'), later, later);
    const third = await run(`node ${join(tree, 'scripts/start.mjs')}`, env);
    assert.equal(await builds(), 2, third.output);
  } finally {
    await rm(tree, { recursive: true, force: true });
  }
});

test('npm start leaves a shared PORT (MAWJLY_REUSE_PORT=true) to the server, which checks it is shared', async () => {
  // A scratch tree whose `mawjly serve` only says it ran (as above); PORT held by another listener.
  const tree = await mkdtemp(join(tmpdir(), 'mawjly-start-reuse-'));
  const taken = await listenOn();
  const port = String((taken.address() as AddressInfo).port);
  try {
    const file = async (path: string, text = ''): Promise<void> => {
      await mkdir(dirname(join(tree, path)), { recursive: true });
      await writeFile(join(tree, path), text);
    };
    await file('scripts/start.mjs', await readFile(join(repoRoot, 'scripts/start.mjs'), 'utf8'));
    await file('package.json', JSON.stringify({ scripts: { build: 'true' } }));
    await file('bin/mawjly.js', "console.log('serve ran');\n");
    for (const output of BUILD_OUTPUTS) await file(output);
    await file('dist/.build-stamp');
    const env = { HOST: '127.0.0.1', PORT: port, METRICS_PORT: '0' };
    const plain = await run(`node ${join(tree, 'scripts/start.mjs')}`, env);
    assert.equal(plain.code, 1, plain.output);
    assert.match(plain.output, /is already in use/);
    const sharing = await run(`node ${join(tree, 'scripts/start.mjs')}`, {
      ...env,
      MAWJLY_REUSE_PORT: 'true',
    });
    assert.equal(sharing.code, 0, sharing.output);
    assert.match(sharing.output, /^serve ran$/m);
  } finally {
    taken.close();
    await rm(tree, { recursive: true, force: true });
  }
});

test('serve prints the banner first, says what it binds, and puts metrics at PORT + 3600', async () => {
  // A free port whose metrics neighbour is free too.
  let port = 0;
  for (let attempt = 0; attempt < 20 && port === 0; attempt++) {
    const probe = await listenOn();
    const candidate = (probe.address() as AddressInfo).port;
    probe.close();
    if (candidate + 3600 > 65535) continue;
    const neighbour = await listenOn(candidate + 3600).catch(() => undefined);
    if (neighbour) {
      neighbour.close();
      port = candidate;
    }
  }
  assert.ok(port > 0);
  const dataDir = await mkdtemp(join(tmpdir(), 'mawjly-start-'));
  try {
    const child = spawn('sh', ['-c', 'exec node bin/mawjly.js serve 2>&1'], {
      cwd: repoRoot,
      env: {
        ...process.env,
        HOST: '127.0.0.1',
        PORT: String(port),
        MAWJLY_DATA_DIR: dataDir,
        METRICS_PORT: '',
      },
    });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    const deadline = Date.now() + 60_000;
    while (!output.includes('"msg":"ready"') && Date.now() < deadline && child.exitCode === null)
      await new Promise((resolve) => setTimeout(resolve, 100));
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
    const lines = output.split('\n');
    assert.equal(
      lines[0],
      `Mawjly listening on 127.0.0.1:${String(port)} (127.0.0.1 only); connect at http://127.0.0.1:${String(port)} ` +
        `(WebSocket ws://…:${String(port)}/app/{key}, metrics http://127.0.0.1:${String(port + 3600)}/metrics)`,
      output,
    );
    const firstJson = lines.findIndex((line) => line.startsWith('{'));
    const dashboard = lines.findIndex((line) => line.startsWith('Dashboard: '));
    assert.ok(firstJson > dashboard && dashboard > 0, `JSON log lines before the banner:\n${output}`);
    assert.doesNotMatch(output, /^Warning: HOST=/m, 'no warning when only this machine can connect');
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
});

test('the banner of a server on all interfaces says so, and warns about a fresh dashboard password', () => {
  const line = listeningLine({
    host: '0.0.0.0',
    port: 6001,
    metricsPort: 9601,
    tls: false,
    url: 'http://127.0.0.1:6001',
    connectHost: '127.0.0.1',
  });
  assert.match(
    line,
    /^Mawjly listening on 0\.0\.0\.0:6001 \(all network interfaces: reachable from other machines\)/,
  );
  assert.match(
    exposureWarning('0.0.0.0', 6001),
    /reachable from other machines on port 6001.*HOST=127\.0\.0\.1/,
  );
});

test('METRICS_PORT follows PORT when unset', () => {
  assert.equal(loadConfig({}).metricsPort, 9601);
  assert.equal(loadConfig({ PORT: '6002' }).metricsPort, 9602);
  assert.equal(loadConfig({ PORT: '6002', METRICS_PORT: '9700' }).metricsPort, 9700);
  assert.equal(loadConfig({ PORT: '0' }).metricsPort, 0);
  assert.equal(loadConfig({ PORT: '65000' }).metricsPort, 0);
});
