// Usage history per app in the PostgreSQL store (see migrations/stats-schema.ts for the row layout).
import {
  hourOf,
  type StatsPoint,
  type StatsResolution,
  type StatsSample,
  type StatsStore,
} from '../management/stats-store.js';
import type { PostgresDatabase } from './postgres-database.js';
import { LIST_STATS_COLUMNS, checkResolution, checkSample, pointOf, sampleValues } from './stats-rows.js';

const UPSERT = `INSERT INTO app_stats (app_id, resolution, bucket, node_id, connections_peak, connections_sum,
    connections_samples, messages, api_calls, webhook_deliveries, decryption_failures,
    decryption_failed_clients)
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
  ON CONFLICT (app_id, resolution, bucket, node_id) DO UPDATE SET
    connections_peak = GREATEST(app_stats.connections_peak, excluded.connections_peak),
    connections_sum = app_stats.connections_sum + excluded.connections_sum,
    connections_samples = app_stats.connections_samples + excluded.connections_samples,
    messages = app_stats.messages + excluded.messages,
    api_calls = app_stats.api_calls + excluded.api_calls,
    webhook_deliveries = app_stats.webhook_deliveries + excluded.webhook_deliveries,
    decryption_failures = app_stats.decryption_failures + excluded.decryption_failures,
    decryption_failed_clients = app_stats.decryption_failed_clients + excluded.decryption_failed_clients`;

export class PostgresStats implements StatsStore {
  private readonly db: PostgresDatabase;

  constructor(db: PostgresDatabase) {
    this.db = db;
  }

  async addStats(nodeId: string, samples: readonly StatsSample[]): Promise<void> {
    const checked = samples.map(checkSample);
    if (checked.length === 0) return;
    await this.db.transaction(undefined, async (client) => {
      for (const s of checked) {
        const values = sampleValues(s);
        await client.query(UPSERT, [s.appId, 'minute', s.minute, nodeId, ...values]);
        await client.query(UPSERT, [s.appId, 'hour', hourOf(s.minute), nodeId, ...values]);
      }
    });
  }

  async listStats(
    appId: string,
    resolution: StatsResolution,
    from: number,
    to: number,
  ): Promise<StatsPoint[]> {
    const rows = await this.db.rows(
      `SELECT ${LIST_STATS_COLUMNS} FROM app_stats
       WHERE app_id = $1 AND resolution = $2 AND bucket >= $3 AND bucket < $4
       GROUP BY bucket ORDER BY bucket`,
      [appId, checkResolution(resolution), from, to],
    );
    return rows.map(pointOf);
  }

  async pruneStats(minutesBefore: number, hoursBefore: number): Promise<number> {
    return this.db.count(
      `DELETE FROM app_stats WHERE (resolution = 'minute' AND bucket < $1) OR (resolution = 'hour' AND bucket < $2)`,
      [minutesBefore, hoursBefore],
    );
  }
}
