import type { Session } from './session.js';

/** This node's subscribers of one channel. */
export interface LocalChannel {
  /**
   * The subscribers, when the engine sends to each itself (`ws`). With a transport fan-out (uWS
   * topics) the transport holds them, and a JS copy would only cost memory: undefined.
   */
  readonly sockets: Set<Session> | undefined;
  /** How many sockets of this node are subscribed. */
  size: number;
  /** Presence channels only (created on the first member): user id → this node's sockets of that user. */
  members: Map<string, number> | undefined;
  /** Subscribers replaying the channel's history (their live frames are held); undefined when none. */
  holding: Set<Session> | undefined;
}

/** app → channel → this node's subscribers. Empty entries are removed at once. */
export class LocalChannels {
  readonly #apps = new Map<string, Map<string, LocalChannel>>();
  readonly #keepSockets: boolean;

  /** `keepSockets`: whether entries hold their subscribers (no transport fan-out). */
  constructor(keepSockets: boolean) {
    this.#keepSockets = keepSockets;
  }

  get(appId: string, channel: string): LocalChannel | undefined {
    return this.#apps.get(appId)?.get(channel);
  }

  getOrCreate(appId: string, channel: string): LocalChannel {
    let app = this.#apps.get(appId);
    if (!app) this.#apps.set(appId, (app = new Map<string, LocalChannel>()));
    let entry = app.get(channel);
    if (!entry) {
      const sockets = this.#keepSockets ? new Set<Session>() : undefined;
      app.set(channel, (entry = { sockets, size: 0, members: undefined, holding: undefined }));
    }
    return entry;
  }

  /** Drops the entry if nobody is left on it. */
  prune(appId: string, channel: string): void {
    const app = this.#apps.get(appId);
    const entry = app?.get(channel);
    if (app && entry && entry.size === 0) {
      app.delete(channel);
      if (app.size === 0) this.#apps.delete(appId);
    }
  }
}
