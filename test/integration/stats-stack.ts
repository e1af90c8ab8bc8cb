// The real server with an injected clock for usage-history tests: SQLite in a temp directory, a
// short history flush period, an account on the Startup plan with an owner, an app and an API token.
// `simulateDay` drives a day of traffic through the public boundary (WebSocket connections of the
// pusher-js SDK, publishes through the management API), one step per hour of the injected clock.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/config.js';
import type { Clock } from '../../src/core/ports/clock.js';
import { silentLogger } from '../../src/core/ports/logger.js';
import type { Management } from '../../src/management/management.js';
import { startServer, type RunningServer } from '../../src/server/server.js';
import { sdkClient, type SdkClient } from './dashboard-sdk.js';

export const HOUR = 3_600_000;
export const STATS_PASSWORD = 'correct horse battery';

/**
 * A clock the test sets and that ticks on from there in real time (the webhook worker waits on it);
 * the server reads it for history buckets, sessions, the REST timestamp window and webhook timing.
 */
export class SettableClock implements Clock {
  #offset: number;
  constructor(at: number) {
    this.#offset = at - Date.now();
  }
  get at(): number {
    return Date.now() + this.#offset;
  }
  set at(value: number) {
    this.#offset = value - Date.now();
  }
  now(): number {
    return this.at;
  }
}

export interface StatsPointJson {
  readonly t: string;
  readonly connections_peak: number;
  readonly connections_avg: number;
  readonly messages: number;
  readonly api_calls: number;
  readonly webhook_deliveries: number;
}

export interface StatsJson {
  readonly resolution: string;
  readonly step_seconds: number;
  readonly from: string;
  readonly to: string;
  readonly limits: { connections: number | null; messages_per_day: number | null };
  readonly points: StatsPointJson[];
  readonly error: { code: string; message: string };
}

export interface StatsStack {
  readonly server: RunningServer;
  readonly management: Management;
  readonly clock: SettableClock;
  readonly url: string;
  readonly email: string;
  readonly appId: string;
  readonly appKey: string;
  readonly appSecret: string;
  readonly token: string;
  readonly sdk: SdkClient;
  api(
    path: string,
    init?: { method?: string; body?: unknown; token?: string },
  ): Promise<{ status: number; json: StatsJson }>;
  close(): Promise<void>;
}

export async function startStatsStack(options: {
  startAt: number;
  dashboardDir?: string;
}): Promise<StatsStack> {
  const dataDir = mkdtempSync(join(tmpdir(), 'mawjly-stats-test-'));
  const clock = new SettableClock(options.startAt);
  // Webhook receivers in the tests listen on 127.0.0.1.
  const config = loadConfig(
    { MAWJLY_WEBHOOKS_ALLOW_PRIVATE_TARGETS: 'true' },
    { port: 0, metricsPort: 0, host: '127.0.0.1', dataDir },
  );
  const server = await startServer({
    config,
    logger: silentLogger,
    clock,
    historyFlushIntervalMs: 200,
    // Samples are taken by `simulateDay` at each simulated minute, never by the real-time timer
    // (which would sample whatever the clock shows in the middle of a step).
    historySampleIntervalMs: 3_600_000,
    ...(options.dashboardDir === undefined ? {} : { dashboardDir: options.dashboardDir }),
  });
  const management = server.management;
  if (!management) throw new Error('the server started without its management layer');
  const email = 'owner@stats.test';
  const account = await management.accounts.create({ name: 'Stats', plan: 'startup' }, 'test');
  await management.team.create(account.id, { email, password: STATS_PASSWORD, role: 'owner' }, 'test');
  const app = await management.apps.create(account, { name: 'Storefront' }, 'test');
  const { token } = await management.tokens.create(account.id, { name: 'stats' }, 'test');
  const sdk = sdkClient(server.url, { appId: app.id, appKey: app.key, appSecret: app.secret });
  return {
    server,
    management,
    clock,
    url: server.url,
    email,
    appId: app.id,
    appKey: app.key,
    appSecret: app.secret,
    token,
    sdk,
    async api(path, init = {}) {
      const res = await fetch(`${server.url}${path}`, {
        method: init.method ?? 'GET',
        headers: {
          authorization: `Bearer ${init.token ?? token}`,
          ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
      });
      const text = await res.text();
      return { status: res.status, json: (text ? JSON.parse(text) : {}) as StatsJson };
    },
    async close() {
      await server.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Connections held in hour `h` of the simulated day, and messages published in it. */
export const dayShape = (h: number): { connections: number; messages: number } => ({
  connections: 1 + (h % 6),
  messages: 1 + ((h * 7) % 12),
});

/**
 * 24 hourly steps from `dayStart`: in each, the clock moves to the start of the hour, the connection
 * count is brought to the hour's figure (pusher-js clients subscribed to a channel nobody publishes
 * to), then the clock walks through the hour's 60 minutes: at each one the server samples its
 * connection counts (what its 5 s sampling timer does in real time), and at minute 5·i the i-th
 * message of the hour is published through the management API to a channel without subscribers.
 */
export async function simulateDay(stack: StatsStack, dayStart: number): Promise<void> {
  const open: { close(): void }[] = [];
  try {
    for (let h = 0; h < 24; h += 1) {
      stack.clock.at = dayStart + h * HOUR;
      const { connections, messages } = dayShape(h);
      while (open.length > connections) open.pop()?.close();
      while (open.length < connections) open.push(await stack.sdk.openClient(['lobby']));
      // The server has seen this hour's closes before anything is counted in it.
      await waitFor(() => stack.server.engine.connectionCount(stack.appId) === connections);
      for (let m = 0; m < 60; m += 1) {
        stack.clock.at = dayStart + h * HOUR + m * 60_000;
        stack.management.history.sample();
        if (m % 5 !== 0 || m / 5 >= messages) continue;
        const res = await stack.api(`/api/v1/apps/${stack.appId}/events`, {
          method: 'POST',
          body: { channel: 'ticks', name: 'tick', data: { h, m } },
        });
        if (res.status !== 200) throw new Error(`publish failed: ${res.status} ${JSON.stringify(res.json)}`);
      }
    }
  } finally {
    for (const client of open) client.close();
  }
}

export async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}
