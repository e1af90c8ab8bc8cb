// One contract every ChannelHistory engine passes (memory, Redis Streams, NATS JetStream).
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import type { ChannelHistory, HistoryRetention } from '../../src/core/ports/channel-history.js';
import { startFaultProxy } from '../support/fault-proxy.js';

export interface HistoryContractOptions {
  /**
   * `open(namespace)`: an engine on a namespace (a key prefix); engines opened on the same namespace
   * see the same history, as the nodes of one cluster do.
   */
  readonly open: (namespace: string) => ChannelHistory;
  /**
   * For the fault case: the backend's port, and `open` for an engine reaching it through `address`
   * (`host:port` of a fault proxy) with a short deadline (`deadlineMs`).
   */
  readonly fault?: {
    readonly port: number;
    readonly open: (namespace: string, address: string, deadlineMs: number) => ChannelHistory;
  };
}

const KEEP: HistoryRetention = { maxEvents: 100, maxAgeMs: 120_000 };
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const tag = (): string => Math.random().toString(36).slice(2, 10);

export function runHistoryContract(name: string, options: HistoryContractOptions): void {
  describe(`ChannelHistory contract: ${name}`, () => {
    const engines: ChannelHistory[] = [];
    const open = (namespace: string): ChannelHistory => {
      const engine = options.open(namespace);
      engines.push(engine);
      return engine;
    };
    after(async () => {
      await Promise.allSettled(engines.map(async (engine) => engine.close()));
    });

    async function appendMany(
      engine: ChannelHistory,
      app: string,
      channel: string,
      count: number,
      retention = KEEP,
      from = 0,
    ): Promise<number[]> {
      const serials: number[] = [];
      for (let i = from; i < from + count; i++) {
        serials.push(await engine.append(app, channel, { event: 'e', data: `m${String(i)}` }, retention));
      }
      return serials;
    }

    test('appends read back oldest first with strictly increasing serials, exactly as given', async () => {
      const engine = open(`h${tag()}`);
      const before = Date.now();
      const data = JSON.stringify({ nonce: 'x'.repeat(32), ciphertext: 'é✓ "quoted" \\ \n' });
      const first = await engine.append('app1', 'private-encrypted-a', { event: 'e1', data }, KEEP);
      const second = await engine.append(
        'app1',
        'private-encrypted-a',
        { event: 'client-typing', data: '{}', userId: 'user:7' },
        KEEP,
      );
      assert.ok(Number.isSafeInteger(first) && first > 0, `serial ${String(first)}`);
      assert.ok(second > first);
      const read = await engine.read('app1', 'private-encrypted-a', 0, 10, KEEP);
      assert.deepEqual(
        read.events.map(({ serial, event, data: d, userId }) => ({ serial, event, data: d, userId })),
        [
          { serial: first, event: 'e1', data, userId: undefined },
          { serial: second, event: 'client-typing', data: '{}', userId: 'user:7' },
        ],
      );
      assert.equal(read.complete, true);
      assert.equal(read.more, false);
      assert.equal(read.lastSerial, second);
      for (const event of read.events) {
        // Times come from the backend's clock: allow for a modest skew with this machine.
        assert.ok(Math.abs(event.time - before) < 60_000, `time ${String(event.time)}`);
      }
    });

    test('since and limit page through the channel; more says when limit cut it short', async () => {
      const engine = open(`h${tag()}`);
      const serials = await appendMany(engine, 'app1', 'ch', 5);
      const page1 = await engine.read('app1', 'ch', serials[0] ?? 0, 2, KEEP);
      assert.deepEqual(
        page1.events.map((e) => e.data),
        ['m1', 'm2'],
      );
      assert.deepEqual(page1, { ...page1, complete: true, more: true, lastSerial: serials[4] });
      const page2 = await engine.read('app1', 'ch', page1.events[1]?.serial ?? 0, 2, KEEP);
      assert.deepEqual(
        page2.events.map((e) => e.data),
        ['m3', 'm4'],
      );
      assert.equal(page2.more, false);
      assert.equal(page2.complete, true);
      const none = await engine.read('app1', 'ch', serials[4] ?? 0, 10, KEEP);
      assert.deepEqual(none, { events: [], complete: true, more: false, lastSerial: serials[4] });
      const empty = await engine.read('app1', 'never-used', 0, 10, KEEP);
      assert.deepEqual(empty, { events: [], complete: true, more: false, lastSerial: 0 });
    });

    test('retention by count keeps the newest; a since older than what is kept is not complete', async () => {
      const engine = open(`h${tag()}`);
      const retention = { maxEvents: 3, maxAgeMs: 120_000 };
      const serials = await appendMany(engine, 'app1', 'ch', 8, retention);
      const all = await engine.read('app1', 'ch', 0, 10, retention);
      assert.deepEqual(
        all.events.map((e) => e.data),
        ['m5', 'm6', 'm7'],
      );
      assert.equal(all.complete, false, 'events before the kept ones were dropped');
      assert.equal(all.lastSerial, serials[7]);
      const fromKept = await engine.read('app1', 'ch', serials[4] ?? 0, 10, retention);
      assert.equal(fromKept.complete, true, 'nothing after m4 was dropped');
      assert.equal(fromKept.events.length, 3);
      const tooOld = await engine.read('app1', 'ch', serials[3] ?? 0, 10, retention);
      assert.equal(tooOld.complete, false, 'm4 was dropped');
      assert.deepEqual(
        tooOld.events.map((e) => e.data),
        ['m5', 'm6', 'm7'],
      );
      // A lower count on read (the app's setting changed) applies at once.
      const lowered = await engine.read('app1', 'ch', serials[4] ?? 0, 10, { ...retention, maxEvents: 1 });
      assert.deepEqual(
        lowered.events.map((e) => e.data),
        ['m7'],
      );
      assert.equal(lowered.complete, false);
    });

    test('retention by age drops old events, on append and on read', async () => {
      const engine = open(`h${tag()}`);
      const retention = { maxEvents: 100, maxAgeMs: 1_500 };
      const old = await appendMany(engine, 'app1', 'ch', 2, retention);
      await sleep(2_500);
      const fresh = await appendMany(engine, 'app1', 'ch', 1, retention, 2);
      const fromOld = await engine.read('app1', 'ch', old[0] ?? 0, 10, retention);
      assert.deepEqual(
        fromOld.events.map((e) => e.data),
        ['m2'],
      );
      assert.equal(fromOld.complete, false, 'm1 aged out');
      assert.equal(fromOld.lastSerial, fresh[0]);
      const fromLastOld = await engine.read('app1', 'ch', old[1] ?? 0, 10, retention);
      assert.equal(fromLastOld.complete, true);
      assert.deepEqual(
        fromLastOld.events.map((e) => e.data),
        ['m2'],
      );
      await sleep(2_500);
      // Nothing appended since: the read alone ages the last event out.
      const later = await engine.read('app1', 'ch', old[1] ?? 0, 10, retention);
      assert.deepEqual(later.events, []);
      assert.equal(later.complete, false);
      const upToDate = await engine.read('app1', 'ch', fresh[0] ?? 0, 10, retention);
      assert.equal(upToDate.complete, true, 'a reader that saw the last event missed nothing');
    });

    test('channels and apps are separate', async () => {
      const engine = open(`h${tag()}`);
      await engine.append('app1', 'a', { event: 'e', data: '1a' }, KEEP);
      await engine.append('app1', 'b', { event: 'e', data: '1b' }, KEEP);
      await engine.append('app2', 'a', { event: 'e', data: '2a' }, KEEP);
      // Names that would collide if joined naively, or that carry subject/glob characters.
      await engine.append('app1.x', 'a', { event: 'e', data: 'dot' }, KEEP);
      await engine.append('app1', 'x.a', { event: 'e', data: 'dot2' }, KEEP);
      await engine.append('app*', 'a', { event: 'e', data: 'star' }, KEEP);
      const data = async (app: string, channel: string): Promise<string[]> =>
        (await engine.read(app, channel, 0, 10, KEEP)).events.map((e) => e.data);
      assert.deepEqual(await data('app1', 'a'), ['1a']);
      assert.deepEqual(await data('app1', 'b'), ['1b']);
      assert.deepEqual(await data('app2', 'a'), ['2a']);
      assert.deepEqual(await data('app1.x', 'a'), ['dot']);
      assert.deepEqual(await data('app1', 'x.a'), ['dot2']);
      assert.deepEqual(await data('app*', 'a'), ['star']);
    });

    test('two nodes appending at once get distinct increasing serials; both read the same', async () => {
      const namespace = `h${tag()}`;
      const [a, b] = [open(namespace), open(namespace)];
      const [fromA, fromB] = await Promise.all([
        Promise.all(
          Array.from({ length: 30 }, async (_, i) =>
            a.append('app1', 'ch', { event: 'e', data: `a${String(i)}` }, KEEP),
          ),
        ),
        Promise.all(
          Array.from({ length: 30 }, async (_, i) =>
            b.append('app1', 'ch', { event: 'e', data: `b${String(i)}` }, KEEP),
          ),
        ),
      ]);
      // Within one node, serials follow the order of the calls.
      for (const serials of [fromA, fromB]) {
        for (let i = 1; i < serials.length; i++) assert.ok((serials[i] ?? 0) > (serials[i - 1] ?? 0));
      }
      const all = [...fromA, ...fromB];
      assert.equal(new Set(all).size, 60, 'distinct serials');
      const viaA = await a.read('app1', 'ch', 0, 100, KEEP);
      const viaB = await b.read('app1', 'ch', 0, 100, KEEP);
      assert.deepEqual(viaA, viaB);
      assert.deepEqual(
        viaA.events.map((e) => e.serial),
        [...all].sort((x, y) => x - y),
      );
      const bySerial = new Map(viaA.events.map((e) => [e.serial, e.data]));
      assert.deepEqual(
        fromA.map((s) => bySerial.get(s)),
        Array.from({ length: 30 }, (_, i) => `a${String(i)}`),
      );
      assert.equal(viaA.complete, true);
    });

    test('dropApp forgets every channel of that app and nothing else; serials stay increasing', async () => {
      const engine = open(`h${tag()}`);
      const [before] = await appendMany(engine, 'gone', 'a', 1);
      await appendMany(engine, 'gone', 'b', 2);
      await appendMany(engine, 'kept', 'a', 2);
      await engine.dropApp('gone');
      for (const channel of ['a', 'b']) {
        const read = await engine.read('gone', channel, 0, 10, KEEP);
        assert.deepEqual(read.events, []);
        assert.equal(read.lastSerial, 0);
      }
      assert.equal((await engine.read('kept', 'a', 0, 10, KEEP)).events.length, 2);
      const after = await engine.append('gone', 'a', { event: 'e', data: 'again' }, KEEP);
      assert.ok(after > (before ?? 0), 'a serial handed out before the drop is never reused');
      // A reader holding a serial from before the drop learns it cannot recover.
      assert.equal((await engine.read('gone', 'a', before ?? 0, 10, KEEP)).complete, false);
    });

    test('close resolves, twice too; a call after it settles at once (never hangs)', async () => {
      const engine = options.open(`h${tag()}`);
      await engine.append('app1', 'ch', { event: 'e', data: 'x' }, KEEP);
      await engine.close();
      await engine.close();
      const started = Date.now();
      // Cluster engines reject (their connection is gone); the memory engine may simply answer.
      await engine.append('app1', 'ch', { event: 'e', data: 'y' }, KEEP).catch(() => undefined);
      assert.ok(Date.now() - started < 1_000, 'an append after close settled at once');
    });

    const fault = options.fault;
    if (fault) {
      test('a cut or black-holed connection rejects appends within the deadline; they work again after', async () => {
        const proxy = await startFaultProxy(fault.port);
        const engine = fault.open(`h${tag()}`, proxy.address, 1_000);
        try {
          const first = await engine.append('app1', 'ch', { event: 'e', data: 'before' }, KEEP);
          for (const mode of ['cut', 'hold'] as const) {
            proxy.setMode(mode);
            const started = Date.now();
            await assert.rejects(
              engine.append('app1', 'ch', { event: 'e', data: mode }, KEEP),
              /history unavailable/,
            );
            const took = Date.now() - started;
            assert.ok(took < 6_000, `${mode}: rejected after ${String(took)} ms`);
            // The engine noticed: the next call fails at once rather than waiting out the deadline
            // again (live events wait on their append, so each wait would delay them).
            const nextStarted = Date.now();
            await assert.rejects(
              engine.append('app1', 'ch', { event: 'e', data: `${mode} again` }, KEEP),
              /history unavailable/,
            );
            const nextTook = Date.now() - nextStarted;
            assert.ok(nextTook < 500, `${mode}: the next call rejected after ${String(nextTook)} ms`);
            await assert.rejects(engine.read('app1', 'ch', 0, 10, KEEP), /history unavailable/);
            proxy.setMode('pass');
            if (mode === 'hold') proxy.setMode('cut');
            proxy.setMode('pass');
          }
          let recovered: number | undefined;
          const deadline = Date.now() + 20_000;
          while (recovered === undefined && Date.now() < deadline) {
            recovered = await engine
              .append('app1', 'ch', { event: 'e', data: 'after' }, KEEP)
              .catch(async () => sleep(200).then(() => undefined));
          }
          assert.ok(recovered !== undefined && recovered > first, 'appends work again');
          const read = await engine.read('app1', 'ch', first, 10, KEEP);
          assert.ok(read.events.some((e) => e.data === 'after'));
          // The events whose append failed went out live but are not kept: a reader from before them
          // must learn it cannot recover (the engine writes a gap marker once the backend is back).
          let vouched = true;
          const markedBy = Date.now() + 10_000;
          while (vouched && Date.now() < markedBy) {
            vouched = (await engine.read('app1', 'ch', first, 10, KEEP)).complete;
            if (vouched) await sleep(100);
          }
          assert.equal(vouched, false, 'a failed append leaves a gap readers are told about');
          const again = await engine.read('app1', 'ch', first, 10, KEEP);
          assert.ok(
            again.events.every((e) => e.data !== ''),
            'gap markers are not events',
          );
        } finally {
          await engine.close();
          await proxy.close();
        }
      });
    }
  });
}
