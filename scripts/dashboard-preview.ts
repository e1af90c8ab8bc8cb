// A preview of the dashboard against the real management API (SQLite in a temp directory, no realtime
// engine): `node --import tsx scripts/dashboard-preview.ts`. For developing the UI before or without
// the full server; the browser tests and screenshots use the real server.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createManagement } from '../src/management/management.js';
import { loadPlans } from '../src/management/plans.js';
import { SqliteStore } from '../src/storage/sqlite-store.js';
import { createDashboardHandler, defaultDashboardDir } from '../src/transport/http/dashboard-static.js';
import { createManagementApi } from '../src/transport/http/management-api/create-management-api.js';

const dir = mkdtempSync(join(tmpdir(), 'mawjly-preview-'));
const store = new SqliteStore({ dataDir: dir });
await store.migrate();
const management = await createManagement({ store, plans: loadPlans() });
const acme = await management.accounts.create({ name: 'Acme', plan: 'startup' }, 'cli');
await management.team.create(
  acme.id,
  { email: 'owner@acme.test', password: 'correct horse battery', role: 'owner' },
  'cli',
);
await management.team.create(
  acme.id,
  { email: 'viewer@acme.test', password: 'correct horse battery', role: 'viewer' },
  'cli',
);
await management.apps.create(acme, { name: 'Storefront' }, 'cli');
await management.apps.create(acme, { name: 'Internal services' }, 'cli');
const free = await management.accounts.create({ name: 'Freebie', plan: 'free' }, 'cli');
await management.team.create(
  free.id,
  { email: 'owner@free.test', password: 'correct horse battery', role: 'owner' },
  'cli',
);
await management.apps.create(free, { name: 'Hobby' }, 'cli');

const api = createManagementApi({ management, clusterName: 'sa' });
const dashboard = createDashboardHandler(process.env.DASHBOARD_DIST ?? defaultDashboardDir());
const server = createServer((req, res) => {
  void (async () => {
    if (await api(req, res)) return;
    if (dashboard(req, res)) return;
    res.writeHead(404, { 'Content-Type': 'text/plain' });
    res.end('not found\n');
  })();
});
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  console.log(
    `dashboard preview: http://127.0.0.1:${port}/dashboard/ (owner@acme.test / owner@free.test / viewer@acme.test, password "correct horse battery")`,
  );
});
const stop = (): void => {
  server.close();
  void management
    .close()
    .then(() => store.close())
    .finally(() => {
      rmSync(dir, { recursive: true, force: true });
      process.exit(0);
    });
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
