/** What the cluster history engines share: their error, and waiting for a connection with a deadline. */

/** A history call that could not reach its backend (down, cut, slower than the deadline). */
export class HistoryUnavailableError extends Error {
  readonly engine: string;
  constructor(engine: string, reason: string) {
    super(`history unavailable (${engine}): ${reason}`);
    this.name = 'HistoryUnavailableError';
    this.engine = engine;
  }
}

/**
 * Resolves true as soon as `isReady()` holds, false after `deadlineMs`. `subscribe(wake)` registers
 * a wake-up on the connection's ready event and returns its removal.
 */
export async function readyWithin(
  deadlineMs: number,
  isReady: () => boolean,
  subscribe: (wake: () => void) => () => void,
): Promise<boolean> {
  if (isReady()) return true;
  return new Promise<boolean>((resolve) => {
    const done = (value: boolean): void => {
      clearTimeout(timer);
      unsubscribe();
      resolve(value);
    };
    const timer = setTimeout(() => {
      done(isReady());
    }, deadlineMs);
    const unsubscribe = subscribe(() => {
      done(true);
    });
  });
}
