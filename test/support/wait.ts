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
  const timedOut = (detail: string): Error =>
    new Error(`timed out after ${String(timeoutMs)} ms waiting until ${what}${detail}`);
  while (!(await bounded(check(), deadline + timeoutMs - Date.now(), () => timedOut(' (a check hung)')))) {
    if (Date.now() > deadline) throw timedOut('');
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** `value`, or a rejection with `fail()` once `ms` have passed. */
function bounded<T>(value: Promise<T> | T, ms: number, fail: () => Error): Promise<T> {
  if (!(value instanceof Promise)) return Promise.resolve(value);
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => {
        reject(fail());
      },
      Math.max(0, ms),
    );
  });
  return Promise.race([value, limit]).finally(() => {
    clearTimeout(timer);
  });
}
