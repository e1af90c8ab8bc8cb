// The one place the history engine is chosen (issue 11 §3): by the cluster URL, like the bus. A lone
// node (`memory`) keeps history in-process; Redis and NATS clusters get the engine of their bus so
// every node reads the same history and it outlives any one node.
import type { ChannelHistory } from '../core/ports/channel-history.js';
import type { Clock } from '../core/ports/clock.js';
import { MemoryChannelHistory } from './memory-history.js';

export interface ChannelHistoryFactoryOptions {
  readonly clock?: Clock | undefined;
  /** Memory engine only: bytes kept for all apps (MAWJLY_HISTORY_MEMORY_BYTES). */
  readonly memoryBytes?: number;
}

/**
 * `clusterUrl` is MAWJLY_CLUSTER_URL (`memory`, `redis://…`, `nats://…`), `prefix` the cluster prefix
 * that keeps several clusters apart on one Redis or NATS.
 */
export function createChannelHistory(
  _clusterUrl: string,
  _prefix: string,
  options: ChannelHistoryFactoryOptions = {},
): ChannelHistory {
  // TODO(history-cluster): redis:// → Redis Streams engine, nats:// → JetStream engine.
  return new MemoryChannelHistory({
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.memoryBytes === undefined ? {} : { maxBytes: options.memoryBytes }),
  });
}
