// A real server whose PostgreSQL sits behind a fault proxy (the shared PostgreSQL is never touched):
// while the database is black-holed or refusing, management calls answer 503 database_unavailable
// within MAWJLY_DATABASE_TIMEOUT_MS, /ready says which dependency fails, and nothing a caller was
// told had failed is applied when the network heals — not even a COMMIT caught in flight.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { pino } from 'pino';
import { loadConfig } from '../../src/config/config.js';
import type { Logger } from '../../src/core/ports/logger.js';
import { startServer, type RunningServer } from '../../src/server/server.js';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy.js';
import { DATABASE_URL } from '../support/management-harness.js';
import { managementRequest } from '../support/management-api.js';

const TIMEOUT_MS = 2000;
/** What a loaded machine may add to the bound before the answer arrives. */
const SLACK_MS = 1500;

describe('PostgreSQL outages (black-holed, refused) through a fault proxy', () => {
  const schema = `t_${randomBytes(8).toString('hex')}`;
  const logs: string[] = [];
  let dataDir: string;
  let proxy: FaultProxy;
  let server: RunningServer;
  let token: string;
  let direct: pg.Client;

  const api = (method: string, path: string, body?: unknown) =>
    managementRequest(server.url, token, method, path, body);

  async function ready() {
    const started = Date.now();
    const res = await fetch(`${server.url}/ready`);
    return { status: res.status, json: await res.json(), ms: Date.now() - started };
  }

  /** App names in the database, read past the proxy. */
  async function appNames(): Promise<string[]> {
    const result = await direct.query<{ name: string }>(`SELECT name FROM ${schema}.apps ORDER BY name`);
    return result.rows.map((r) => r.name);
  }

  async function until<T>(what: string, probe: () => Promise<T>, ok: (v: T) => boolean, ms = 15_000) {
    const deadline = Date.now() + ms;
    let last: T | undefined;
    while (Date.now() < deadline) {
      last = await probe();
      if (ok(last)) return last;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`${what} did not happen within ${String(ms)} ms; last: ${JSON.stringify(last)}`);
  }

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'mawjly-pg-outage-'));
    direct = new pg.Client({ connectionString: DATABASE_URL });
    await direct.connect();
    await direct.query(`CREATE SCHEMA ${schema}`);
    proxy = await startFaultProxy(Number(new URL(DATABASE_URL).port || '5432'));
    const url = new URL(DATABASE_URL);
    url.host = proxy.address;
    url.searchParams.set('options', `-c search_path=${schema}`);
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        logs.push(chunk.toString('utf8'));
        done();
      },
    });
    const logger = pino({ level: 'info' }, sink) as unknown as Logger;
    const config = loadConfig(
      {},
      {
        port: 0,
        metricsPort: 0,
        host: '127.0.0.1',
        dataDir,
        databaseUrl: url.toString(),
        databaseTimeoutMs: TIMEOUT_MS,
      },
    );
    server = await startServer({ config, logger });
    const account = await server.management!.accounts.create({ name: 'outage', plan: 'free' }, 'test');
    token = (await server.management!.tokens.create(account.id, { name: 't' }, 'test')).token;
  });
  after(async () => {
    proxy.setMode('pass');
    await server.close();
    await proxy.close();
    await direct.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await direct.end();
    await rm(dataDir, { recursive: true, force: true });
  });

  test('/ready answers 200 with the store check while PostgreSQL answers', async () => {
    const answer = await ready();
    assert.equal(answer.status, 200);
    assert.equal(answer.json.status, 'ok');
    assert.equal(answer.json.checks.store.ok, true);
    const health = await fetch(`${server.url}/health`);
    assert.equal(health.status, 200);
  });

  test('black-holed: reads and writes answer 503 within the bound, /ready names the store, nothing sent meanwhile is applied after healing', async (t) => {
    proxy.setMode('hold');
    try {
      const [list, create, probe] = await Promise.all([
        api('GET', '/apps'),
        api('POST', '/apps', { name: 'sent-during-hold' }),
        ready(),
      ]);
      for (const answer of [list, create]) {
        assert.equal(answer.status, 503, JSON.stringify(answer.json));
        assert.equal(answer.json.error.code, 'database_unavailable');
        assert.ok(answer.ms < TIMEOUT_MS + SLACK_MS, `answered in ${String(answer.ms)} ms`);
      }
      t.diagnostic(
        `hold: read ${String(list.ms)} ms, write ${String(create.ms)} ms, /ready ${String(probe.ms)} ms`,
      );
      assert.equal(probe.status, 503);
      assert.equal(probe.json.status, 'unavailable');
      assert.deepEqual(probe.json.failing, ['store']);
      assert.match(probe.json.checks.store.detail, /did not answer within 2000 ms/);
      assert.ok(probe.ms < TIMEOUT_MS + SLACK_MS, `/ready answered in ${String(probe.ms)} ms`);
      // Health is liveness only: the process is fine.
      assert.equal((await fetch(`${server.url}/health`)).status, 200);
    } finally {
      proxy.setMode('pass');
    }
    // Recovery without restart; whatever the proxy held has been delivered by now.
    const healed = Date.now();
    await until('/ready 200', ready, (r) => r.status === 200);
    t.diagnostic(`hold: /ready 200 again ${String(Date.now() - healed)} ms after healing`);
    const created = await until(
      'a write after healing',
      () => api('POST', '/apps', { name: 'after-hold' }),
      (r) => r.status === 201,
    );
    assert.equal(created.status, 201);
    await new Promise((resolve) => setTimeout(resolve, 2 * TIMEOUT_MS));
    const names = await appNames();
    assert.ok(names.includes('after-hold'));
    assert.ok(!names.includes('sent-during-hold'), `applied after the caller got 503: ${names.join(', ')}`);
    assert.equal(logs.filter((l) => l.includes('"database unavailable"')).length, 1, logs.join(''));
    assert.equal(logs.filter((l) => l.includes('"database available again"')).length, 1, logs.join(''));
  });

  for (const [what, statement] of [
    ['the INSERT', /INSERT INTO apps/],
    ['the COMMIT', /COMMIT/],
  ] as const) {
    test(`black-holed with ${what} in flight: 503, and the write is not applied when the held bytes arrive`, async (t) => {
      // Hold exactly when the app's write transaction sends `statement`: the bytes stay in the
      // "network" and reach PostgreSQL after the caller has been told the write failed.
      const name = `caught-${what.replace(/\W/g, '').toLowerCase()}-${randomBytes(3).toString('hex')}`;
      const writers = new Set<number>();
      proxy.holdWhen((chunk, connection) => {
        const text = chunk.toString('latin1');
        if (text.includes(name)) writers.add(connection);
        return writers.has(connection) && statement.test(text);
      });
      let create;
      try {
        create = await api('POST', '/apps', { name });
        assert.equal(proxy.mode, 'hold', `the proxy caught ${what}`);
      } finally {
        // Heal at once: well before PostgreSQL's own idle-in-transaction timeout could end it.
        proxy.setMode('pass');
      }
      assert.equal(create.status, 503, JSON.stringify(create.json));
      assert.equal(create.json.error.code, 'database_unavailable');
      assert.ok(create.ms < TIMEOUT_MS + SLACK_MS, `answered in ${String(create.ms)} ms`);
      t.diagnostic(`${what} held: write answered 503 in ${String(create.ms)} ms`);
      await new Promise((resolve) => setTimeout(resolve, 2 * TIMEOUT_MS));
      assert.ok(!(await appNames()).includes(name), `${name} was applied after the caller got 503`);
      await until(
        'recovery',
        () => api('GET', '/apps'),
        (r) => r.status === 200,
      );
    });
  }

  test('refused: 503 at once, /ready 503, recovery without restart', async (t) => {
    proxy.setMode('cut');
    try {
      const create = await api('POST', '/apps', { name: 'sent-while-refused' });
      assert.equal(create.status, 503);
      assert.equal(create.json.error.code, 'database_unavailable');
      assert.ok(create.ms < 1000, `answered in ${String(create.ms)} ms`);
      const probe = await ready();
      assert.equal(probe.status, 503);
      assert.deepEqual(probe.json.failing, ['store']);
      t.diagnostic(`cut: write ${String(create.ms)} ms, /ready ${String(probe.ms)} ms`);
    } finally {
      proxy.setMode('pass');
    }
    await until('/ready 200', ready, (r) => r.status === 200);
    const created = await until(
      'a write after the refusal',
      () => api('POST', '/apps', { name: 'after-cut' }),
      (r) => r.status === 201,
    );
    assert.equal(created.status, 201);
    const names = await appNames();
    assert.ok(names.includes('after-cut') && !names.includes('sent-while-refused'));
  });
});
