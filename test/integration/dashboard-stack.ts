// The server the dashboard browser tests run against, with two accounts seeded (Startup with an owner
// and a viewer, Free with an owner). TEMPORARY: management API + dashboard only, until the realtime
// server lands on main; then this starts the real server.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, readdirSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createManagement } from '../../src/management/management.js';
import { loadPlans } from '../../src/management/plans.js';
import { SqliteStore } from '../../src/storage/sqlite-store.js';
import { createDashboardHandler, defaultDashboardDir } from '../../src/transport/http/dashboard-static.js';
import { createManagementApi } from '../../src/transport/http/management-api/create-management-api.js';

export interface SeededUser {
  readonly email: string;
  readonly appName: string;
  readonly appId: string;
  readonly appKey: string;
  readonly appSecret: string;
}

export interface DashboardStack {
  readonly url: string;
  readonly startup: SeededUser;
  readonly viewer: SeededUser;
  readonly free: SeededUser;
  /** Publishes `data` encrypted with `key` (pusher SDK) and returns what pusher-js decrypted. */
  roundTripEncrypted(keyBase64: string, data: unknown): Promise<unknown>;
  publishPlain(channel: string, event: string, data: unknown): Promise<void>;
  publishEncrypted(keyBase64: string, channel: string, event: string, data: unknown): Promise<void>;
  close(): Promise<void>;
}

const PASSWORD = 'correct horse battery';
const root = fileURLToPath(new URL('../../', import.meta.url));

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/** Builds dashboard/dist when it is missing or older than its sources. */
export function ensureDashboardBuilt(): void {
  const dist = defaultDashboardDir();
  let builtAt = 0;
  try {
    builtAt = statSync(join(dist, 'index.html')).mtimeMs;
  } catch {
    // Not built yet.
  }
  const sources = Math.max(
    newestMtime(join(root, 'dashboard/src')),
    statSync(join(root, 'dashboard/index.html')).mtimeMs,
  );
  if (builtAt < sources) {
    execFileSync(process.execPath, [join(root, 'dashboard/build.mjs'), '--quiet'], { stdio: 'inherit' });
  }
}

export async function startDashboardStack(): Promise<DashboardStack> {
  ensureDashboardBuilt();
  const dir = mkdtempSync(join(tmpdir(), 'mawjly-dash-test-'));
  const store = new SqliteStore({ dataDir: dir });
  await store.migrate();
  const management = await createManagement({ store, plans: loadPlans() });
  const seed = async (account: string, plan: 'startup' | 'free', email: string, appName: string) => {
    const acc = await management.accounts.create({ name: account, plan }, 'cli');
    await management.team.create(acc.id, { email, password: PASSWORD, role: 'owner' }, 'cli');
    const app = await management.apps.create(acc, { name: appName }, 'cli');
    return { acc, user: { email, appName, appId: app.id, appKey: app.key, appSecret: app.secret } };
  };
  const startup = await seed('Acme', 'startup', 'owner@acme.test', 'Storefront');
  await management.team.create(
    startup.acc.id,
    { email: 'viewer@acme.test', password: PASSWORD, role: 'viewer' },
    'cli',
  );
  const free = await seed('Freebie', 'free', 'owner@free.test', 'Hobby');

  const api = createManagementApi({ management, clusterName: 'sa' });
  const dashboard = createDashboardHandler(defaultDashboardDir());
  const server = createServer((req, res) => {
    void (async () => {
      if (await api(req, res)) return;
      if (dashboard(req, res)) return;
      res.writeHead(404);
      res.end();
    })();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const unavailable = (): Promise<never> => Promise.reject(new Error('the realtime server is not wired yet'));
  return {
    url,
    startup: startup.user,
    viewer: { ...startup.user, email: 'viewer@acme.test' },
    free: free.user,
    roundTripEncrypted: unavailable,
    publishPlain: unavailable,
    publishEncrypted: unavailable,
    async close() {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      await management.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
