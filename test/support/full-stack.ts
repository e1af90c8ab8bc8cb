// The whole server in this process (startServer with its SQLite store in a temp directory, port 0,
// management API and dashboard login mounted), with one seeded account: an owner who can sign in,
// an app, and an API token holding every scope. Everything the server logs is kept in `logs`, and
// any uncaught exception or unhandled rejection while it runs is recorded in `crashes`, so a test
// can prove that nothing it sent escaped the server's handlers.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { loadConfig, type ConfigInput } from '../../src/config/config.js';
import type { App } from '../../src/core/app.js';
import type { Logger } from '../../src/core/ports/logger.js';
import { startServer, type RunningServer } from '../../src/server/server.js';

export const OWNER_PASSWORD = 'correct horse battery staple';

export interface FullStack {
  readonly server: RunningServer;
  /** The seeded app as the engine serves it. */
  readonly app: App;
  readonly email: string;
  readonly password: string;
  /** `mjly_…` token of the seeded account, with every scope. */
  readonly token: string;
  /** Every line the server logged (pino JSON). */
  readonly logs: string[];
  /** Uncaught exceptions and unhandled rejections seen while the stack ran. */
  readonly crashes: unknown[];
  /** A new account with a new app (for checks after a fuzzer may have disabled the seeded one). */
  newApp(): Promise<App>;
  close(): Promise<void>;
}

export async function startFullStack(config: ConfigInput = {}): Promise<FullStack> {
  const crashes: unknown[] = [];
  const onCrash = (error: unknown): void => {
    crashes.push(error);
  };
  process.on('uncaughtException', onCrash);
  process.on('unhandledRejection', onCrash);

  const dataDir = mkdtempSync(join(tmpdir(), 'mawjly-full-'));
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      if (logs.length < 10_000) logs.push(chunk.toString('utf8'));
      done();
    },
  });
  const logger = pino({ level: 'debug' }, sink) as unknown as Logger;
  const server = await startServer({
    config: loadConfig({}, { port: 0, metricsPort: 0, host: '127.0.0.1', dataDir, ...config }),
    logger,
  });
  const management = server.management;
  if (!management) throw new Error('the server started without its management layer');
  const email = `owner-${Date.now()}@fuzz.test`;
  const account = await management.accounts.create({ name: 'Fuzz', plan: 'business' }, 'test');
  await management.team.create(account.id, { email, password: OWNER_PASSWORD, role: 'owner' }, 'test');
  const created = await management.apps.create(account, { name: 'Fuzzed' }, 'test');
  const { token } = await management.tokens.create(account.id, { name: 'fuzz' }, 'test');
  const app = server.directory.findById(created.id);
  if (!app) throw new Error('the seeded app is not in the directory');
  return {
    server,
    app,
    email,
    password: OWNER_PASSWORD,
    token,
    logs,
    crashes,
    async newApp() {
      const fresh = await management.accounts.create({ name: 'Fresh', plan: 'business' }, 'test');
      const record = await management.apps.create(fresh, { name: 'Fresh' }, 'test');
      const live = server.directory.findById(record.id);
      if (!live) throw new Error('the new app is not in the directory');
      return live;
    },
    async close() {
      await server.close();
      process.off('uncaughtException', onCrash);
      process.off('unhandledRejection', onCrash);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
