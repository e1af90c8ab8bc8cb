// Bounded polling of state that settles asynchronously (bus hops, flushes, a loaded machine).

/**
 * Resolves once `check` holds; polls every `intervalMs`; fails naming `what` after `timeoutMs`.
 * A check that hangs (a spawned process or a request that never answers) cannot hold the wait: a
 * check still pending `timeoutMs` after the deadline fails it too, so no wait outlives twice its
 * budget. The grace lets a check begun just before the deadline finish, as a plain loop would.
 */
export async function waitUntil(
  check: () => Promise<boolean> | boolean,
  what: string,
  timeoutMs = 10_000,
  intervalMs = 50,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const timedOut = `timed out after ${String(timeoutMs)} ms waiting until ${what}`;
  for (;;) {
    const result = check();
    const held =
      typeof result === 'boolean'
        ? result
        : await withTimeout(
            result,
            Math.max(0, deadline + timeoutMs - Date.now()),
            `${timedOut} (a check hung)`,
          );
    if (held) return;
    if (Date.now() > deadline) throw new Error(timedOut);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** `promise`, or a rejection with `message` once `ms` have passed. */
export function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        reject(new Error(message));
      }, ms);
    }),
  ]).finally(() => {
    clearTimeout(timer);
  });
}
