// A child process whose stdout lines can be awaited (examples, built-package checks).
import { spawn, type SpawnOptions } from 'node:child_process';
import { createInterface } from 'node:readline';

export interface LineProcess {
  readonly lines: string[];
  /** Resolves with the first stdout line (seen or future) matching; rejects on timeout or exit. */
  waitForLine(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** Resolves with the exit code. */
  readonly exited: Promise<number | null>;
  stderr(): string;
  stop(): Promise<void>;
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
    stop: async () => {
      if (!done) child.kill('SIGTERM');
      await exited;
    },
  };
}
