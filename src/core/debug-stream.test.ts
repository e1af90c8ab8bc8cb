import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEBUG_BACKLOG_EVENTS, DebugStream } from './debug-stream.js';
import type { DebugEvent } from './ports/realtime-view.js';

function stream(maxBytes?: number): { debug: DebugStream; tick: () => void } {
  let now = 1_000_000;
  const debug = new DebugStream({ now: () => now }, maxBytes);
  return { debug, tick: () => (now += 5) };
}

function replay(debug: DebugStream, appId: string): DebugEvent[] {
  const events: DebugEvent[] = [];
  debug.listen(appId, (event) => events.push(event), { replay: true })();
  return events;
}

test('a publish kept raw replays as the api_message a listener would have received', () => {
  const { debug, tick } = stream();
  debug.emit('app', () => ({ type: 'connection', socketId: '1.1' }));
  tick();
  debug.emitPublished('app', { name: 'ev', channels: ['a', 'b'], data: '{"x":1}' });
  tick();
  const live: DebugEvent[] = [];
  const stop = debug.listen('app', (event) => live.push(event));
  debug.emitPublished('app', { name: 'ev2', channels: ['c'], data: 'd' });
  stop();

  const events = replay(debug, 'app');
  assert.deepEqual(
    events.map(({ type, channel, event, data, time }) => ({ type, channel, event, data, time })),
    [
      { type: 'connection', channel: undefined, event: undefined, data: undefined, time: 1_000_000 },
      { type: 'api_message', channel: 'a,b', event: 'ev', data: '{"x":1}', time: 1_000_005 },
      { type: 'api_message', channel: 'c', event: 'ev2', data: 'd', time: 1_000_010 },
    ],
  );
  assert.ok(events.every((e, i) => i === 0 || e.id > events[i - 1]!.id));
  // The listener got the same event the backlog replays.
  assert.deepEqual(live, [events[2]]);
  assert.deepEqual(replay(debug, 'other'), []);
});

test('raw publishes count against the backlog bounds like built events', () => {
  const { debug } = stream(1024);
  for (let i = 0; i < DEBUG_BACKLOG_EVENTS + 10; i++)
    debug.emitPublished('app', { name: `e${i}`, channels: ['ch'], data: '' });
  // 64 + 2-3 bytes of name + 2 of channel each: the byte bound (1 KiB) holds 14 of them.
  const kept = replay(debug, 'app').map((e) => e.event);
  assert.deepEqual(
    kept,
    Array.from({ length: 14 }, (_, i) => `e${DEBUG_BACKLOG_EVENTS - 4 + i}`),
  );

  const big = stream();
  for (let i = 0; i < DEBUG_BACKLOG_EVENTS + 10; i++)
    big.debug.emitPublished('app', { name: `e${i}`, channels: ['ch'], data: '' });
  assert.equal(replay(big.debug, 'app').length, DEBUG_BACKLOG_EVENTS);
  // One event larger than the bound is still kept alone.
  big.debug.emitPublished('app', { name: 'huge', channels: ['ch'], data: 'x'.repeat(300 * 1024) });
  assert.deepEqual(
    replay(big.debug, 'app').map((e) => e.event),
    ['huge'],
  );
});
