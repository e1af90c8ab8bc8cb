// Channel history in a cluster (issue 11 §3; docs/history.md), on the real Redis and the real NATS,
// nodes configured with MAWJLY_CLUSTER_URL as an operator runs them. A client on node A receives an
// event, is cut off for 5 s while 50 events are published through the other nodes, then resubscribes
// on node B with the last serial it saw: it must get all 50 exactly once, in order, before the next
// live event. Twice per backend: once when only the client's connection drops, once when node A
// itself is killed (SIGKILL of a `mawjly serve` process). The history REST call must answer the same
// on every live node.
import assert from 'node:assert/strict';
import { randomBytes, randomInt } from 'node:crypto';
import { describe, test } from 'node:test';
import { connect } from 'nats';
import type { RunningServer } from '../../src/server/server.js';
import { startServeProcess } from '../support/child-process.js';
import { subscribeRaw } from '../support/raw-session.js';
import { makeApp, rawClient, serverSdk, startTestServer, type RawClient } from '../support/server.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const NATS_URL = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
const OUTAGE_MS = 5_000;
const MISSED = 50;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

interface Node {
  readonly server: RunningServer;
  stop(): Promise<void>;
}

type Frame = RawClient['frames'][number] & { mawjly_serial?: number };

/** `mawjly serve` as a process (killed with SIGKILL), its apps from an apps file. */
async function serveProcess(env: Record<string, string>, apps: unknown[]): Promise<Node> {
  const serve = await startServeProcess({ env, apps });
  const server = { host: serve.host, port: serve.port, tls: undefined } as unknown as RunningServer;
  return { server, stop: () => serve.stop() };
}

async function scenario(clusterUrl: string, killOriginal: boolean): Promise<void> {
  const prefix = `h${randomBytes(6).toString('hex')}`;
  const id = String(randomInt(1_000_000, 9_999_999));
  const key = `key-${randomBytes(6).toString('hex')}`;
  const secret = randomBytes(12).toString('hex');
  const app = makeApp({
    id,
    key,
    secret,
    plan: 'pro',
    settings: { history: { maxEvents: 100, maxAgeMs: 120_000 } },
  });
  const config = { clusterUrl, clusterPrefix: prefix };
  const nodes: Node[] = [];
  const clients: RawClient[] = [];
  try {
    const inProcess = async (): Promise<Node> => {
      const server = await startTestServer({ apps: [app], config });
      return { server, stop: async () => server.close() };
    };
    const a = killOriginal
      ? await serveProcess({ MAWJLY_CLUSTER_URL: clusterUrl, MAWJLY_CLUSTER_PREFIX: prefix }, [
          { id, key, secret, plan: 'pro', settings: { history: { max_events: 100, max_age_seconds: 120 } } },
        ])
      : await inProcess();
    nodes.push(a);
    const b = await inProcess();
    nodes.push(b);
    const d = await inProcess();
    nodes.push(d);
    const channel = `room-${randomBytes(4).toString('hex')}`;

    const first = rawClient(a.server, key);
    clients.push(first);
    await subscribeRaw(first, app, channel, { timeoutMs: 15_000 });
    // Published on another node until it arrives: the nodes learn of A's subscriber over the bus.
    let seen: Frame | undefined;
    for (let attempt = 0; seen === undefined; attempt++) {
      assert.ok(attempt < 50, 'node A never received an event published on node B');
      await serverSdk(b.server, app).trigger(channel, 'before', { attempt });
      seen = await first.next((f) => f.event === 'before', 300).catch(() => undefined);
    }
    assert.ok(typeof seen.mawjly_serial === 'number', `live events carry a serial: ${JSON.stringify(seen)}`);

    // The forced disconnect: the socket, or node A with it.
    if (killOriginal) await a.stop();
    else first.ws.terminate();
    // What the client would resubscribe with: the last serial it received.
    const since = Math.max(...(first.frames as Frame[]).map((f) => f.mawjly_serial ?? 0));
    // One publishing node, so "in order" is the publisher's order (the REST call answers before the
    // append; across nodes the order is the cluster's, that of the serials): node A itself while it
    // lives (its events are recovered from B), else D.
    const publisher = killOriginal ? d : a;
    const started = Date.now();
    for (let n = 0; n < MISSED; n++) {
      await serverSdk(publisher.server, app).trigger(channel, 'missed', { n });
      const due = started + ((n + 1) * OUTAGE_MS) / MISSED;
      if (due > Date.now()) await sleep(due - Date.now());
    }

    const again = rawClient(b.server, key);
    clients.push(again);
    await again.socketId;
    again.send({ event: 'pusher:subscribe', data: { channel, mawjly_since: since } });
    await again.next((f) => f.event === 'pusher_internal:subscription_succeeded', 15_000);
    await serverSdk(d.server, app).trigger(channel, 'missed', { n: MISSED });
    await again.next(
      (f) => f.event === 'missed' && (JSON.parse(f.data as string) as { n: number }).n === MISSED,
      15_000,
    );
    const got = (again.frames as Frame[]).filter((f) => f.channel === channel);
    assert.deepEqual(
      got.filter((f) => f.event.startsWith('mawjly:')),
      [],
      'no cannot_recover',
    );
    const missed = got.filter((f) => f.event === 'missed');
    assert.deepEqual(
      missed.map((f) => (JSON.parse(f.data as string) as { n: number }).n),
      Array.from({ length: MISSED + 1 }, (_, n) => n),
      'all 50 replayed exactly once, in order, then the live one',
    );
    const serials = missed.map((f) => f.mawjly_serial ?? 0);
    for (let i = 0; i < serials.length; i++) {
      assert.ok(
        (serials[i] ?? 0) > (i === 0 ? since : (serials[i - 1] ?? 0)),
        `serials increase: ${String(serials)}`,
      );
    }

    // The same history read from every live node.
    const reads = await Promise.all(
      nodes
        .filter((node) => !(killOriginal && node === a))
        .map(async (node) => {
          const response = await serverSdk(node.server, app).get({
            path: `/channels/${channel}/events`,
            params: { since: String(since) },
          });
          assert.equal(response.status, 200);
          return (await response.json()) as {
            events: { serial: number; event: string }[];
            complete: boolean;
          };
        }),
    );
    const [read] = reads;
    assert.ok(read);
    for (const other of reads) assert.deepEqual(other, read);
    assert.equal(read.complete, true);
    assert.deepEqual(
      read.events.filter((e) => e.event === 'missed').map((e) => e.serial),
      serials,
    );
  } finally {
    for (const client of clients) client.ws.terminate();
    await Promise.allSettled(nodes.map(async (node) => node.stop()));
    if (clusterUrl.startsWith('nats://')) await deleteStream(`${prefix}_history`);
  }
}

async function deleteStream(name: string): Promise<void> {
  const nc = await connect({ servers: NATS_URL.replace(/^nats:\/\//, '') });
  try {
    const jsm = await nc.jetstreamManager();
    await jsm.streams.delete(name).catch(() => undefined);
  } finally {
    await nc.close();
  }
}

for (const [name, url] of [
  ['redis', REDIS_URL],
  ['nats', NATS_URL],
] as const) {
  describe(`history on a ${name} cluster`, () => {
    test('a client cut off for 5 s gets the 50 events it missed from another node, once each, in order', async () => {
      await scenario(url, false);
    });
    test('the same when the node it was on is killed', async () => {
      await scenario(url, true);
    });
  });
}
