// Daily message counts per account in the PostgreSQL store.
import type { UsageStore } from '../management/store.js';
import type { PostgresDatabase } from './postgres-database.js';
import { checkDay, checkMessageCount } from './store-input.js';
import { integer, returned } from './store-rows.js';

export class PostgresUsage implements UsageStore {
  private readonly db: PostgresDatabase;

  constructor(db: PostgresDatabase) {
    this.db = db;
  }

  async addUsage(accountId: string, day: string, messages: number): Promise<number> {
    const row = await this.db.one(
      `INSERT INTO usage_days (account_id, day, messages) VALUES ($1, $2, $3)
       ON CONFLICT (account_id, day) DO UPDATE SET messages = usage_days.messages + excluded.messages
       RETURNING messages`,
      [accountId, checkDay(day), checkMessageCount(messages)],
    );
    return integer(returned(row), 'messages');
  }

  async getUsage(accountId: string, day: string): Promise<number> {
    const row = await this.db.one('SELECT messages FROM usage_days WHERE account_id = $1 AND day = $2', [
      accountId,
      checkDay(day),
    ]);
    return row ? integer(row, 'messages') : 0;
  }

  async listUsage(
    accountId: string,
    fromDay: string,
    toDay: string,
  ): Promise<{ day: string; messages: number }[]> {
    const rows = await this.db.rows(
      'SELECT day, messages FROM usage_days WHERE account_id = $1 AND day >= $2 AND day <= $3 ORDER BY day',
      [accountId, checkDay(fromDay), checkDay(toDay)],
    );
    return rows.map((r) => ({ day: String(r.day), messages: integer(r, 'messages') }));
  }
}
