// What `serve` creates and prints on a first run (a development app, account and dashboard owner),
// and the hint printed on later runs. Secrets and the password are printed once, here, and nowhere else.
import { randomBytes, randomInt } from 'node:crypto';
import { DEFAULT_APP_SETTINGS, DEFAULT_PLANS, type App } from '../core/app.js';
import type { MemoryAppDirectory } from '../core/memory-app-directory.js';
import type { Management } from '../management/management.js';

export function createDevApp(directory: MemoryAppDirectory): App {
  const app: App = {
    id: String(randomInt(1_000_000, 9_999_999)),
    key: randomBytes(10).toString('hex'),
    secrets: [randomBytes(16).toString('hex')],
    accountId: 'development',
    name: 'Development app',
    plan: DEFAULT_PLANS.startup,
    settings: DEFAULT_APP_SETTINGS,
  };
  directory.upsert(app);
  return app;
}

/** Where clients reach this server, known only once it listens (port 0 picks one). */
export interface Listening {
  readonly host: string;
  readonly port: number;
  readonly tls: boolean;
}

/** A first-run line, or one that needs the listening address. */
export type FirstRunLine = string | ((listening: Listening) => string);

/**
 * The variables examples/config.mjs reads. MAWJLY_PORT always, since an export left over from
 * another run would otherwise point the examples elsewhere; host and TLS only when not the default.
 */
function examplesExport(app: { id: string; key: string; secret: string }, where: Listening): string {
  const vars = [
    `MAWJLY_APP_ID=${app.id}`,
    `MAWJLY_APP_KEY=${app.key}`,
    `MAWJLY_APP_SECRET=${app.secret}`,
    `MAWJLY_PORT=${String(where.port)}`,
    ...(where.host === '127.0.0.1' ? [] : [`MAWJLY_HOST=${where.host}`]),
    ...(where.tls ? ['MAWJLY_USE_TLS=true'] : []),
  ];
  return `  (for examples/: export ${vars.join(' ')})`;
}

/** First run with an empty store: a persisted development account (Startup plan), app and owner. */
export async function createStoredDevApp(management: Management, cluster: string): Promise<FirstRunLine[]> {
  const existing = await management.store.accounts.findAccountByName('development');
  const account =
    existing ?? (await management.accounts.create({ name: 'development', plan: 'startup' }, 'system'));
  const app = await management.apps.create(account, { name: 'Development app' }, 'system');
  const lines: FirstRunLine[] = [
    `No apps configured: created a development app (Startup plan, cluster ${cluster}), kept in the data directory:`,
    `  app_id: ${app.id}`,
    `  key:    ${app.key}`,
    `  secret: ${app.secret}`,
    (where) => examplesExport(app, where),
  ];
  const email = 'admin@mawjly.local';
  if (!(await management.store.accounts.findUserByEmail(email))) {
    const password = randomBytes(12).toString('base64url');
    await management.team.create(account.id, { email, password, role: 'owner' }, 'system');
    lines.push(`${SIGN_IN_LINE_PREFIX} ${email} / ${password} (shown once; keep it).`);
  }
  lines.push('Operator commands: `npx mawjly accounts|apps|tokens|users create …` (`npx mawjly --help`).');
  return lines;
}

/**
 * Printed when the store already had apps. Names only accounts that exist: a store seeded by an
 * apps file has no `development` account and no dashboard user.
 */
export async function returningRunHint(management: Management): Promise<string> {
  const accounts = await management.store.accounts.listAccounts();
  let hasUser = false;
  for (const account of accounts) {
    if ((await management.store.accounts.listUsers(account.id)).length > 0) {
      hasUser = true;
      break;
    }
  }
  const only = accounts.length === 1 ? accounts[0]?.name : undefined;
  const create = `\`npx mawjly users create --account ${only ?? 'NAME'} --email … --password-stdin --role owner\``;
  const users = hasUser
    ? `Sign in with a dashboard user (${create} adds one).`
    : `No dashboard user yet: ${create} adds one.`;
  return `${users} App credentials: dashboard → Apps → Keys (\`npx mawjly apps list\` shows ids and keys, not secrets).`;
}

export function describeDevApp(app: App): string[] {
  return [
    'No apps configured: created a development app (Startup plan) for this run:',
    `  app_id: ${app.id}`,
    `  key:    ${app.key}`,
    `  secret: ${app.secrets[0] ?? ''}`,
  ];
}

/** The line that starts a password printed by `createStoredDevApp`. */
export const SIGN_IN_LINE_PREFIX = 'Dashboard sign-in:';

/** True for a bind address that listens on every network interface. */
export function bindsAllInterfaces(host: string): boolean {
  return host === '0.0.0.0' || host === '::' || host === '';
}

/** The banner's first line: what is bound (address and reach) and where to connect. */
export function listeningLine(options: {
  host: string;
  port: number;
  metricsPort: number;
  tls: boolean;
  url: string;
  connectHost: string;
}): string {
  const { host, port, metricsPort, tls, url, connectHost } = options;
  const bound = `${host.includes(':') ? `[${host}]` : host}:${String(port)}`;
  const reach = bindsAllInterfaces(host)
    ? 'all network interfaces: reachable from other machines'
    : `${host} only`;
  return (
    `Mawjly listening on ${bound} (${reach}); connect at ${url} ` +
    `(WebSocket ${tls ? 'wss' : 'ws'}://…:${String(port)}/app/{key}, metrics http://${connectHost}:${String(metricsPort)}/metrics)`
  );
}

/** Printed after a freshly created dashboard password when every interface can reach the dashboard. */
export function exposureWarning(host: string, port: number): string {
  return (
    `Warning: HOST=${host} makes the dashboard, and the sign-in printed above, reachable from other ` +
    `machines on port ${String(port)}. For this machine only, restart with HOST=127.0.0.1.`
  );
}
