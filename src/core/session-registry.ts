import type { Session } from './session.js';

/**
 * This node's open sessions, by socket id: one map entry per socket (the activity sweep walks it,
 * fan-out exclusions look a socket id up). An app change, which is rare, walks every session.
 */
export class SessionRegistry {
  readonly #bySocketId = new Map<string, Session>();

  get size(): number {
    return this.#bySocketId.size;
  }

  add(session: Session): void {
    this.#bySocketId.set(session.socketId, session);
  }

  delete(session: Session): void {
    this.#bySocketId.delete(session.socketId);
  }

  get(socketId: string): Session | undefined {
    return this.#bySocketId.get(socketId);
  }

  values(): IterableIterator<Session> {
    return this.#bySocketId.values();
  }

  /** A snapshot of the app's sessions (callers may close them while walking it). */
  ofApp(appId: string): Session[] {
    const sessions: Session[] = [];
    for (const session of this.#bySocketId.values()) if (session.app.id === appId) sessions.push(session);
    return sessions;
  }
}
