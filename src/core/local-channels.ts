import type { Session } from './session.js';

/** This node's subscribers of one channel. */
export interface LocalChannel {
  readonly sockets: Set<Session>;
  /** Presence channels only (created on the first member): user id → this node's sockets of that user. */
  members: Map<string, number> | undefined;
  /** Sockets among `sockets` replaying the channel's history (their live frames are held). */
  replaying: number;
}

/** app → channel → this node's subscribers. Empty entries are removed at once. */
export class LocalChannels {
  readonly #apps = new Map<string, Map<string, LocalChannel>>();

  get(appId: string, channel: string): LocalChannel | undefined {
    return this.#apps.get(appId)?.get(channel);
  }

  getOrCreate(appId: string, channel: string): LocalChannel {
    let app = this.#apps.get(appId);
    if (!app) this.#apps.set(appId, (app = new Map<string, LocalChannel>()));
    let entry = app.get(channel);
    if (!entry) app.set(channel, (entry = { sockets: new Set(), members: undefined, replaying: 0 }));
    return entry;
  }

  /** Drops the entry if nobody is left on it. */
  prune(appId: string, channel: string): void {
    const app = this.#apps.get(appId);
    const entry = app?.get(channel);
    if (app && entry && entry.sockets.size === 0) {
      app.delete(channel);
      if (app.size === 0) this.#apps.delete(appId);
    }
  }
}
