// A real management API for tests: a real store (SQLite in a temp dir, or a fresh PostgreSQL
// schema), the real services and handler on a node:http server on port 0, and pino writing into
// `logs` so tests can search everything that was logged.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pg from 'pg';
import { pino } from 'pino';
import type { PlanName } from '../../src/core/app.js';
import type { Clock } from '../../src/core/ports/clock.js';
import type { Logger } from '../../src/core/ports/logger.js';
import type { RealtimeView } from '../../src/core/ports/realtime-view.js';
import { createManagement, type Management } from '../../src/management/management.js';
import { loadPlans, type PlanTable } from '../../src/management/plans.js';
import type { AccountRecord, Store } from '../../src/management/store.js';
import { openStore } from '../../src/storage/open-store.js';
import { createManagementApi } from '../../src/transport/http/management-api/create-management-api.js';
import { nodeRequestListener } from '../../src/transport/http/node-exchange.js';

export const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export type StoreKind = 'sqlite' | 'postgres';

/** A clock tests move by hand; starts at the real time. */
export class TestClock implements Clock {
  #now = Date.now();
  now(): number {
    return this.#now;
  }
  advance(ms: number): void {
    this.#now += ms;
  }
}

export interface ApiResponse {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly json: any;
}

export interface RequestOptions {
  readonly token?: string;
  readonly body?: unknown;
  readonly rawBody?: string;
  readonly headers?: Record<string, string>;
}

export interface ManagementHarness {
  readonly kind: StoreKind;
  readonly url: string;
  readonly store: Store;
  readonly management: Management;
  readonly clock: TestClock;
  readonly logs: string[];
  /** SQLite: the data directory. */
  readonly dataDir: string;
  /** PostgreSQL: the test's schema. */
  readonly schema: string | undefined;
  request(method: string, path: string, options?: RequestOptions): Promise<ApiResponse>;
  /** A new account with a token holding `scopes` (default: all). */
  account(plan: PlanName, scopes?: string[]): Promise<{ account: AccountRecord; token: string }>;
  /** Every row of every table of the PostgreSQL schema, as text. */
  dumpPostgres(): Promise<string>;
  close(): Promise<void>;
}

export async function startManagementHarness(
  kind: StoreKind,
  options: { plans?: PlanTable; realtime?: RealtimeView; dataDir?: string; trustProxy?: boolean } = {},
): Promise<ManagementHarness> {
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), 'mawjly-mgmt-')));
  const schema = kind === 'postgres' ? `t_${randomBytes(8).toString('hex')}` : undefined;
  const store = await openStore({
    dataDir,
    ...(kind === 'postgres' ? { databaseUrl: DATABASE_URL } : {}),
    ...(schema !== undefined ? { schema } : {}),
  });
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logs.push(chunk.toString('utf8'));
      done();
    },
  });
  const logger = pino({ level: 'trace' }, sink) as unknown as Logger;
  const clock = new TestClock();
  const management = await createManagement({
    store,
    plans: options.plans ?? loadPlans(undefined),
    clock,
    logger,
    ...(options.realtime ? { realtime: options.realtime } : {}),
  });
  const handler = createManagementApi({
    management,
    clusterName: 'sa',
    logger,
    ...(options.trustProxy === undefined ? {} : { trustProxy: options.trustProxy }),
  });
  const server: Server = createServer(
    nodeRequestListener((req, res) => {
      void handler(req, res).then((handled) => {
        if (!handled) res.send(404, {});
      });
    }),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  async function request(method: string, path: string, o: RequestOptions = {}): Promise<ApiResponse> {
    const headers: Record<string, string> = { ...o.headers };
    if (o.token !== undefined) headers.authorization = `Bearer ${o.token}`;
    let body: string | undefined = o.rawBody;
    if (o.body !== undefined) {
      body = JSON.stringify(o.body);
      headers['content-type'] = 'application/json';
    }
    const res = await fetch(`${url}${path}`, { method, headers, ...(body !== undefined ? { body } : {}) });
    const text = await res.text();
    let json: unknown;
    try {
      json = text === '' ? undefined : JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: res.status, headers: res.headers, text, json };
  }

  let counter = 0;
  return {
    kind,
    url,
    store,
    management,
    clock,
    logs,
    dataDir,
    schema,
    request,
    async account(plan, scopes) {
      counter += 1;
      const account = await management.accounts.create(
        { name: `acct-${counter}-${randomBytes(3).toString('hex')}`, plan },
        'test',
      );
      const { token } = await management.tokens.create(
        account.id,
        { name: 'test', ...(scopes !== undefined ? { scopes } : {}) },
        'test',
      );
      return { account, token };
    },
    async dumpPostgres() {
      if (schema === undefined) return '';
      const client = new pg.Client({ connectionString: DATABASE_URL });
      await client.connect();
      try {
        const tables = await client.query<{ table_name: string }>(
          'SELECT table_name FROM information_schema.tables WHERE table_schema = $1',
          [schema],
        );
        let out = '';
        for (const { table_name } of tables.rows) {
          const rows = await client.query<{ row: string }>(
            `SELECT t::text AS row FROM ${schema}."${table_name}" t`,
          );
          out += rows.rows.map((r) => r.row).join('\n') + '\n';
        }
        return out;
      } finally {
        await client.end();
      }
    },
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
        server.closeAllConnections();
      });
      await management.close();
      await store.close();
      if (schema !== undefined) {
        const client = new pg.Client({ connectionString: DATABASE_URL });
        await client.connect();
        await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
        await client.end();
      }
      if (options.dataDir === undefined) await rm(dataDir, { recursive: true, force: true });
    },
  };
}
