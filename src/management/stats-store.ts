// The store's part for usage history (migration 3, src/storage/migrations/stats-schema.ts).

export type StatsResolution = 'minute' | 'hour';

export const MINUTE_MS = 60_000;
export const HOUR_MS = 3_600_000;

export function stepOf(resolution: StatsResolution): number {
  return resolution === 'minute' ? MINUTE_MS : HOUR_MS;
}

/** What one node counted for one app in one minute (added to the store, never replacing). */
export interface StatsSample {
  readonly appId: string;
  /** Start of the UTC minute, epoch ms. */
  readonly minute: number;
  /** Most connections this node held at once for the app in the minute. */
  readonly connectionsPeak: number;
  /** Sum and number of the node's connection-count samples in the minute (the average is sum/samples). */
  readonly connectionsSum: number;
  readonly connectionsSamples: number;
  readonly messages: number;
  readonly apiCalls: number;
  readonly webhookDeliveries: number;
  /** Events client helpers reported they could not decrypt (migration 5). */
  readonly decryptionFailures: number;
  /** Connections that reported such failures (each at most once an hour). */
  readonly decryptionFailedClients: number;
}

/** One bucket of the cluster-wide history (every node's rows summed). */
export interface StatsPoint {
  /** Start of the bucket, epoch ms. */
  readonly t: number;
  readonly connectionsPeak: number;
  readonly connectionsAvg: number;
  readonly messages: number;
  readonly apiCalls: number;
  readonly webhookDeliveries: number;
  readonly decryptionFailures: number;
  readonly decryptionFailedClients: number;
}

export interface StatsStore {
  /**
   * Adds a node's samples to its minute rows and to the hour rows they fall in, in one transaction:
   * counts add up, the peak is the larger one.
   */
  addStats(nodeId: string, samples: readonly StatsSample[]): Promise<void>;
  /** The buckets of `[from, to)` that have rows, oldest first, summed over the nodes. */
  listStats(appId: string, resolution: StatsResolution, from: number, to: number): Promise<StatsPoint[]>;
  /** Deletes minute rows older than `minutesBefore` and hour rows older than `hoursBefore`; returns the count. */
  pruneStats(minutesBefore: number, hoursBefore: number): Promise<number>;
}

/** The hour bucket a minute falls in. */
export function hourOf(ms: number): number {
  return ms - (ms % HOUR_MS);
}

export const STATS_UPSERT_COLUMNS = `connections_peak, connections_sum, connections_samples, messages, api_calls, webhook_deliveries, decryption_failures, decryption_failed_clients`;
