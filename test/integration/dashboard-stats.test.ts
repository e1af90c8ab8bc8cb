// Usage history in real headless Chromium: a day of traffic simulated on the server's injected clock
// (pusher-js connections and management-API publishes, one step per hour), flushed to the store by
// the server's own timer, then drawn on the Overview page from GET /apps/{id}/stats: a UTC time axis,
// the 24 h / 7 d / 30 d ranges, the plan-limit lines and the CSV export — with no CSP violation.
import WebSocket from 'ws';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from '../support/browser.js';
import { ensureDashboardBuilt } from './dashboard-stack.js';
import {
  HOUR,
  STATS_PASSWORD,
  dayShape,
  simulateDay,
  startStatsStack,
  waitFor,
  type StatsStack,
} from './stats-stack.js';

/** The simulated day: the 24 whole hours before the current one, so "last 24 h" in the page shows it. */
const dayStart = Math.floor(Date.now() / HOUR) * HOUR - 24 * HOUR;

async function signIn(page: Page, stack: StatsStack): Promise<void> {
  await page.goto(`${stack.url}/dashboard/`);
  await page.getByLabel('Email').fill(stack.email);
  await page.getByLabel('Password').fill(STATS_PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Apps', exact: true }).waitFor();
  await page.getByRole('link', { name: 'Storefront' }).click();
  await page.getByRole('heading', { name: 'Usage history' }).waitFor();
}

/** The text of a chart: axis labels, limit label and legend. */
async function chartText(page: Page, label: string): Promise<string> {
  return (await page.locator(`figure[data-chart="${label}"]`).textContent()) ?? '';
}

describe('usage history on the Overview page (Chromium)', { timeout: 120_000 }, () => {
  let stack: StatsStack;
  let browser: Browser;

  before(async () => {
    ensureDashboardBuilt();
    stack = await startStatsStack({ startAt: dayStart });
    await simulateDay(stack, dayStart);
    // Back to the present (the browser asks for the last 24 h of its own clock; the session cookie
    // is dated by the server's).
    stack.clock.at = Date.now();
    // The server's flush timer has written the whole day.
    await waitFor(async () => {
      const res = await stack.api(
        `/api/v1/apps/${stack.appId}/stats?from=${new Date(dayStart + 23 * HOUR).toISOString()}&resolution=hour`,
      );
      return res.json.points[0]?.messages === dayShape(23).messages;
    });
    // A client helper reports 3 events it could not decrypt (what @mawjly/client sends).
    const ws = new WebSocket(`${stack.url.replace(/^http/, 'ws')}/app/${stack.appKey}?protocol=7`);
    await new Promise((resolve) => ws.once('message', resolve));
    ws.send(JSON.stringify({ event: 'mawjly:decryption_failures', data: { count: 3 } }));
    await waitFor(async () => {
      const res = await stack.api(`/api/v1/apps/${stack.appId}/stats`);
      return (
        (res.json as unknown as { decryption_failures_last_hour: { failures: number } })
          .decryption_failures_last_hour.failures === 3
      );
    });
    ws.close();
    browser = await launchChromium();
  });
  after(async () => {
    await browser.close();
    await stack.close();
  });

  test('the simulated day drawn with a time axis, ranges, plan limits and CSV export', async () => {
    const context = await browser.newContext({
      viewport: { width: 1280, height: 1400 },
      acceptDownloads: true,
    });
    const page = await context.newPage();
    const consoleText: string[] = [];
    page.on('console', (m) => consoleText.push(m.text()));
    try {
      await signIn(page, stack);
      // The Overview's decryption-failure figure: 1 client, 3 events, in the last hour.
      await page.getByText('clients failed to decrypt in the last hour (3 events)').waitFor();
      assert.equal((await page.getByTestId('decryption-failed-clients').textContent())?.trim(), '1');
      const peakMax = Math.max(...Array.from({ length: 24 }, (_, h) => dayShape(h).connections));

      // 24 h, by minute: the hour ticks of a UTC day and the day's peaks and message counts.
      const connections = page.locator('figure[data-chart="Connections"] svg');
      await waitFor(async () =>
        ((await connections.getAttribute('aria-label')) ?? '').includes(`Peak max ${peakMax}`),
      );
      const activity = await page.locator('figure[data-chart="Activity"] svg').getAttribute('aria-label');
      assert.match(activity ?? '', /Messages max 1,/, 'one message in a minute at most');
      const axis24 = await chartText(page, 'Connections');
      assert.match(axis24, /\d\d:00/, 'hour labels on the time axis');
      assert.match(axis24, /Times in UTC/);
      // The peak line has one point per minute of the day.
      const peakLine = page.locator('figure[data-chart="Connections"] polyline.series-1');
      const points24 = ((await peakLine.getAttribute('points')) ?? '').trim().split(' ').length;
      assert.ok(points24 >= 1440 && points24 <= 1441, `${points24} points`);

      // The plan limit is far above a day of 6 connections: named off scale until scaled to it.
      assert.match(axis24, /Plan connections: 500 \(above this scale\)/);
      assert.equal(await page.locator('figure[data-chart="Connections"] g.limit').count(), 0);
      await page.getByLabel('Scale to plan limits').check();
      const limit = page.locator('figure[data-chart="Connections"] g.limit');
      await limit.waitFor();
      assert.equal(await limit.getAttribute('data-limit'), '500');
      assert.match((await limit.textContent()) ?? '', /Plan connections: 500/);
      assert.equal(
        await page.locator('figure[data-chart="Messages per day"] g.limit').getAttribute('data-limit'),
        '1000000',
      );

      // CSV export of the shown range: a header and one row per minute, with the day's counts.
      const downloading = page.waitForEvent('download');
      await page.getByRole('button', { name: 'Export CSV' }).click();
      const download = await downloading;
      assert.match(download.suggestedFilename(), new RegExp(`^mawjly-${stack.appId}-24h-minute\\.csv$`));
      const csv = await readFile(await download.path(), 'utf8');
      const lines = csv.trim().split('\n');
      assert.equal(lines[0], 'time,connections_peak,connections_avg,messages,api_calls,webhook_deliveries');
      const total = lines.slice(1).reduce((sum, line) => sum + Number(line.split(',')[3]), 0);
      const dayTotal = Array.from({ length: 24 }, (_, h) => dayShape(h).messages).reduce((a, b) => a + b, 0);
      // The last 24 h of the browser's clock may start a few minutes into the simulated day's first hour.
      assert.ok(total >= dayTotal - dayShape(0).messages && total <= dayTotal, `${total} of ${dayTotal}`);
      // Hour 5 held its connections every minute and published one message at minute 10.
      const row = lines.find((l) => l.startsWith(new Date(dayStart + 5 * HOUR + 10 * 60_000).toISOString()));
      assert.equal(
        row?.split(',').slice(1).join(','),
        `${dayShape(5).connections},${dayShape(5).connections},1,0,0`,
      );

      // 7 d, by hour: day labels on the axis, one point per hour.
      await page.getByRole('group', { name: 'Time range' }).getByRole('button', { name: '7 d' }).click();
      await waitFor(async () => {
        const points = ((await peakLine.getAttribute('points')) ?? '').trim().split(' ').length;
        return points >= 168 && points <= 169;
      });
      assert.match(
        await chartText(page, 'Connections'),
        /(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d+/,
      );
      assert.match(
        (await connections.getAttribute('aria-label')) ?? '',
        new RegExp(`Peak max ${peakMax}\\b`),
      );

      // 30 d.
      await page.getByRole('group', { name: 'Time range' }).getByRole('button', { name: '30 d' }).click();
      await waitFor(
        async () => ((await peakLine.getAttribute('points')) ?? '').trim().split(' ').length >= 720,
      );
      assert.ok(!consoleText.some((t) => /Content Security Policy/i.test(t)), consoleText.join('\n'));
    } finally {
      await context.close();
    }
  });
});
