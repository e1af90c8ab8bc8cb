import type { Clock } from './ports/clock.js';
import type { DebugEvent } from './ports/realtime-view.js';

/**
 * The debug console's live stream, per app. Emitting costs one map lookup while nobody watches: the
 * event is built (by the caller's builder) only when an app has listeners.
 */
export class DebugStream {
  readonly #clock: Clock;
  readonly #listeners = new Map<string, Set<(event: DebugEvent) => void>>();

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  listen(appId: string, listener: (event: DebugEvent) => void): () => void {
    let set = this.#listeners.get(appId);
    if (!set) this.#listeners.set(appId, (set = new Set()));
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0) this.#listeners.delete(appId);
    };
  }

  /** Whether anyone watches the app. */
  watching(appId: string): boolean {
    return this.#listeners.has(appId);
  }

  emit(appId: string, build: () => Omit<DebugEvent, 'time'>): void {
    const listeners = this.#listeners.get(appId);
    if (!listeners) return;
    const event: DebugEvent = { ...build(), time: this.#clock.now() };
    for (const listener of listeners) listener(event);
  }
}
