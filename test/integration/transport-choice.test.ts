// MAWJLY_TRANSPORT at the process boundary: `auto` serves with node:http + ws when uWebSockets.js's
// native module cannot load (UWS_USE_FALLBACK, or a binary that does not load), says why in its log,
// and the server works; `uws` asked for explicitly refuses to start instead. And the suite's own
// servers really run on the transport `npm test` asked for.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import type { Logger } from '../../src/core/ports/logger.js';
import { chooseTransport } from '../../src/server/transport-choice.js';
import { loadUws, nativeBinaryName } from '../../src/transport/uws/uws-loader.js';
import { makeApp, startTestServer } from '../support/server.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Starts `mawjly serve` with `env`; once it prints its URL, opens one WebSocket, then stops it. */
async function serveOnce(
  env: Record<string, string>,
  dataDir: string,
): Promise<Run & { connected: boolean }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'serve', '--port', '0'], {
    cwd: ROOT,
    env: {
      ...process.env,
      MAWJLY_DATA_DIR: dataDir,
      METRICS_PORT: '0',
      HOST: '127.0.0.1',
      MAWJLY_APPS_FILE: '',
      DATABASE_URL: '',
      MAWJLY_CLUSTER_URL: '',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  let connected = false;
  const exited = new Promise<number | null>((resolve) => {
    child.on('exit', (code) => {
      resolve(code);
    });
  });
  const url = new Promise<string | undefined>((resolve) => {
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
      const found = /(http:\/\/127\.0\.0\.1:\d+)/.exec(stdout);
      if (found) resolve(found[1]);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    void exited.then(() => {
      resolve(undefined);
    });
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  try {
    const base = await url;
    if (base !== undefined) {
      const ws = new WebSocket(`${base.replace('http', 'ws')}/app/no-such-key?protocol=7`);
      const code = await new Promise<number>((resolve) => {
        ws.on('close', (c) => {
          resolve(c);
        });
        ws.on('error', () => undefined);
      });
      // No app has that key: the server answered the Pusher way, so the socket layer works.
      connected = code === 4001;
      child.kill('SIGTERM');
    }
    return { code: await exited, stdout, stderr, connected };
  } finally {
    clearTimeout(timer);
  }
}

describe('transport choice', () => {
  test('auto with UWS_USE_FALLBACK: serves on ws and logs why', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mawjly-transport-'));
    try {
      const run = await serveOnce({ MAWJLY_TRANSPORT: 'auto', UWS_USE_FALLBACK: '1' }, dir);
      assert.equal(run.connected, true, run.stderr);
      assert.match(run.stderr, /uWebSockets\.js not available: serving with node:http \+ ws/);
      assert.match(run.stderr, /UWS_USE_FALLBACK/);
      assert.match(run.stderr, /"transport":"ws"[^\n]*"msg":"ready"|"msg":"ready"[^\n]*"transport":"ws"/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('uws asked for explicitly but unavailable: refuses to start with the reason', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mawjly-transport-'));
    try {
      const run = await serveOnce({ MAWJLY_TRANSPORT: 'uws', UWS_USE_FALLBACK: 'true' }, dir);
      assert.notEqual(run.code, 0);
      assert.equal(run.connected, false);
      assert.match(run.stderr, /MAWJLY_TRANSPORT=uws: uWebSockets\.js is not available: UWS_USE_FALLBACK/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('a native binary that cannot load counts as unavailable: auto picks ws', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mawjly-uws-broken-'));
    try {
      await mkdir(join(dir, 'binaries'));
      await writeFile(join(dir, 'binaries', nativeBinaryName()), 'not an ELF file');
      const load = (): ReturnType<typeof loadUws> => loadUws({ packageDir: dir, env: {} });
      const loaded = load();
      if (loaded.ok) assert.fail('a garbage binary loaded');
      assert.match(loaded.reason, /could not load/);
      assert.deepEqual(chooseTransport('auto', load), { kind: 'ws', fallbackReason: loaded.reason });
      assert.throws(() => chooseTransport('uws', load), /MAWJLY_TRANSPORT=uws/);
      // No binary for this platform at all (an empty package directory).
      const empty = loadUws({ packageDir: join(dir, 'binaries', 'none'), env: {} });
      if (empty.ok) assert.fail('an empty directory loaded');
      assert.match(empty.reason, /no native build/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('the suite runs on the transport it asked for', async () => {
    const wanted = process.env.MAWJLY_TRANSPORT ?? 'auto';
    const ready: unknown[] = [];
    const logger: Logger = {
      debug: () => undefined,
      info: (fields, message) => {
        if (message === 'ready') ready.push(fields);
      },
      warn: () => undefined,
      error: () => undefined,
      child: () => logger,
    };
    const server = await startTestServer({ apps: [makeApp()], logger });
    try {
      const { transport } = ready[0] as { transport: string };
      if (wanted === 'uws' || wanted === 'ws') assert.equal(transport, wanted);
      else assert.equal(transport, loadUws().ok ? 'uws' : 'ws');
    } finally {
      await server.close();
    }
  });
});
