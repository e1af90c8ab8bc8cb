// MAWJLY_REUSE_PORT at the process boundary: several `mawjly serve` nodes on one host and one port
// (uws transport, SO_REUSEPORT), one cluster over Redis. pusher-js clients land on both nodes (the
// kernel picks) and one REST publish, taken by whichever node the kernel picks, reaches them all.
// Without the setting a taken port is refused (uSockets would otherwise share it silently), and the
// setting is refused without a cluster bus or on the ws transport.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import Pusher from 'pusher';
import { loadUws } from '../../src/transport/uws/uws-loader.js';
import { spawnLines, type LineProcess } from '../support/child-process.js';
import { parseMetrics, valueOf } from '../support/metrics.js';
import { PusherJS } from '../support/pusher-js.js';
import { once, waitForState } from '../support/server.js';
import { freePort } from '../support/ports.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const APP = { id: '7000077', key: 'reuse-port-key', secret: 'reuse-port-secret' };
// The uws cases need the native module and a run that asked for (or allows) uws.
const onUws = process.env.MAWJLY_TRANSPORT !== 'ws' && loadUws().ok;

let dir = '';
let appsFile = '';
const running = new Set<LineProcess>();

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mawjly-reuse-port-'));
  appsFile = join(dir, 'apps.json');
  await writeFile(
    appsFile,
    JSON.stringify([{ ...APP, plan: 'startup', account: 'reuse-port', name: 'Reuse port' }]),
  );
});

after(async () => {
  await Promise.all([...running].map((p) => p.stop()));
  await rm(dir, { recursive: true, force: true });
});

/** `mawjly serve` on `port` (0: any) with an apps file; `env` adds or overrides variables. */
function serve(port: number, dataDir: string, env: Record<string, string>): LineProcess {
  const node = spawnLines(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'serve'], {
    cwd: ROOT,
    env: {
      ...process.env,
      HOST: '127.0.0.1',
      PORT: String(port),
      METRICS_PORT: '0',
      MAWJLY_DATA_DIR: dataDir,
      MAWJLY_APPS_FILE: appsFile,
      DATABASE_URL: '',
      MAWJLY_CLUSTER_URL: '',
      LOG_LEVEL: 'warn',
      ...env,
    },
  });
  running.add(node);
  return node;
}

/** The HTTP and metrics ports from the start-up banner. */
async function ports(node: LineProcess): Promise<{ port: number; metricsPort: number }> {
  const line = await node.waitForLine(/^Mawjly listening on/, 60_000);
  const found = /listening on 127\.0\.0\.1:(\d+) .*metrics http:\/\/127\.0\.0\.1:(\d+)\/metrics/.exec(line);
  assert.ok(found, line);
  return { port: Number(found[1]), metricsPort: Number(found[2]) };
}

/** A port free right now. Sharing needs one named port: a port the kernel picked for PORT=0 is not shared. */

async function connections(metricsPort: number): Promise<number> {
  const response = await fetch(`http://127.0.0.1:${String(metricsPort)}/metrics`);
  return valueOf(parseMetrics(await response.text()), 'mawjly_connections', { app_id: APP.id });
}

describe('MAWJLY_REUSE_PORT', () => {
  test(
    'two uws nodes on one port and one Redis cluster: clients land on both, a REST publish reaches all',
    { skip: onUws ? false : 'needs the uws transport' },
    async () => {
      // One data directory for both (SQLite in WAL mode takes several processes; the second node
      // starts once the first has created it), and one apps file.
      const dataDir = join(dir, 'shared-data');
      const cluster = {
        MAWJLY_TRANSPORT: 'uws',
        MAWJLY_REUSE_PORT: 'true',
        MAWJLY_CLUSTER_URL: REDIS_URL,
        MAWJLY_CLUSTER_PREFIX: `reuse-port-${randomBytes(4).toString('hex')}`,
      };
      const first = serve(await freePort(), dataDir, cluster);
      const a = await ports(first);
      const second = serve(a.port, dataDir, cluster);
      const b = await ports(second);
      assert.equal(b.port, a.port);

      const channel = `reuse-port-${randomBytes(3).toString('hex')}`;
      const clients: PusherJS[] = [];
      try {
        // The kernel hashes each new connection to one node: open clients until both have some
        // (the chance that 40 all land on one of two nodes is 2^-39).
        let onA = 0;
        let onB = 0;
        while ((onA === 0 || onB === 0) && clients.length < 40) {
          const client = new PusherJS(APP.key, {
            cluster: 'sa',
            wsHost: '127.0.0.1',
            wsPort: a.port,
            forceTLS: false,
            enabledTransports: ['ws'],
            disableStats: true,
          });
          clients.push(client);
          await waitForState(client, 'connected', 10_000);
          const subscribed = once(client.subscribe(channel), 'pusher:subscription_succeeded');
          await subscribed;
          if (clients.length >= 4)
            [onA, onB] = await Promise.all([connections(a.metricsPort), connections(b.metricsPort)]);
        }
        assert.ok(onA > 0 && onB > 0, `connections per node: ${String(onA)} / ${String(onB)}`);
        assert.equal(onA + onB, clients.length);

        const received = clients.map((client) =>
          once<{ n: number }>(client.channel(channel), 'hello', 10_000),
        );
        const rest = new Pusher({
          appId: APP.id,
          key: APP.key,
          secret: APP.secret,
          host: '127.0.0.1',
          port: String(a.port),
          useTLS: false,
        });
        // Whichever node takes the publish, the clients of the other one get it over the bus.
        const response = await rest.trigger(channel, 'hello', { n: 1 });
        assert.equal(response.status, 200);
        assert.deepEqual(
          (await Promise.all(received)).map((data) => data.n),
          clients.map(() => 1),
        );
      } finally {
        for (const client of clients) client.disconnect();
        await Promise.all([first.stop(), second.stop()]);
      }
    },
  );

  test(
    'without it, a port another node holds is refused, whichever of the two asks to share',
    { skip: onUws ? false : 'needs the uws transport' },
    async () => {
      const first = serve(0, join(dir, 'exclusive-1'), { MAWJLY_TRANSPORT: 'uws' });
      const { port } = await ports(first);
      try {
        const plain = serve(port, join(dir, 'exclusive-2'), { MAWJLY_TRANSPORT: 'uws' });
        assert.notEqual(await plain.exited, 0);
        assert.match(
          plain.stderr(),
          new RegExp(`PORT=${String(port)}: 127\\.0\\.0\\.1:${String(port)} is already in use`),
        );
        const sharing = serve(port, join(dir, 'exclusive-3'), {
          MAWJLY_TRANSPORT: 'uws',
          MAWJLY_REUSE_PORT: 'true',
          MAWJLY_CLUSTER_URL: REDIS_URL,
          MAWJLY_CLUSTER_PREFIX: `reuse-port-${randomBytes(4).toString('hex')}`,
        });
        assert.notEqual(await sharing.exited, 0);
        assert.match(sharing.stderr(), /is already in use by a process that does not share it/);
      } finally {
        await first.stop();
      }
    },
  );

  test('refused without a cluster bus', async () => {
    const node = serve(0, join(dir, 'no-bus'), { MAWJLY_REUSE_PORT: 'true' });
    assert.notEqual(await node.exited, 0);
    assert.match(node.stderr(), /MAWJLY_REUSE_PORT: true needs a cluster bus \(MAWJLY_CLUSTER_URL=/);
  });

  test('refused on the ws transport (Node 20 has no SO_REUSEPORT)', async () => {
    const node = serve(0, join(dir, 'on-ws'), {
      MAWJLY_TRANSPORT: 'ws',
      MAWJLY_REUSE_PORT: 'true',
      MAWJLY_CLUSTER_URL: REDIS_URL,
    });
    assert.notEqual(await node.exited, 0);
    assert.match(node.stderr(), /MAWJLY_REUSE_PORT=true needs the uws transport/);
  });
});
