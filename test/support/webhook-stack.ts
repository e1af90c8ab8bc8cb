// A real server with a store (SQLite in a temp dir, or a fresh PostgreSQL schema) for webhook
// tests, an account with an API token, and helpers to create apps and endpoints through the API.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { ClusterBus } from '../../src/core/ports/cluster-bus.js';
import { loadConfig, type ConfigInput } from '../../src/config/config.js';
import type { App, PlanName } from '../../src/core/app.js';
import { silentLogger } from '../../src/core/ports/logger.js';
import { startServer, type RunningServer } from '../../src/server/server.js';
import { DATABASE_URL } from './management-harness.js';
import { managementRequest } from './management-api.js';
import { waitUntil } from './wait.js';

/** Webhook settings that keep tests short: fast retries and polls, private targets allowed. */
export const FAST_WEBHOOKS: ConfigInput = {
  webhooksAllowPrivateTargets: true,
  webhooksRetryBaseMs: 200,
  webhooksRetryMaxMs: 1000,
  webhooksPollMs: 100,
  webhooksLeaseMs: 2000,
};

export interface Database {
  readonly dataDir: string;
  /** PostgreSQL: the URL pinned to a fresh schema. */
  readonly databaseUrl: string | undefined;
  readonly schema: string | undefined;
  drop(): Promise<void>;
}

export async function newDatabase(kind: 'sqlite' | 'postgres'): Promise<Database> {
  const dataDir = await mkdtemp(join(tmpdir(), 'mawjly-webhooks-'));
  if (kind === 'sqlite') {
    return {
      dataDir,
      databaseUrl: undefined,
      schema: undefined,
      drop: () => rm(dataDir, { recursive: true, force: true }),
    };
  }
  const schema = `t_${randomBytes(8).toString('hex')}`;
  const client = new pg.Client({ connectionString: DATABASE_URL });
  await client.connect();
  await client.query(`CREATE SCHEMA ${schema}`);
  await client.end();
  const url = new URL(DATABASE_URL);
  url.searchParams.set('options', `-c search_path=${schema}`);
  return {
    dataDir,
    databaseUrl: url.toString(),
    schema,
    drop: async () => {
      const c = new pg.Client({ connectionString: DATABASE_URL });
      await c.connect();
      await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await c.end();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

export async function startNode(
  db: Database,
  options: { config?: ConfigInput; bus?: ClusterBus; nodeId?: string } = {},
): Promise<RunningServer> {
  const config = loadConfig(
    {},
    {
      port: 0,
      metricsPort: 0,
      host: '127.0.0.1',
      dataDir: db.dataDir,
      ...(db.databaseUrl === undefined ? {} : { databaseUrl: db.databaseUrl }),
      ...options.config,
    },
  );
  return startServer({
    config,
    logger: silentLogger,
    ...(options.bus ? { bus: options.bus } : {}),
    ...(options.nodeId ? { nodeId: options.nodeId } : {}),
  });
}

/** An account with an all-scopes token on `server`, and an API client for it. */
export async function newAccount(server: RunningServer, plan: PlanName = 'pro') {
  const management = server.management!;
  const account = await management.accounts.create(
    { name: `acct-${randomBytes(4).toString('hex')}`, plan },
    'test',
  );
  const token = (await management.tokens.create(account.id, { name: 't' }, 'test')).token;
  const api = (method: string, path: string, body?: unknown, on: RunningServer = server) =>
    managementRequest(on.url, token, method, path, body);
  /** Creates an app through the API; returns the engine's view of it (with its secret). */
  const newApp = async (settings: Record<string, unknown> = {}): Promise<App> => {
    const created = await api('POST', '/apps', { name: 'hooks', settings });
    if (created.status !== 201) throw new Error(`app not created: ${JSON.stringify(created.json)}`);
    const app = server.directory.findById(created.json.id as string);
    if (!app) throw new Error('app missing from the directory');
    return app;
  };
  return { account, token, api, newApp };
}

/** Polls `check` until it returns true (for state the receiver cannot see). */
export async function eventually(
  check: () => Promise<boolean> | boolean,
  timeoutMs = 20_000,
  what = 'condition',
): Promise<void> {
  return waitUntil(check, what, timeoutMs, 100);
}
