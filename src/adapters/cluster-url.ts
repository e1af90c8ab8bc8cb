// What a cluster URL (MAWJLY_CLUSTER_URL) names: read here once, and switched on by the two places
// that pick an engine by it, the bus (server/compose.ts) and the history (channel-history-factory.ts).

/** Which backend a cluster URL names; undefined for anything but `memory`, redis(s):// and nats://. */
export function clusterBackend(clusterUrl: string): 'memory' | 'redis' | 'nats' | undefined {
  if (clusterUrl === 'memory') return 'memory';
  if (/^rediss?:\/\//.test(clusterUrl)) return 'redis';
  if (clusterUrl.startsWith('nats://')) return 'nats';
  return undefined;
}
