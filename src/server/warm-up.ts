// The warm-up of `mawjly serve` (MAWJLY_WARM_UP, on by default): before the node binds its port, it
// starts a rehearsal of itself and sends it a few thousand signed publishes over loopback.
//
// Why: V8 compiles a function to fast code only after it has run many times. At 100 publishes a
// second a fresh node runs its REST path (routing, signature check, JSON parse, publish) in V8's
// slower tiers for its first seconds, and its latency tail shows it (docs/benchmarks.md). Traffic
// through the node's own engine would leave usage counts, debug-console entries and metrics
// behind. Traffic through stand-ins (an in-memory directory, no-op metrics, fake requests) trains
// code that the first real request throws away, because V8 specialises compiled code on the
// classes it saw.
//
// So the rehearsal is this same server, built by the same startServer with the same settings and
// transport, except where it keeps things: a fresh temporary SQLite store holding one generated
// app, an in-memory cluster, loopback on a free port, no log output. The client
// (warm-up-client.ts) signs and sends real HTTP requests from a child process, so the code V8
// optimises is the code real traffic runs: the transport's request and response classes, the
// store's app records, the usage meter, metrics and debug stream. Then the rehearsal is closed and
// its directory removed: nothing of it is left but compiled code. A warm-up that fails or runs
// past its time is logged and skipped; it never stops the node from starting.
//
// Only publishes, no WebSocket traffic: on uWS the fan-out to subscribers is native code that needs
// no warming, and on the ws transport WebSocket traffic in the rehearsal cost the node's REST
// throughput 10 % afterwards (node:net and stream code shared by both turned polymorphic), while
// publishes alone gained the same latency as the full mix (docs/benchmarks.md).
import { fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import type { Config } from '../config/config.js';
import type { Logger } from '../core/ports/logger.js';
import type { WarmUpClientData, WarmUpClientReport, WarmUpLoad } from './warm-up-client.js';

export type { WarmUpLoad } from './warm-up-client.js';

export const DEFAULT_WARM_UP_LOAD: WarmUpLoad = { publishes: 3000 };

/** A warm-up that takes longer is abandoned (the node starts without the rest of it). */
export const WARM_UP_TIMEOUT_MS = 20_000;

/** What the rehearsal is started with: the node's settings (startServer takes these). */
export interface RehearsalOptions {
  readonly config: Config;
  readonly createDatabase?: 'always';
  readonly dashboardDir?: string;
}

/** What warmUp needs of a started rehearsal (a RunningServer has it). */
export interface Rehearsal {
  readonly port: number;
  readonly tls: boolean;
  readonly transport: 'uws' | 'ws';
  close(): Promise<void>;
}

/** Starts a server: startServer, passed in by server.ts (which imports this module). */
export type StartRehearsal = (options: RehearsalOptions) => Promise<Rehearsal>;

export interface WarmUpSettings {
  readonly load?: WarmUpLoad;
  readonly timeoutMs?: number;
}

/**
 * Rehearses the server `options` describe (through `start`, which is startServer), then closes the
 * rehearsal and removes what it stored. Logs what it did; never throws.
 */
export async function warmUp(
  start: StartRehearsal,
  options: Omit<RehearsalOptions, 'createDatabase'>,
  logger: Logger,
  settings: WarmUpSettings = {},
): Promise<void> {
  const began = performance.now();
  try {
    const report = await rehearse(
      start,
      options,
      settings.load ?? DEFAULT_WARM_UP_LOAD,
      settings.timeoutMs ?? WARM_UP_TIMEOUT_MS,
    );
    logger.info({ ...report, ms: Math.round(performance.now() - began) }, 'warmed up');
  } catch (error) {
    logger.warn(
      { err: error, ms: Math.round(performance.now() - began) },
      'warm-up failed; starting without it (set MAWJLY_WARM_UP=false to skip it)',
    );
  }
}

async function rehearse(
  start: StartRehearsal,
  options: Omit<RehearsalOptions, 'createDatabase'>,
  load: WarmUpLoad,
  timeoutMs: number,
): Promise<WarmUpClientReport & Pick<Rehearsal, 'transport' | 'tls'>> {
  const deadline = performance.now() + timeoutMs;
  // The exit and signal listeners go in before the directory is made: a SIGTERM that came between
  // the two would find no listener and end the process with the directory left behind (seen under
  // load in test/integration/warm-up.test.ts).
  let dir: string | undefined;
  const removeDir = (): void => {
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  };
  const release = removeOnExit(removeDir);
  try {
    dir = mkdtempSync(join(tmpdir(), 'mawjly-warm-up-'));
    const app = {
      id: String(100_000 + Math.floor(Math.random() * 900_000)),
      key: `warm-up-${randomBytes(6).toString('hex')}`,
      secret: randomBytes(24).toString('hex'),
    };
    const appsFile = join(dir, 'apps.json');
    writeFileSync(appsFile, JSON.stringify([{ ...app, plan: 'business', name: 'Warm-up' }]), { mode: 0o600 });
    // Its own plan table: an operator's plans file could cap the messages the rehearsal sends.
    const plansFile = join(dir, 'plans.json');
    writeFileSync(plansFile, JSON.stringify({ business: { max_messages_per_day: null } }), { mode: 0o600 });
    const config: Config = {
      ...options.config,
      host: '127.0.0.1',
      port: 0,
      metricsPort: 0,
      reusePort: false,
      dataDir: dir,
      databaseUrl: undefined,
      appsFile,
      plansFile,
      clusterUrl: 'memory',
      readyRequiresBus: false,
      drainDelayMs: 0,
      shutdownGraceSeconds: 1,
      logLevel: 'silent',
      warmUp: false,
    };
    // Only what shapes the server's code: none of the node's own bus, history, clock or output.
    const starting = start({
      config,
      createDatabase: 'always',
      ...(options.dashboardDir === undefined ? {} : { dashboardDir: options.dashboardDir }),
    });
    // The time limit covers the rehearsal's start too (a TMPDIR on a stuck disk must not hold the
    // node): one that starts too late is closed as soon as it has started.
    const server = await withinLimit(starting, deadline - performance.now(), timeoutMs, () => {
      void starting
        .then(
          (late) => late.close(),
          () => undefined,
        )
        .finally(() => {
          // Its store may have made the directory again after it was removed below.
          removeDir();
        });
    });
    try {
      const client = runClient({ port: server.port, tls: server.tls, app, load });
      const report = await withinLimit(client.report, deadline - performance.now(), timeoutMs, client.stop);
      return { ...report, transport: server.transport, tls: server.tls };
    } finally {
      await server.close();
    }
  } finally {
    removeDir();
    release();
  }
}

const STOP_SIGNALS = ['SIGTERM', 'SIGINT', 'SIGHUP'] as const;

/**
 * Until the returned function is called, `cleanUp` runs if the process exits or is stopped by a
 * signal: serve installs its own signal handlers only once the node has started, and a SIGTERM
 * during the warm-up would otherwise end the process with the rehearsal's directory (its store,
 * holding a generated app secret) left in TMPDIR. A signal that nothing else listens for is raised
 * again once the listener is gone, so the process ends exactly as it would have without it.
 */
function removeOnExit(cleanUp: () => void): () => void {
  const onSignal = (signal: NodeJS.Signals): void => {
    cleanUp();
    release();
    if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
  };
  const release = (): void => {
    process.off('exit', cleanUp);
    for (const signal of STOP_SIGNALS) process.off(signal, onSignal);
  };
  process.once('exit', cleanUp);
  for (const signal of STOP_SIGNALS) process.on(signal, onSignal);
  return release;
}

/** `work`, or a rejection naming the limit once `ms` have passed (then `abandon` is called). */
function withinLimit<T>(work: Promise<T>, ms: number, limitMs: number, abandon: () => void): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => {
        abandon();
        reject(tooLong(limitMs));
      },
      Math.max(0, ms),
    );
    work.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}

function tooLong(limitMs: number): Error {
  return new Error(`the warm-up took longer than ${String(limitMs)} ms`);
}

/**
 * Runs warm-up-client.ts in a child process: its CPU, its modules and its garbage stay out of this
 * one. (Not a worker thread: starting one resets V8's flags process-wide on Node 20, and with them
 * the young-generation cap, config/young-generation.ts.)
 */
function runClient(data: WarmUpClientData): {
  readonly report: Promise<WarmUpClientReport>;
  readonly stop: () => void;
} {
  // From source (tsx: the tests, `npm run dev`) the client is TypeScript and needs tsx's loader.
  const fromSource = import.meta.url.endsWith('.ts');
  const script = fileURLToPath(
    new URL(fromSource ? './warm-up-client.ts' : './warm-up-client.js', import.meta.url),
  );
  const child = fork(script, [], {
    execArgv: fromSource ? ['--import', 'tsx'] : [],
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-2000);
  });
  // The first of these settles it (an exit after the report changes nothing).
  const report = new Promise<WarmUpClientReport>((resolve, reject) => {
    child.once('message', resolve);
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      reject(
        new Error(
          `the warm-up client exited (${signal ?? String(code)}) without a report: ${stderr.trim() || 'no output'}`,
        ),
      );
    });
  });
  child.send(data);
  return {
    report,
    stop: () => {
      child.kill('SIGKILL');
    },
  };
}
