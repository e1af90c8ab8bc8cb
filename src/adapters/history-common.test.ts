import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setImmediate as tick } from 'node:timers/promises';
import { GapLedger, type PendingGap } from './history-common.js';

const KEEP = { maxEvents: 10, maxAgeMs: 60_000 };
const gap = (appId: string, channel: string): PendingGap => ({ appId, channel, retention: KEEP });

test('GapLedger: failed appends leave one gap per channel, written after the next success; failed writes stay', async () => {
  const written: string[] = [];
  let failWrites = false;
  let canWrite = true;
  const ledger = new GapLedger({
    write: (g) => {
      if (failWrites) return Promise.reject(new Error('down'));
      written.push(`${g.appId}/${g.channel}`);
      return Promise.resolve();
    },
    canWrite: () => canWrite,
  });
  await assert.rejects(ledger.track(gap('a', 'x'), Promise.reject(new Error('lost'))), /lost/);
  await assert.rejects(ledger.track(gap('a', 'x'), Promise.reject(new Error('lost'))), /lost/);
  await assert.rejects(ledger.track(gap('b', 'y'), Promise.reject(new Error('lost'))), /lost/);
  assert.equal(ledger.size, 2);

  // The writer cannot write: nothing is taken.
  canWrite = false;
  assert.equal(await ledger.track(gap('a', 'z'), Promise.resolve(7)), 7);
  assert.equal(ledger.size, 2);

  // Writes fail: the gaps stay pending.
  canWrite = true;
  failWrites = true;
  ledger.flush();
  await tick();
  assert.equal(ledger.size, 2);
  assert.deepEqual(written, []);

  failWrites = false;
  assert.equal(await ledger.track(gap('a', 'z'), Promise.resolve(8)), 8);
  await tick();
  assert.deepEqual(written.sort(), ['a/x', 'b/y']);
  assert.equal(ledger.size, 0);
});

test('GapLedger: one flush at a time; dropApp and the bound forget gaps', async () => {
  let release: () => void = () => undefined;
  let writes = 0;
  const ledger = new GapLedger(
    {
      write: async () => {
        writes++;
        await new Promise<void>((resolve) => (release = resolve));
      },
      canWrite: () => true,
    },
    2,
  );
  await ledger.track(gap('a', '1'), Promise.reject(new Error('lost'))).catch(() => undefined);
  ledger.flush();
  await ledger.track(gap('a', '2'), Promise.reject(new Error('lost'))).catch(() => undefined);
  ledger.flush(); // the first flush is still writing
  assert.equal(writes, 1);
  assert.equal(ledger.size, 1);
  release();
  await tick();

  await ledger.track(gap('a', '3'), Promise.reject(new Error('lost'))).catch(() => undefined);
  await ledger.track(gap('b', '1'), Promise.reject(new Error('lost'))).catch(() => undefined);
  assert.equal(ledger.size, 2, 'a/2 forgotten past the bound of 2');
  ledger.dropApp('a');
  assert.equal(ledger.size, 1);
});
