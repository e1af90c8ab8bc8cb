import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MemoryChannelHistory } from './memory-history.js';

class ManualClock {
  ms = 1_800_000_000_000;
  now(): number {
    return this.ms;
  }
}

const KEEP = { maxEvents: 3, maxAgeMs: 10_000 };
const ev = (n: number) => ({ event: 'e', data: String(n) });

test('serials increase per channel; reads page with since/limit; count retention marks gaps', async () => {
  const clock = new ManualClock();
  const h = new MemoryChannelHistory({ clock });
  const serials: number[] = [];
  for (let i = 0; i < 5; i++) serials.push(await h.append('a', 'c', ev(i), KEEP));
  assert.ok(serials.every((s, i) => i === 0 || s > (serials[i - 1] ?? 0)));
  const all = await h.read('a', 'c', 0, 10, KEEP);
  assert.deepEqual(
    all.events.map((e) => e.data),
    ['2', '3', '4'],
  );
  assert.equal(all.complete, false); // 0 and 1 were dropped
  assert.equal(all.lastSerial, serials[4]);
  const recent = await h.read('a', 'c', serials[2] ?? 0, 1, KEEP);
  assert.deepEqual(
    recent.events.map((e) => e.data),
    ['3'],
  );
  assert.equal(recent.complete, true);
  assert.equal(recent.more, true);
  assert.equal((await h.read('a', 'c', serials[0] ?? 0, 10, KEEP)).complete, false);
  assert.equal((await h.read('a', 'other', 0, 10, KEEP)).lastSerial, 0);
  assert.equal((await h.read('b', 'c', 0, 10, KEEP)).events.length, 0);
});

test('age retention, forgotten channels and the byte bound', async () => {
  const clock = new ManualClock();
  const h = new MemoryChannelHistory({ clock, maxBytes: 10_000 });
  const first = await h.append('a', 'old', ev(1), KEEP);
  clock.ms += 5_000;
  const fresh = await h.append('a', 'fresh', ev(2), KEEP);
  // A reader whose last event is within the window, on a channel with nothing newer: complete.
  assert.equal((await h.read('a', 'old', first, 10, KEEP)).complete, true);
  clock.ms += 6_000; // `old` is 11 s old now
  const aged = await h.read('a', 'old', first - 1, 10, KEEP);
  assert.deepEqual(aged.events, []);
  assert.equal(aged.complete, false);
  clock.ms += 20_000;
  await h.append('a', 'x', ev(3), KEEP); // sweeps records older than their retention
  assert.equal((await h.read('a', 'fresh', fresh, 10, KEEP)).complete, false, 'older than the window');
  // Byte bound: the least recently written channel loses its oldest events first.
  const big = { event: 'e', data: 'x'.repeat(1_500) };
  const wide = { maxEvents: 100, maxAgeMs: 60_000 };
  const s1 = await h.append('a', 'one', big, wide);
  await h.append('a', 'two', big, wide);
  await h.append('a', 'two', big, wide);
  await h.append('a', 'three', big, wide);
  assert.ok(h.bytes <= 10_000, String(h.bytes));
  const one = await h.read('a', 'one', s1 - 1, 10, wide);
  assert.equal(one.events.length, 0);
  assert.equal(one.complete, false);
  await h.dropApp('a');
  assert.equal(h.bytes, 0);
  await h.close();
});
