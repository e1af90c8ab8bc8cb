// Daily message counts per account in the SQLite store.
import type { UsageStore } from '../management/store.js';
import type { SqliteDatabase } from './sqlite-database.js';
import { checkDay, checkMessageCount } from './store-input.js';
import { integer, returned } from './store-rows.js';

export class SqliteUsage implements UsageStore {
  private readonly db: SqliteDatabase;

  constructor(db: SqliteDatabase) {
    this.db = db;
  }

  async addUsage(accountId: string, day: string, messages: number): Promise<number> {
    return this.db.background(() => {
      const row = this.db.one(
        `INSERT INTO usage_days (account_id, day, messages) VALUES (?, ?, ?)
         ON CONFLICT (account_id, day) DO UPDATE SET messages = messages + excluded.messages
         RETURNING messages`,
        accountId,
        checkDay(day),
        checkMessageCount(messages),
      );
      return Promise.resolve(integer(returned(row), 'messages'));
    });
  }

  async getUsage(accountId: string, day: string): Promise<number> {
    const row = this.db.one(
      'SELECT messages FROM usage_days WHERE account_id = ? AND day = ?',
      accountId,
      checkDay(day),
    );
    return Promise.resolve(row ? integer(row, 'messages') : 0);
  }

  async listUsage(
    accountId: string,
    fromDay: string,
    toDay: string,
  ): Promise<{ day: string; messages: number }[]> {
    const rows = this.db.all(
      'SELECT day, messages FROM usage_days WHERE account_id = ? AND day >= ? AND day <= ? ORDER BY day',
      accountId,
      checkDay(fromDay),
      checkDay(toDay),
    );
    return Promise.resolve(rows.map((r) => ({ day: String(r.day), messages: integer(r, 'messages') })));
  }
}
