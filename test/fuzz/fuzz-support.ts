// Shared by the fuzzers (test/fuzz/*.test.ts): seeds, run budgets, the memory probe and the "a normal
// client is still served" check.
//
// - FUZZ_SEED=<n>     replays a run (every fuzzer prints the seed it used).
// - FUZZ_SECONDS=<s>  time budget of each property (default 4 s in `npm test`; `npm run fuzz` sets 120).
// - FUZZ_RUNS=<n>     most cases per property (default 100_000: the time budget is what stops a run).
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import fc from 'fast-check';
import type { App } from '../../src/core/app.js';
import type { RunningServer } from '../../src/server/server.js';
import { clientSdk, once, serverSdk, waitForState } from '../support/server.js';

function envNumber(name: string): number | undefined {
  const text = process.env[name];
  if (text === undefined || text === '') return undefined;
  const value = Number(text);
  if (!Number.isFinite(value)) throw new Error(`${name}=${text}: expected a number`);
  return value;
}

export const FUZZ_SEED = envNumber('FUZZ_SEED') ?? (Date.now() ^ (Math.random() * 0x7fffffff)) | 0;
const SECONDS = envNumber('FUZZ_SECONDS') ?? 4;
const RUNS = envNumber('FUZZ_RUNS') ?? 100_000;

/**
 * Runs one property with the shared seed, bounded in runs and in time (`share` of FUZZ_SECONDS), and
 * prints the seed and how many cases ran. A failure throws fast-check's report (seed, path, shrunk
 * counterexample).
 */
export async function fuzz<T>(
  name: string,
  arbitrary: fc.Arbitrary<T>,
  check: (value: T) => Promise<void>,
  share = 1,
): Promise<number> {
  // At least 5 s: fast-check reports a property interrupted before its first case as failed, and
  // one case can take seconds (uWebSockets.js closes a malformed request only after its own ~2 s
  // timeout), so a small share of a short budget would fail without finding anything.
  const seconds = Math.max(SECONDS * share, 5);
  process.stdout.write(`fuzz ${name}: seed ${FUZZ_SEED} (replay with FUZZ_SEED=${FUZZ_SEED})\n`);
  let runs = 0;
  const started = Date.now();
  try {
    await fc.assert(
      fc.asyncProperty(arbitrary, async (value) => {
        runs++;
        await check(value);
      }),
      {
        seed: FUZZ_SEED,
        numRuns: RUNS,
        plugins: [fc.interruptAfterTimeLimit(seconds * 1000, { failOnInterrupt: false })],
        endOnFailure: true,
      },
    );
  } catch (error) {
    // fast-check keeps the property's own error as `cause`, which the test reporter leaves out.
    const cause = error instanceof Error && error.cause instanceof Error ? error.cause.message : undefined;
    throw new Error(`${error instanceof Error ? error.message : String(error)}\nCaused by: ${cause ?? '?'}`, {
      cause: error,
    });
  }
  process.stdout.write(`fuzz ${name}: ${runs} cases in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  return runs;
}

let gc: (() => void) | undefined;
/** Heap and RSS after a full collection, in bytes. */
export function memoryNow(): { heap: number; rss: number } {
  if (!gc) {
    setFlagsFromString('--expose-gc');
    gc = runInNewContext('gc') as () => void;
  }
  gc();
  const usage = process.memoryUsage();
  return { heap: usage.heapUsed, rss: usage.rss };
}

/** Fails when the heap grew by more than `maxHeapMb` (or RSS by more than `maxRssMb`) since `before`. */
export function assertMemoryBounded(
  before: { heap: number; rss: number },
  maxHeapMb = 64,
  maxRssMb = 256,
): { heapMb: number; rssMb: number } {
  const after = memoryNow();
  const heapMb = (after.heap - before.heap) / 2 ** 20;
  const rssMb = (after.rss - before.rss) / 2 ** 20;
  process.stdout.write(`memory growth: heap ${heapMb.toFixed(1)} MB, rss ${rssMb.toFixed(1)} MB\n`);
  if (heapMb > maxHeapMb) throw new Error(`heap grew by ${heapMb.toFixed(1)} MB (bound ${maxHeapMb} MB)`);
  if (rssMb > maxRssMb) throw new Error(`RSS grew by ${rssMb.toFixed(1)} MB (bound ${maxRssMb} MB)`);
  return { heapMb, rssMb };
}

/** A pusher-js client connects, subscribes and receives an event triggered with the `pusher` SDK. */
export async function assertClientServed(server: RunningServer, app: App): Promise<void> {
  const client = clientSdk(server, app);
  try {
    await waitForState(client, 'connected', 10_000);
    const channel = client.subscribe('private-after-fuzz');
    await once(channel, 'pusher:subscription_succeeded', 10_000);
    const received = once<{ ok: boolean }>(channel, 'still-here', 10_000);
    await serverSdk(server, app).trigger('private-after-fuzz', 'still-here', { ok: true });
    const data = await received;
    if (!data.ok) throw new Error(`unexpected event data ${JSON.stringify(data)}`);
  } finally {
    client.disconnect();
  }
}

/** Error-level lines the server logged (each one is an unexpected exception somewhere). */
export function errorLogs(logs: readonly string[]): string[] {
  return logs.filter((line) => line.startsWith('{"level":50') || line.startsWith('{"level":60'));
}
