/**
 * The tiny transport a cluster needs: broadcast a string to every other node. Redis pub/sub, NATS
 * subjects and the in-process memory bus implement it; everything else is the ClusterAdapter's.
 */
export interface ClusterBus {
  /** Sends to every other node on the bus (never back to this one). */
  publish(message: string): void;
  /** Registers the one handler for messages from other nodes. */
  subscribe(handler: (message: string) => void): Promise<void>;
  close(): Promise<void>;
  /**
   * False when no other node can receive a message right now (an in-process bus alone on its hub),
   * so the adapter may skip encoding it. Absent or true: publish as usual.
   */
  hasPeers?(): boolean;
}
