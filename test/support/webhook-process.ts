// `mawjly serve` as a child process for webhook durability tests (SIGKILL, restarts, clusters),
// and the one-time setup of an app and endpoint in its database.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { App } from '../../src/core/app.js';
import { silentLogger } from '../../src/core/ports/logger.js';
import { createManagement } from '../../src/management/management.js';
import { loadPlans } from '../../src/management/plans.js';
import { openStore } from '../../src/storage/open-store.js';
import type { RunningServer } from '../../src/server/server.js';
import type { Database } from './webhook-stack.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface ServeProcess {
  readonly child: ChildProcess;
  readonly port: number;
  readonly metricsPort: number;
  /** Enough of a RunningServer for clientSdk(). */
  readonly target: RunningServer;
  metrics(): Promise<string>;
  kill(): Promise<void>;
  stop(): Promise<void>;
}

export const FAST_ENV: Record<string, string> = {
  MAWJLY_WEBHOOKS_ALLOW_PRIVATE_TARGETS: 'true',
  MAWJLY_WEBHOOKS_RETRY_BASE_MS: '200',
  MAWJLY_WEBHOOKS_RETRY_MAX_MS: '1000',
  MAWJLY_WEBHOOKS_POLL_MS: '100',
  MAWJLY_WEBHOOKS_LEASE_MS: '2000',
};

export async function spawnServe(db: Database, env: Record<string, string> = {}): Promise<ServeProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'serve', '--port', '0'], {
    cwd: ROOT,
    env: {
      ...process.env,
      MAWJLY_DATA_DIR: db.dataDir,
      DATABASE_URL: db.databaseUrl ?? '',
      METRICS_PORT: '0',
      HOST: '127.0.0.1',
      MAWJLY_APPS_FILE: '',
      MAWJLY_CLUSTER_URL: '',
      LOG_LEVEL: 'warn',
      ...FAST_ENV,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString('utf8')));
  const exited = new Promise<void>((resolve) =>
    child.once('exit', () => {
      resolve();
    }),
  );
  const ready = await new Promise<RegExpExecArray>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new Error(`serve did not start: ${out} ${err}`));
    }, 60_000);
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString('utf8');
      const m = /connect at http:\/\/127\.0\.0\.1:(\d+) .*metrics http:\/\/[^:]+:(\d+)\/metrics/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m);
      }
    });
    child.once('exit', () => {
      clearTimeout(timer);
      reject(new Error(`serve exited: ${out} ${err}`));
    });
  });
  const port = Number(ready[1]);
  const metricsPort = Number(ready[2]);
  return {
    child,
    port,
    metricsPort,
    target: { host: '127.0.0.1', port } as RunningServer,
    metrics: async () => (await fetch(`http://127.0.0.1:${String(metricsPort)}/metrics`)).text(),
    kill: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

/** Creates a Pro account and an app in the database; the endpoint is added by `addEndpoint`. */
export async function prepareApp(db: Database): Promise<{
  app: App;
  addEndpoint: (url: string, eventTypes?: string[]) => Promise<string>;
}> {
  const store = await openStore({ dataDir: db.dataDir, databaseUrl: db.databaseUrl });
  const management = await createManagement({
    store,
    plans: loadPlans(undefined),
    logger: silentLogger,
    resyncIntervalMs: 0,
    connectionCheckIntervalMs: 0,
  });
  const account = await management.accounts.create({ name: 'durable', plan: 'pro' }, 'test');
  const record = await management.apps.create(account, { name: 'durable' }, 'test');
  const app = management.directory.findById(record.id)!;
  return {
    app,
    addEndpoint: async (url, eventTypes) => {
      try {
        const endpoint = await management.webhooks.create(
          account,
          record,
          { url, ...(eventTypes ? { event_types: eventTypes } : {}) },
          'test',
        );
        return endpoint.id;
      } finally {
        await management.close();
        await store.close();
      }
    },
  };
}
