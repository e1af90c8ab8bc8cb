// GET /api/v1/apps/{id}/stats at the HTTP boundary: what the server counted (pusher-js connections,
// management-API and REST publishes) comes back cluster-wide per minute and per hour after the
// periodic flush, across a simulated day on the injected clock; bad parameters get 422s.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  HOUR,
  dayShape,
  simulateDay,
  startStatsStack,
  waitFor,
  type StatsJson,
  type StatsPointJson,
  type StatsStack,
} from './stats-stack.js';
import { startReceiver } from '../support/webhook-receiver.js';

const MINUTE = 60_000;
/** The simulated day: the 24 whole hours before the current one. */
const dayStart = Math.floor(Date.now() / HOUR) * HOUR - 24 * HOUR;

describe('GET /api/v1/apps/{id}/stats', () => {
  let stack: StatsStack;
  before(async () => {
    stack = await startStatsStack({ startAt: dayStart });
    await simulateDay(stack, dayStart);
  });
  after(async () => {
    await stack.close();
  });

  const iso = (ms: number): string => new Date(ms).toISOString();

  test('hourly points of the simulated day: connection peaks and messages of every hour', async () => {
    const path = `/api/v1/apps/${stack.appId}/stats?from=${iso(dayStart)}&to=${iso(dayStart + 24 * HOUR)}&resolution=hour`;
    const read = async (): Promise<StatsJson> => (await stack.api(path)).json;
    await waitFor(async () => (await read()).points[23]?.messages === dayShape(23).messages);
    const body = await read();
    assert.equal(body.resolution, 'hour');
    assert.equal(body.step_seconds, 3600);
    assert.equal(body.from, iso(dayStart));
    assert.equal(body.points.length, 24);
    assert.deepEqual(body.limits, { connections: 500, messages_per_day: 1_000_000 });
    for (let h = 0; h < 24; h += 1) {
      const point = body.points[h];
      assert.ok(point);
      assert.equal(point.t, iso(dayStart + h * HOUR));
      assert.equal(point.messages, dayShape(h).messages, `messages of hour ${h}`);
      assert.equal(point.connections_peak, dayShape(h).connections, `peak of hour ${h}`);
      assert.equal(point.connections_avg, dayShape(h).connections, `average of hour ${h}`);
    }
  });

  test('minute points: connections every minute of an hour, a message every 5 minutes', async () => {
    const h = 5;
    const path = `/api/v1/apps/${stack.appId}/stats?from=${iso(dayStart + h * HOUR)}&to=${iso(dayStart + (h + 1) * HOUR)}&resolution=minute`;
    const { status, json } = await stack.api(path);
    assert.equal(status, 200);
    assert.equal(json.points.length, 60);
    const { connections, messages } = dayShape(h);
    json.points.forEach((p: StatsPointJson, m: number) => {
      assert.equal(p.t, iso(dayStart + h * HOUR + m * MINUTE));
      assert.deepEqual(
        [p.connections_peak, p.connections_avg, p.messages],
        [connections, connections, m % 5 === 0 && m / 5 < messages ? 1 : 0],
        `minute ${m}`,
      );
    });
  });

  test('REST API calls and delivered webhooks are counted per minute', async () => {
    stack.clock.at = Date.now();
    const receiver = await startReceiver({ id: stack.appId, key: stack.appKey, secret: stack.appSecret });
    try {
      const created = await stack.api(`/api/v1/apps/${stack.appId}/webhooks`, {
        method: 'POST',
        body: { url: receiver.url, event_types: ['channel_occupied'] },
      });
      assert.equal(created.status, 201);
      const minute = stack.clock.at - (stack.clock.at % MINUTE);
      // Two REST publishes by the official SDK; a subscriber occupies a channel: one webhook.
      await stack.sdk.publishPlain('rest-a', 'e', { n: 1 });
      await stack.sdk.publishPlain('rest-b', 'e', { n: 2 });
      const client = await stack.sdk.openClient(['hooked']);
      await receiver.waitFor((r) => r.accepted().length >= 1, 30_000, 'the channel_occupied webhook');
      client.close();
      const path = `/api/v1/apps/${stack.appId}/stats?from=${iso(minute)}&to=${iso(stack.clock.at + MINUTE)}&resolution=minute`;
      const sum = async (key: 'api_calls' | 'webhook_deliveries' | 'messages'): Promise<number> =>
        (await stack.api(path)).json.points.reduce((n, p) => n + p[key], 0);
      await waitFor(async () => (await sum('api_calls')) === 2 && (await sum('webhook_deliveries')) === 1);
      assert.equal(await sum('messages'), 2);
    } finally {
      await receiver.close();
    }
  });

  test('defaults: the last 24 hours by minute', async () => {
    const { status, json } = await stack.api(`/api/v1/apps/${stack.appId}/stats`);
    assert.equal(status, 200);
    assert.equal(json.resolution, 'minute');
    assert.ok(json.points.length >= 1440 && json.points.length <= 1441, `${json.points.length} points`);
  });

  test('bad parameters: 422 validation_failed with what is wrong', async () => {
    const base = `/api/v1/apps/${stack.appId}/stats`;
    const cases: [string, RegExp][] = [
      ['?resolution=second', /resolution: one of minute, hour/],
      ['?from=yesterday', /from: an ISO 8601 time/],
      [`?from=${iso(dayStart + HOUR)}&to=${iso(dayStart)}`, /from: must be before to/],
      [
        `?from=${iso(dayStart - 2 * 24 * HOUR)}&to=${iso(dayStart + 24 * HOUR)}&resolution=minute`,
        /at most 2160 points/,
      ],
      [`?from=${iso(dayStart - 100 * 24 * HOUR)}&to=${iso(dayStart)}`, /at most 2160 points/],
    ];
    for (const [query, message] of cases) {
      const { status, json } = await stack.api(base + query);
      assert.equal(status, 422, query);
      assert.equal(json.error.code, 'validation_failed', query);
      assert.match(json.error.message, message, query);
    }
  });

  test('scopes and ownership: apps:read is needed, other accounts see 404', async () => {
    const account = await stack.management.accounts.create({ name: 'Other', plan: 'free' }, 'test');
    const { token: other } = await stack.management.tokens.create(account.id, { name: 'o' }, 'test');
    assert.equal((await stack.api(`/api/v1/apps/${stack.appId}/stats`, { token: other })).status, 404);
    const { token: noRead } = await stack.management.tokens.create(
      (await stack.management.store.accounts.findAccountByName('Stats'))?.id ?? '',
      { name: 'write only', scopes: ['events:write'] },
      'test',
    );
    const res = await stack.api(`/api/v1/apps/${stack.appId}/stats`, { token: noRead });
    assert.equal(res.status, 403);
  });

  // Last: moves the clock two days on.
  test('two days later the minute rows are pruned and the hour rows kept', async () => {
    stack.clock.at = Date.now() + 2 * 24 * HOUR;
    const minutes = `/api/v1/apps/${stack.appId}/stats?from=${iso(dayStart)}&to=${iso(dayStart + 24 * HOUR)}&resolution=minute`;
    // 1440 minutes fit in one answer (at most 2160 points).
    await waitFor(async () => (await stack.api(minutes)).json.points.every((p) => p.messages === 0));
    const hours = await stack.api(
      `/api/v1/apps/${stack.appId}/stats?from=${iso(dayStart)}&to=${iso(dayStart + 24 * HOUR)}&resolution=hour`,
    );
    assert.deepEqual(
      hours.json.points.map((p) => p.messages),
      Array.from({ length: 24 }, (_, h) => dayShape(h).messages),
    );
  });
});
