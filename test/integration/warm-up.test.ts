// MAWJLY_WARM_UP: `mawjly serve` rehearses on a temporary copy of itself before it binds its port,
// and the rehearsal leaves nothing behind that a user could see: no files, no metrics of its app,
// no calls counted, and the node then serves its real apps. Seen from the outside: the serve
// process's log, its temporary directory, its metrics port and official SDKs.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { RunningServer } from '../../src/server/server.js';
import { DEFAULT_WARM_UP_LOAD } from '../../src/server/warm-up.js';
import { spawnLines, startServeProcess, type ServeProcess } from '../support/child-process.js';
import { parseMetrics } from '../support/metrics.js';
import { freePort } from '../support/ports.js';
import { clientSdk, makeApp, once, serverSdk } from '../support/server.js';

const work = mkdtempSync(join(tmpdir(), 'mawjly-warm-up-test-'));
const SECRET = 'warm-up-test-secret';

interface LogLine {
  readonly msg?: string;
  readonly level?: number;
  readonly publishes?: number;
  readonly ms?: number;
}

/** The log lines once the "ready" line is out (serve holds info lines until its banner is printed). */
async function logLines(serve: ServeProcess): Promise<LogLine[]> {
  const deadline = Date.now() + 10_000;
  while (!serve.stderr().includes('"msg":"ready"')) {
    if (Date.now() > deadline) throw new Error(`no "ready" line in ${serve.stderr()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return serve
    .stderr()
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as LogLine);
}

/** `mawjly serve` with one app, TMPDIR set to a directory of the test's own, logging at info. */
async function serveWith(env: Record<string, string>) {
  const app = makeApp({ id: '7200001', key: `key-${randomBytes(4).toString('hex')}`, secret: SECRET });
  const temp = mkdtempSync(join(work, 'tmp-'));
  const metricsPort = await freePort();
  const serve = await startServeProcess({
    env: { LOG_LEVEL: 'info', TMPDIR: temp, METRICS_PORT: String(metricsPort), ...env },
    apps: [{ id: app.id, key: app.key, secret: SECRET, plan: 'pro', account: 'wu', name: 'Warm-up test' }],
  });
  const server = { host: serve.host, port: serve.port, tls: false } as unknown as RunningServer;
  return { serve, app, temp, metricsPort, server };
}

/** The node delivers a publish of its real app to a pusher-js subscriber. */
async function assertServes(server: RunningServer, app: ReturnType<typeof makeApp>): Promise<void> {
  const client = clientSdk(server, app);
  try {
    const channel = client.subscribe('after-warm-up');
    await once(channel, 'pusher:subscription_succeeded', 10_000);
    const received = once<{ n: number }>(channel, 'hello', 10_000);
    const response = await serverSdk(server, app).trigger('after-warm-up', 'hello', { n: 1 });
    assert.equal(response.status, 200);
    assert.deepEqual(await received, { n: 1 });
  } finally {
    client.disconnect();
  }
}

describe('warm-up (MAWJLY_WARM_UP)', () => {
  after(() => {
    rmSync(work, { recursive: true, force: true });
  });

  test('serve rehearses before it listens, and the rehearsal leaves nothing behind', async () => {
    const { serve, app, temp, metricsPort, server } = await serveWith({ MAWJLY_WARM_UP: 'true' });
    try {
      const lines = await logLines(serve);
      const warmed = lines.findIndex((line) => line.msg === 'warmed up');
      const ready = lines.findIndex((line) => line.msg === 'ready');
      assert.ok(warmed >= 0, `no "warmed up" line in ${serve.stderr()}`);
      assert.ok(warmed < ready, 'the warm-up ends before the node is ready');
      const report = lines[warmed] as LogLine;
      assert.equal(report.publishes, DEFAULT_WARM_UP_LOAD.publishes);

      // Its temporary store is gone (tsx, which runs serve from source here, keeps its cache there).
      assert.deepEqual(
        readdirSync(temp).filter((name) => name.startsWith('mawjly-')),
        [],
      );
      // Nothing of its app or its calls is in the node's metrics.
      const samples = parseMetrics(await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text());
      const apps = new Set(samples.map((s) => s.labels.app_id).filter((id) => id !== undefined));
      assert.deepEqual(
        [...apps].filter((id) => id !== app.id),
        [],
      );
      const calls = samples.filter((s) => s.name === 'mawjly_http_calls_total' && s.value > 0);
      assert.deepEqual(calls, []);

      await assertServes(server, app);
    } finally {
      await serve.stop();
    }
  });

  test("an operator's plan caps do not reach the rehearsal", async () => {
    // Every plan capped at ten messages a day: the real app is bound by it, the rehearsal (which
    // publishes thousands, with its own plan table) is not.
    const capped = { max_messages_per_day: 10 };
    const plansFile = join(work, 'capped-plans.json');
    writeFileSync(
      plansFile,
      JSON.stringify({ free: capped, startup: capped, pro: capped, business: capped }),
    );
    const { serve, app, server } = await serveWith({ MAWJLY_WARM_UP: 'true', MAWJLY_PLANS_FILE: plansFile });
    try {
      const lines = await logLines(serve);
      assert.ok(
        lines.some((line) => line.msg === 'warmed up'),
        serve.stderr(),
      );
      await assertServes(server, app);
    } finally {
      await serve.stop();
    }
  });

  test('by default (auto) serve rehearses on the uws transport and not on ws', async () => {
    const { serve, app, server } = await serveWith({});
    try {
      const lines = await logLines(serve);
      const ready = lines.find((line) => line.msg === 'ready') as LogLine & { transport?: string };
      const warmed = lines.find((line) => line.msg === 'warmed up');
      // `npm test` runs this file once per transport (MAWJLY_TRANSPORT in the environment).
      assert.equal(warmed !== undefined, ready.transport === 'uws', serve.stderr());
      await assertServes(server, app);
    } finally {
      await serve.stop();
    }
  });

  test('a SIGTERM during the warm-up ends serve and leaves no rehearsal directory behind', async () => {
    const temp = mkdtempSync(join(work, 'tmp-'));
    const dataDir = mkdtempSync(join(work, 'data-'));
    const serve = spawnLines(
      process.execPath,
      ['--import', 'tsx', 'src/cli/main.ts', 'serve', '--port', '0'],
      {
        cwd: fileURLToPath(new URL('../..', import.meta.url)),
        env: {
          ...process.env,
          TMPDIR: temp,
          MAWJLY_DATA_DIR: dataDir,
          MAWJLY_WARM_UP: 'true',
          METRICS_PORT: '0',
          HOST: '127.0.0.1',
          DATABASE_URL: '',
          LOG_LEVEL: 'warn',
        },
      },
    );
    const rehearsals = (): string[] => readdirSync(temp).filter((name) => name.startsWith('mawjly-warm-up-'));
    try {
      // Signalled once the rehearsal's directory exists, that is while it runs.
      const deadline = Date.now() + 60_000;
      while (rehearsals().length === 0) {
        assert.ok(Date.now() < deadline, `no rehearsal directory appeared; stderr: ${serve.stderr()}`);
        assert.ok(
          serve.lines.length === 0,
          `serve started before it was signalled: ${serve.lines.join('\n')}`,
        );
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      await serve.stop('SIGTERM');
      assert.deepEqual(rehearsals(), [], 'the rehearsal directory is removed');
      assert.ok(
        !serve.lines.some((line) => line.includes('connect at')),
        'serve never started listening after the signal',
      );
    } finally {
      await serve.stop('SIGKILL');
    }
  });

  test('MAWJLY_WARM_UP=false starts without a rehearsal', async () => {
    const { serve, app, server } = await serveWith({ MAWJLY_WARM_UP: 'false' });
    try {
      const lines = await logLines(serve);
      assert.ok(!lines.some((line) => line.msg === 'warmed up' || line.msg?.startsWith('warm-up')));
      await assertServes(server, app);
    } finally {
      await serve.stop();
    }
  });
});
