// A child process whose stdout lines can be awaited (examples, built-package checks), and
// `mawjly serve` run from source as an operator runs it.
import { spawn, type SpawnOptions } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export interface LineProcess {
  readonly lines: string[];
  /** Resolves with the first stdout line (seen or future) matching; rejects on timeout or exit. */
  waitForLine(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** Resolves with the exit code. */
  readonly exited: Promise<number | null>;
  stderr(): string;
  /** Sends `signal` (SIGTERM unless told) unless it already exited, and waits for the exit. */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

export function spawnLines(
  command: string,
  args: readonly string[],
  options: SpawnOptions = {},
): LineProcess {
  const child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  let errText = '';
  const waiters = new Set<() => void>();
  createInterface({ input: child.stdout }).on('line', (line) => {
    lines.push(line);
    for (const wake of [...waiters]) wake();
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    errText += chunk;
  });
  let done = false;
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code) => {
      done = true;
      for (const wake of [...waiters]) wake();
      resolve(code);
    });
  });

  const waitForLine = (pattern: RegExp, timeoutMs = 10_000): Promise<string> =>
    new Promise((resolve, reject) => {
      const check = (): void => {
        const found = lines.find((line) => pattern.test(line));
        if (found !== undefined)
          finish(() => {
            resolve(found);
          });
        else if (done)
          finish(() => {
            reject(
              new Error(
                `exited before printing ${String(pattern)}; stdout: ${lines.join('\n')}; stderr: ${errText}`,
              ),
            );
          });
      };
      const timer = setTimeout(() => {
        finish(() => {
          reject(
            new Error(
              `timed out waiting for ${String(pattern)}; stdout: ${lines.join('\n')}; stderr: ${errText}`,
            ),
          );
        });
      }, timeoutMs);
      const finish = (settle: () => void): void => {
        clearTimeout(timer);
        waiters.delete(check);
        settle();
      };
      waiters.add(check);
      check();
    });

  return {
    lines,
    waitForLine,
    exited,
    stderr: () => errText,
    stop: async (signal = 'SIGTERM') => {
      if (!done) child.kill(signal);
      await exited;
    },
  };
}

export interface ServeProcess {
  /** `http://host:port`, from its "connect at" line. */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  /** Its stderr so far: the operator's log (JSON lines). */
  stderr(): string;
  /** SIGKILL (a crash, not a shutdown), then its data directory is removed. */
  stop(): Promise<void>;
}

/**
 * `mawjly serve --port 0` from source, in a fresh data directory, with the test's environment plus
 * `env`; `apps` (apps-file entries) are written to an apps file it loads; `nodeArgs` go to node
 * before the script (e.g. `--import` of a loader hook). Resolves once it listens.
 */
export async function startServeProcess(
  options: {
    env?: Record<string, string>;
    apps?: readonly unknown[];
    timeoutMs?: number;
    nodeArgs?: readonly string[];
  } = {},
): Promise<ServeProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'mawjly-serve-'));
  let appsFile = '';
  if (options.apps !== undefined) {
    appsFile = join(dir, 'apps.json');
    writeFileSync(appsFile, JSON.stringify(options.apps));
  }
  const args = [...(options.nodeArgs ?? []), '--import', 'tsx', 'src/cli/main.ts', 'serve', '--port', '0'];
  const child = spawnLines(process.execPath, args, {
    cwd: fileURLToPath(new URL('../..', import.meta.url)),
    env: {
      ...process.env,
      MAWJLY_DATA_DIR: dir,
      MAWJLY_APPS_FILE: appsFile,
      METRICS_PORT: '0',
      HOST: '127.0.0.1',
      DATABASE_URL: '',
      LOG_LEVEL: 'warn',
      ...options.env,
    },
  });
  const stop = async (): Promise<void> => {
    await child.stop('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const line = await child.waitForLine(/connect at http:\/\/\S+ /, options.timeoutMs ?? 90_000);
    const url = /connect at (http:\/\/\S+) /.exec(line)?.[1] ?? '';
    const { hostname, port } = new URL(url);
    return { url, host: hostname, port: Number(port), stderr: () => child.stderr(), stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
