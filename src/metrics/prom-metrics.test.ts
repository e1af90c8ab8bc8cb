import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { PromMetrics } from './prom-metrics.js';

function value(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('PromMetrics', () => {
  test('hot-path counts reach the scrape, and keep adding up across scrapes', async () => {
    const metrics = new PromMetrics();
    metrics.messageIn('a1', 10);
    metrics.messageIn('a1', 5);
    metrics.messagesOut('a1', 3, 300);
    metrics.messagesOut('a2', 1, 7);
    metrics.httpCall('events', 200);
    metrics.httpCall('events', 200);
    metrics.httpCall('batch_events', 413);
    let text = await metrics.registry.metrics();
    assert.equal(value(text, 'mawjly_ws_messages_received_total{app_id="a1"}'), 2);
    assert.equal(value(text, 'mawjly_ws_bytes_received_total{app_id="a1"}'), 15);
    assert.equal(value(text, 'mawjly_ws_messages_sent_total{app_id="a1"}'), 3);
    assert.equal(value(text, 'mawjly_ws_bytes_sent_total{app_id="a2"}'), 7);
    assert.equal(value(text, 'mawjly_http_calls_total{route="events",status="200"}'), 2);
    assert.equal(value(text, 'mawjly_http_calls_total{route="batch_events",status="413"}'), 1);

    metrics.messagesOut('a1', 2, 200);
    metrics.httpCall('events', 200);
    text = await metrics.registry.metrics();
    assert.equal(value(text, 'mawjly_ws_messages_sent_total{app_id="a1"}'), 5);
    assert.equal(value(text, 'mawjly_ws_bytes_sent_total{app_id="a1"}'), 500);
    assert.equal(value(text, 'mawjly_http_calls_total{route="events",status="200"}'), 3);
  });
});
