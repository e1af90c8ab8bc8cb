// This node's signed-in sessions per user, and who watches whom (watchlists). The cluster-wide
// online/offline facts come from the Adapter; this registry only knows local sessions.
import type { Adapter } from './ports/adapter.js';
import type { Session } from './session.js';
import { encodeWatchlistEvents, type WatchlistEvent } from '../protocol/codec.js';

type Index = Map<string, Map<string, Set<Session>>>;

function add(index: Index, appId: string, userId: string, session: Session): Set<Session> {
  let users = index.get(appId);
  if (!users) index.set(appId, (users = new Map<string, Set<Session>>()));
  let sessions = users.get(userId);
  if (!sessions) users.set(userId, (sessions = new Set()));
  sessions.add(session);
  return sessions;
}

/** Removes a session; returns how many sessions the user has left. */
function remove(index: Index, appId: string, userId: string, session: Session): number {
  const users = index.get(appId);
  const sessions = users?.get(userId);
  if (!users || !sessions) return 0;
  sessions.delete(session);
  if (sessions.size === 0) users.delete(userId);
  if (users.size === 0) index.delete(appId);
  return sessions.size;
}

export class SignedInUsers {
  readonly #adapter: Adapter;
  /** app → user id → this node's sessions signed in as that user */
  readonly #signedIn: Index = new Map();
  /** app → watched user id → sessions watching */
  readonly #watchers: Index = new Map();

  constructor(adapter: Adapter) {
    this.#adapter = adapter;
  }

  /** Signs a session in (once; a repeat only replaces its watchlist) and registers its watchlist. */
  signIn(session: Session, userId: string, watchlist: readonly string[]): void {
    const appId = session.app.id;
    session.authorized = true;
    if (session.userId === undefined) {
      session.userId = userId;
      const sessions = add(this.#signedIn, appId, userId, session);
      this.#adapter.setLocalUserConnections(appId, userId, sessions.size);
    }
    this.#unwatch(session);
    session.watchlist = watchlist;
    for (const id of watchlist) add(this.#watchers, appId, id, session);
  }

  /** Forgets a closing session: its sign-in (the cluster learns the new count) and its watchlist. */
  forget(session: Session): void {
    const userId = session.userId;
    if (userId !== undefined) {
      const left = remove(this.#signedIn, session.app.id, userId, session);
      this.#adapter.setLocalUserConnections(session.app.id, userId, left);
    }
    this.#unwatch(session);
  }

  sessionsOf(appId: string, userId: string): ReadonlySet<Session> | undefined {
    return this.#signedIn.get(appId)?.get(userId);
  }

  /** Tells this node's watchers of a user that it went online or offline (cluster-wide). */
  notifyWatchers(appId: string, userId: string, online: boolean): void {
    const watchers = this.#watchers.get(appId)?.get(userId);
    if (!watchers) return;
    const text = encodeWatchlistEvents([{ name: online ? 'online' : 'offline', user_ids: [userId] }]);
    for (const session of watchers) session.send(text);
  }

  /** `pusher_internal:watchlist_events` with the current status of the session's watched ids. */
  sendWatchlistStatus(session: Session): void {
    if (session.watchlist.length === 0) return;
    const online: string[] = [];
    const offline: string[] = [];
    for (const id of session.watchlist) {
      (this.#adapter.isUserOnline(session.app.id, id) ? online : offline).push(id);
    }
    const events: WatchlistEvent[] = [];
    if (online.length > 0) events.push({ name: 'online', user_ids: online });
    if (offline.length > 0) events.push({ name: 'offline', user_ids: offline });
    session.send(encodeWatchlistEvents(events));
  }

  #unwatch(session: Session): void {
    for (const id of session.watchlist) remove(this.#watchers, session.app.id, id, session);
  }
}
