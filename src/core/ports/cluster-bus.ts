/**
 * The tiny transport a cluster needs: broadcast a string to every other node. Redis pub/sub, NATS
 * subjects and the in-process memory bus implement it; everything else is the ClusterAdapter's.
 */
export interface ClusterBus {
  /** What carries the messages (`memory`, `redis`, `nats`): named in logs, metrics and `/ready`. */
  readonly kind?: string;
  /**
   * Sends to every other node on the bus (never back to this one). At most once: a message sent
   * while the connection is down is dropped, never queued for later.
   */
  publish(message: string): void;
  /** Registers the one handler for messages from other nodes; resolves once subscribed. */
  subscribe(handler: (message: string) => void): Promise<void>;
  close(): Promise<void>;
  /**
   * False when no other node can receive a message right now (an in-process bus alone on its hub),
   * so the adapter may skip encoding it. Absent or true: publish as usual.
   */
  hasPeers?(): boolean;
  /**
   * Registers the one listener for connection changes after `subscribe` resolved: `false` when the
   * bus lost its connection (nothing published now reaches another node), `true` once it is
   * connected and subscribed again. `detail` says why (the client library's last error), free of
   * credentials. A bus without this method is always connected.
   */
  onConnectionChange?(listener: (connected: boolean, detail: string | undefined) => void): void;
}
