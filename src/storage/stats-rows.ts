// Shared by the SQLite and PostgreSQL usage-history modules: input checks and row mapping.
import type { StatsPoint, StatsResolution, StatsSample } from '../management/stats-store.js';
import { integer, type Row } from './store-rows.js';

function count(value: number, what: string): number {
  if (!Number.isSafeInteger(value) || value < 0) throw new Error(`${what} must be a non-negative integer`);
  return value;
}

/** Samples are produced by the server, never by a client: a bad one is a programming error. */
export function checkSample(s: StatsSample): StatsSample {
  count(s.minute, 'minute');
  if (s.minute % 60_000 !== 0) throw new Error('minute must be the start of a minute');
  count(s.connectionsPeak, 'connectionsPeak');
  count(s.connectionsSum, 'connectionsSum');
  count(s.connectionsSamples, 'connectionsSamples');
  count(s.messages, 'messages');
  count(s.apiCalls, 'apiCalls');
  count(s.webhookDeliveries, 'webhookDeliveries');
  count(s.decryptionFailures, 'decryptionFailures');
  count(s.decryptionFailedClients, 'decryptionFailedClients');
  return s;
}

/** A checked sample's counters, in the order of both stores' upsert columns (after the key). */
export function sampleValues(s: StatsSample): number[] {
  return [
    s.connectionsPeak,
    s.connectionsSum,
    s.connectionsSamples,
    s.messages,
    s.apiCalls,
    s.webhookDeliveries,
    s.decryptionFailures,
    s.decryptionFailedClients,
  ];
}

export function checkResolution(resolution: StatsResolution): StatsResolution {
  if (!['minute', 'hour'].includes(resolution)) throw new Error(`Unknown resolution ${resolution}`);
  return resolution;
}

export const LIST_STATS_COLUMNS = `bucket,
  SUM(connections_peak) AS connections_peak,
  SUM(CASE WHEN connections_samples > 0 THEN CAST(connections_sum AS DOUBLE PRECISION) / connections_samples ELSE 0 END) AS connections_avg,
  SUM(messages) AS messages, SUM(api_calls) AS api_calls, SUM(webhook_deliveries) AS webhook_deliveries,
  SUM(decryption_failures) AS decryption_failures, SUM(decryption_failed_clients) AS decryption_failed_clients`;

export function pointOf(row: Row): StatsPoint {
  const avg = Number(row.connections_avg);
  return {
    t: integer(row, 'bucket'),
    connectionsPeak: integer(row, 'connections_peak'),
    connectionsAvg: Math.round(avg * 100) / 100,
    messages: integer(row, 'messages'),
    apiCalls: integer(row, 'api_calls'),
    webhookDeliveries: integer(row, 'webhook_deliveries'),
    decryptionFailures: integer(row, 'decryption_failures'),
    decryptionFailedClients: integer(row, 'decryption_failed_clients'),
  };
}
