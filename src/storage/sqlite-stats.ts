// Usage history per app in the SQLite store (see migrations/stats-schema.ts for the row layout).
import {
  hourOf,
  type StatsPoint,
  type StatsResolution,
  type StatsSample,
  type StatsStore,
} from '../management/stats-store.js';
import type { SqliteDatabase } from './sqlite-database.js';
import { LIST_STATS_COLUMNS, checkResolution, checkSample, pointOf, sampleValues } from './stats-rows.js';

const UPSERT = `INSERT INTO app_stats (app_id, resolution, bucket, node_id, connections_peak, connections_sum,
    connections_samples, messages, api_calls, webhook_deliveries, decryption_failures,
    decryption_failed_clients)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
  ON CONFLICT (app_id, resolution, bucket, node_id) DO UPDATE SET
    connections_peak = MAX(app_stats.connections_peak, excluded.connections_peak),
    connections_sum = app_stats.connections_sum + excluded.connections_sum,
    connections_samples = app_stats.connections_samples + excluded.connections_samples,
    messages = app_stats.messages + excluded.messages,
    api_calls = app_stats.api_calls + excluded.api_calls,
    webhook_deliveries = app_stats.webhook_deliveries + excluded.webhook_deliveries,
    decryption_failures = app_stats.decryption_failures + excluded.decryption_failures,
    decryption_failed_clients = app_stats.decryption_failed_clients + excluded.decryption_failed_clients`;

export class SqliteStats implements StatsStore {
  private readonly db: SqliteDatabase;

  constructor(db: SqliteDatabase) {
    this.db = db;
  }

  async addStats(nodeId: string, samples: readonly StatsSample[]): Promise<void> {
    return this.db.background(() => {
      const checked = samples.map(checkSample);
      this.db.immediate(() => {
        for (const s of checked) {
          const values = sampleValues(s);
          this.db.run(UPSERT, s.appId, 'minute', s.minute, nodeId, ...values);
          this.db.run(UPSERT, s.appId, 'hour', hourOf(s.minute), nodeId, ...values);
        }
      });
      return Promise.resolve();
    });
  }

  async listStats(
    appId: string,
    resolution: StatsResolution,
    from: number,
    to: number,
  ): Promise<StatsPoint[]> {
    const rows = this.db.all(
      `SELECT ${LIST_STATS_COLUMNS} FROM app_stats
       WHERE app_id = ? AND resolution = ? AND bucket >= ? AND bucket < ?
       GROUP BY bucket ORDER BY bucket`,
      appId,
      checkResolution(resolution),
      from,
      to,
    );
    return Promise.resolve(rows.map(pointOf));
  }

  async pruneStats(minutesBefore: number, hoursBefore: number): Promise<number> {
    return this.db.background(() => {
      const removed =
        this.db.run(`DELETE FROM app_stats WHERE resolution = 'minute' AND bucket < ?`, minutesBefore) +
        this.db.run(`DELETE FROM app_stats WHERE resolution = 'hour' AND bucket < ?`, hoursBefore);
      return Promise.resolve(removed);
    });
  }
}
