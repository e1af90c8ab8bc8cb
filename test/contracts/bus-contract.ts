// One contract every ClusterBus implementation passes (memory, Redis, NATS).
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import type { ClusterBus } from '../../src/core/ports/cluster-bus.js';

function collector(): {
  messages: string[];
  handler: (m: string) => void;
  until: (n: number) => Promise<void>;
} {
  const messages: string[] = [];
  let wake: (() => void) | undefined;
  return {
    messages,
    handler: (m) => {
      messages.push(m);
      wake?.();
    },
    until: async (n) => {
      const deadline = Date.now() + 5000;
      while (messages.length < n) {
        if (Date.now() > deadline) throw new Error(`expected ${n} messages, got ${messages.length}`);
        await new Promise<void>((resolve) => {
          wake = resolve;
          setTimeout(resolve, 50).unref();
        });
      }
    },
  };
}

/** `open(cluster)` returns a bus on a cluster namespace; buses of the same namespace see each other. */
export function runBusContract(name: string, open: (cluster: string) => ClusterBus): void {
  describe(`ClusterBus contract: ${name}`, () => {
    const buses: ClusterBus[] = [];
    const make = (cluster: string): ClusterBus => {
      const bus = open(cluster);
      buses.push(bus);
      return bus;
    };
    after(async () => {
      await Promise.allSettled(buses.map((b) => b.close()));
    });

    test('a message published by one node reaches every other node, in order', async () => {
      const cluster = `c${Math.random().toString(36).slice(2)}`;
      const [a, b, c] = [make(cluster), make(cluster), make(cluster)];
      const [gotB, gotC] = [collector(), collector()];
      await a.subscribe(() => undefined);
      await b.subscribe(gotB.handler);
      await c.subscribe(gotC.handler);
      for (let i = 0; i < 50; i++) a.publish(`m${i}`);
      await gotB.until(50);
      await gotC.until(50);
      const expected = Array.from({ length: 50 }, (_, i) => `m${i}`);
      assert.deepEqual(gotB.messages, expected);
      assert.deepEqual(gotC.messages, expected);
    });

    test('buses of different clusters do not hear each other', async () => {
      const tag = Math.random().toString(36).slice(2);
      const x = make(`x${tag}`);
      const [y, ySibling] = [make(`y${tag}`), make(`y${tag}`)];
      const got = collector();
      await x.subscribe(() => undefined);
      await y.subscribe(got.handler);
      await ySibling.subscribe(() => undefined);
      x.publish('other cluster');
      ySibling.publish('same cluster');
      await got.until(1);
      assert.deepEqual(got.messages, ['same cluster']);
    });

    test('a node never receives its own messages', async () => {
      const cluster = `s${Math.random().toString(36).slice(2)}`;
      const [a, b] = [make(cluster), make(cluster)];
      const [gotA, gotB] = [collector(), collector()];
      await a.subscribe(gotA.handler);
      await b.subscribe(gotB.handler);
      a.publish('from a');
      b.publish('from b');
      await gotA.until(1);
      await gotB.until(1);
      assert.deepEqual(gotA.messages, ['from b']);
      assert.deepEqual(gotB.messages, ['from a']);
    });

    test('a closed bus delivers nothing more', async () => {
      const cluster = `q${Math.random().toString(36).slice(2)}`;
      const [a, b] = [make(cluster), make(cluster)];
      const got = collector();
      await a.subscribe(() => undefined);
      await b.subscribe(got.handler);
      a.publish('before');
      await got.until(1);
      await b.close();
      a.publish('after');
      await new Promise((resolve) => setTimeout(resolve, 200));
      assert.deepEqual(got.messages, ['before']);
    });
  });
}
