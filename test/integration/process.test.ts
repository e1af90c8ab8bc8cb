// The real `mawjly serve` process: ready line, probes, and graceful shutdown on SIGTERM / SIGINT.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { RunningServer } from '../../src/server/server.js';
import { PusherJS } from '../support/pusher-js.js';
import { once, rawClient, waitForState } from '../support/server.js';
import { withTimeout } from '../support/wait.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const GRACE_S = 5;

interface Spawned {
  readonly child: ChildProcess;
  readonly stdout: () => string;
  readonly stderr: () => string;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function spawnServe(dataDir: string): Spawned {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'serve', '--port', '0'], {
    cwd: ROOT,
    env: {
      ...process.env,
      MAWJLY_DATA_DIR: dataDir,
      METRICS_PORT: '0',
      HOST: '127.0.0.1',
      MAWJLY_SHUTDOWN_GRACE_S: String(GRACE_S),
      MAWJLY_APPS_FILE: '',
      DATABASE_URL: '',
      MAWJLY_CLUSTER_URL: '',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString('utf8')));
  child.stderr.on('data', (d: Buffer) => (err += d.toString('utf8')));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('exit', (code, signal) => {
      resolve({ code, signal });
    });
  });
  return { child, stdout: () => out, stderr: () => err, exited };
}

async function waitFor<T>(
  what: string,
  probe: () => T | undefined,
  spawned: Spawned,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (spawned.child.exitCode !== null)
      throw new Error(`process exited before ${what}: ${spawned.stderr()}`);
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; stdout: ${spawned.stdout()}`);
    await new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        spawned.child.stdout?.off('data', done);
        resolve();
      };
      const timer = setTimeout(done, 200);
      spawned.child.stdout?.once('data', done);
    });
  }
}

describe('mawjly serve process', () => {
  const running: Spawned[] = [];
  const dirs: string[] = [];
  after(() => {
    for (const s of running)
      if (s.child.exitCode === null && s.child.signalCode === null) s.child.kill('SIGKILL');
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    test(`prints its URL when ready, answers /ready, and on ${signal} closes sockets with 4200 and exits 0`, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'mawjly-process-'));
      dirs.push(dir);
      const spawned = spawnServe(dir);
      running.push(spawned);
      const url = await waitFor(
        'the ready line',
        () =>
          /^Mawjly listening on .*; connect at (http:\/\/127\.0\.0\.1:(\d+))/m.exec(spawned.stdout()) ??
          undefined,
        spawned,
      );
      const key = await waitFor(
        'the dev app key',
        () => /^\s+key:\s+(\S+)$/m.exec(spawned.stdout())?.[1],
        spawned,
      );
      const port = Number(url[2]);
      assert.ok(port > 0, `the ready line must carry the bound port, got ${url[0]}`);
      assert.equal(spawned.stdout().match(/Mawjly listening on/g)?.length, 1, 'exactly one ready line');
      // The examples/ export line must point the examples at this server, not at the default 6001.
      const exportLine = await waitFor(
        'the examples export line',
        () => /^\s+\(for examples\/: export (.*)\)$/m.exec(spawned.stdout())?.[1],
        spawned,
      );
      assert.match(exportLine, new RegExp(`MAWJLY_APP_KEY=${key}( |$)`));
      assert.match(exportLine, new RegExp(`MAWJLY_PORT=${String(port)}( |$)`));

      const ready = await fetch(`${url[1]}/ready`, { signal: AbortSignal.timeout(5000) });
      assert.equal(ready.status, 200);
      await ready.text();

      const server = { host: '127.0.0.1', port, tls: false } as RunningServer;
      const raw = rawClient(server, key);
      await raw.socketId;
      const client = new PusherJS(key, {
        cluster: 'sa',
        wsHost: '127.0.0.1',
        wsPort: port,
        forceTLS: false,
        enabledTransports: ['ws'],
        disableStats: true,
      });
      try {
        await waitForState(client, 'connected', 10_000);
        const pusherError = once<{ type: string; data: { code: number } }>(
          client.connection,
          'error',
          GRACE_S * 1000,
        );
        const sentAt = Date.now();
        spawned.child.kill(signal);
        const closed = await withTimeout(raw.closed, GRACE_S * 1000, 'raw socket not closed');
        assert.equal(closed.code, 4200);
        assert.equal((await pusherError).data.code, 4200);
        const exit = await withTimeout(spawned.exited, (GRACE_S + 2) * 1000, 'process did not exit');
        assert.deepEqual(exit, { code: 0, signal: null });
        assert.ok(Date.now() - sentAt < GRACE_S * 1000, 'exit within the grace period');
        assert.match(spawned.stderr(), new RegExp(`${signal} received`));
      } finally {
        client.disconnect();
        raw.close();
      }
    });
  }
});
