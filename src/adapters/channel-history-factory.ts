// The one place the history engine is chosen (issue 11 §3): by the cluster URL, read by
// clusterBackend (cluster-url.ts) as the bus's is (compose.ts). A lone node (`memory`) keeps
// history in-process; Redis and NATS clusters get the engine of their bus so every node reads the
// same history and it outlives any one node.
import type { ChannelHistory } from '../core/ports/channel-history.js';
import type { Clock } from '../core/ports/clock.js';
import { MAX_HISTORY_AGE_SECONDS, MAX_HISTORY_EVENTS } from '../protocol/limits.js';
import { clusterBackend } from './cluster-url.js';
import { MemoryChannelHistory } from './memory-history.js';

export interface ChannelHistoryFactoryOptions {
  readonly clock?: Clock | undefined;
  /** Memory engine only: bytes kept for all apps (MAWJLY_HISTORY_MEMORY_BYTES). */
  readonly memoryBytes?: number;
}

/**
 * `clusterUrl` is MAWJLY_CLUSTER_URL (`memory`, `redis://…`, `nats://…`), `prefix` the cluster prefix
 * that keeps several clusters apart on one Redis or NATS (the same keys and subjects as the bus's:
 * `<prefix>:history:…` in Redis, stream `<prefix>_history` with subjects `<prefix>.history.…` in NATS).
 * The Redis and NATS engines are imported only when chosen, so a lone node never loads their clients.
 */
export async function createChannelHistory(
  clusterUrl: string,
  prefix: string,
  options: ChannelHistoryFactoryOptions = {},
): Promise<ChannelHistory> {
  const backend = clusterBackend(clusterUrl);
  if (backend === 'redis') {
    const { RedisHistory } = await import('./redis-history.js');
    return new RedisHistory(clusterUrl, { prefix: `${prefix}:` });
  }
  if (backend === 'nats') {
    const { NatsHistory } = await import('./nats-history.js');
    return new NatsHistory(clusterUrl, {
      prefix,
      maxEventsCap: MAX_HISTORY_EVENTS,
      maxAgeCapMs: MAX_HISTORY_AGE_SECONDS * 1000,
    });
  }
  return new MemoryChannelHistory({
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.memoryBytes === undefined ? {} : { maxBytes: options.memoryBytes }),
  });
}
