// The size of V8's young generation in a `mawjly serve` process (MAWJLY_YOUNG_GENERATION_MB).
//
// Every object starts in the young generation; a scavenge copies what survives out of it. V8 starts
// it at 2 MB and doubles it whenever much survives, up to 32 MB (two 16 MB semi-spaces). A server
// pays that growth at start (loading its modules) and again during its first burst of connections,
// whose sessions all survive: about 30 MB of resident memory that then sits mostly empty, more than
// the 10,000 connections that caused it cost themselves. A large young generation buys fewer
// scavenges only at high allocation rates, and past 8 MB the gain is small (docs/benchmarks.md:
// the same fan-out and `channels` CPU at 8 MB as at 16 MB, REST within 3 %). At 16 MB a fresh node
// still grew it by 8 MB during a burst of 4,000 private subscriptions (2 KB of RSS each).
//
// V8 reads its maximum only when the process starts (`--max-semi-space-size`, which operators may
// still pass in NODE_OPTIONS), but it reads the growth factor at every growth. So after each
// garbage collection the cap allows the next doubling only while it would stay within the cap.
// A doubling happens only at a scavenge and the check runs right after each one, so the cap holds
// except in a synchronous stretch with several scavenges in a row; then it stops at the next check.
// Starting a worker thread resets V8's flags, growth factor included (seen on Node 20), so the
// server starts none: its warm-up client runs in a child process (server/warm-up.ts).
import { PerformanceObserver } from 'node:perf_hooks';
import { getHeapSpaceStatistics, setFlagsFromString } from 'node:v8';

/** MAWJLY_YOUNG_GENERATION_MB when unset. */
export const DEFAULT_YOUNG_GENERATION_MB = 8;
/** V8's own largest young generation on 64-bit (two 16 MB semi-spaces); a larger cap changes nothing. */
export const MAX_YOUNG_GENERATION_MB = 32;

const MB = 1024 * 1024;

function youngGenerationBytes(): number {
  for (const space of getHeapSpaceStatistics()) if (space.space_name === 'new_space') return space.space_size;
  return 0;
}

/**
 * Keeps V8's young generation at `mb` MB or under for the rest of the process (process-wide: V8
 * flags are). 0 leaves V8's own sizing. Returns a function that stops watching (the last growth
 * factor set stays).
 */
export function capYoungGeneration(mb: number): () => void {
  if (!(mb > 0)) return () => undefined;
  const cap = mb * MB;
  let factor = 0;
  const check = (): void => {
    const next = youngGenerationBytes() * 2 <= cap ? 2 : 1;
    if (next === factor) return;
    setFlagsFromString(`--semi-space-growth-factor=${next}`);
    factor = next;
  };
  check();
  const observer = new PerformanceObserver(check);
  observer.observe({ entryTypes: ['gc'] });
  return () => {
    observer.disconnect();
  };
}

/**
 * MAWJLY_YOUNG_GENERATION_MB as the CLI reads it before it loads its modules, that is before the
 * configuration is validated: a value that is not a whole number from 0 to 32 counts as the
 * default here, and `serve`'s configuration check then stops with a message naming it.
 */
export function youngGenerationFromEnv(env: NodeJS.ProcessEnv): number {
  const raw = env['MAWJLY_YOUNG_GENERATION_MB'];
  if (raw === undefined || raw.trim() === '') return DEFAULT_YOUNG_GENERATION_MB;
  const mb = Number(raw);
  return Number.isInteger(mb) && mb >= 0 && mb <= MAX_YOUNG_GENERATION_MB ? mb : DEFAULT_YOUNG_GENERATION_MB;
}
