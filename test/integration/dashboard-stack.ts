// The real server (startServer with its SQLite store in a temp directory, port 0) that the dashboard
// browser tests and `npm run screenshots` run against, with two accounts seeded through the
// management services: Startup (an owner and a viewer, app "Storefront"), Free (an owner, app
// "Hobby") and a Free account at 85 % of its daily messages.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../../src/config/config.js';
import type { PlanName } from '../../src/core/app.js';
import { silentLogger } from '../../src/core/ports/logger.js';
import type { Management } from '../../src/management/management.js';
import { startServer } from '../../src/server/server.js';
import { defaultDashboardDir } from '../../src/transport/http/dashboard-static.js';
import { sdkClient, type SdkClient } from './dashboard-sdk.js';

export interface SeededUser {
  readonly email: string;
  readonly appName: string;
  readonly appId: string;
  readonly appKey: string;
  readonly appSecret: string;
}

export interface DashboardStack extends SdkClient {
  readonly url: string;
  readonly startup: SeededUser;
  readonly viewer: SeededUser;
  readonly free: SeededUser;
  /** A Free account that has used 85 % of today's messages. */
  readonly busy: SeededUser;
  /** The server's management services (seeding beyond what the dashboard can do). */
  readonly management: Management;
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
  const dataDir = mkdtempSync(join(tmpdir(), 'mawjly-dash-test-'));
  // Webhook receivers in the tests listen on 127.0.0.1.
  const config = loadConfig(
    { MAWJLY_WEBHOOKS_ALLOW_PRIVATE_TARGETS: 'true' },
    { port: 0, metricsPort: 0, host: '127.0.0.1', dataDir },
  );
  const server = await startServer({ config, logger: silentLogger });
  const management = server.management;
  if (!management) throw new Error('the server started without its management layer');
  const seed = async (account: string, plan: PlanName, email: string, appName: string) => {
    const acc = await management.accounts.create({ name: account, plan }, 'test');
    await management.team.create(acc.id, { email, password: PASSWORD, role: 'owner' }, 'test');
    const app = await management.apps.create(acc, { name: appName }, 'test');
    return { acc, user: { email, appName, appId: app.id, appKey: app.key, appSecret: app.secret } };
  };
  const startup = await seed('Acme', 'startup', 'owner@acme.test', 'Storefront');
  await management.team.create(
    startup.acc.id,
    { email: 'viewer@acme.test', password: PASSWORD, role: 'viewer' },
    'test',
  );
  const free = await seed('Freebie', 'free', 'owner@free.test', 'Hobby');
  const busy = await seed('Busy', 'free', 'owner@busy.test', 'Busy app');
  const busyApp = management.directory.findById(busy.user.appId);
  if (!busyApp) throw new Error('the seeded app is not in the directory');
  management.usage.addMessages(busyApp, 170_000);
  // Apps created through the services reach the engine's directory at once on this node.
  const sdk = sdkClient(server.url, startup.user);
  return {
    url: server.url,
    startup: startup.user,
    viewer: { ...startup.user, email: 'viewer@acme.test' },
    free: free.user,
    busy: busy.user,
    management,
    ...sdk,
    async close() {
      await server.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
