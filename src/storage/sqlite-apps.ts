// Apps in the SQLite store. Settings are one JSON column, so a patch replaces them whole.
import type { Clock } from '../core/ports/clock.js';
import type { AppRecord } from '../management/store.js';
import type { AppStore } from '../management/store.js';
import { translateSqliteError, type SqliteDatabase } from './sqlite-database.js';
import { notFoundError } from './store-errors.js';
import { appPatchColumns, type AppPatch } from './store-input.js';
import { toApp, type Row } from './store-rows.js';

export class SqliteApps implements AppStore {
  private readonly db: SqliteDatabase;
  private readonly clock: Clock;

  constructor(db: SqliteDatabase, clock: Clock) {
    this.db = db;
    this.clock = clock;
  }

  async createApp(input: Omit<AppRecord, 'createdAt'>): Promise<AppRecord> {
    const record: AppRecord = {
      id: input.id,
      accountId: input.accountId,
      name: input.name,
      key: input.key,
      secret: input.secret,
      previousSecret: input.previousSecret,
      previousSecretValidUntil: input.previousSecretValidUntil,
      settings: { ...input.settings, allowed_origins: [...input.settings.allowed_origins] },
      createdAt: this.clock.now(),
    };
    try {
      this.db.run(
        `INSERT INTO apps (id, account_id, name, key, secret, previous_secret, previous_secret_valid_until, settings, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        record.id,
        record.accountId,
        record.name,
        record.key,
        record.secret,
        record.previousSecret,
        record.previousSecretValidUntil,
        JSON.stringify(record.settings),
        record.createdAt,
      );
    } catch (err) {
      throw translateSqliteError(err, 'Account');
    }
    return Promise.resolve(record);
  }

  async findApp(id: string): Promise<AppRecord | undefined> {
    const row = this.db.one('SELECT * FROM apps WHERE id = ?', id);
    return Promise.resolve(row && toApp(row));
  }

  async findAppByKey(key: string): Promise<AppRecord | undefined> {
    const row = this.db.one('SELECT * FROM apps WHERE key = ?', key);
    return Promise.resolve(row && toApp(row));
  }

  async listApps(accountId?: string): Promise<AppRecord[]> {
    const rows =
      accountId === undefined
        ? this.db.all('SELECT * FROM apps ORDER BY created_at, id')
        : this.db.all('SELECT * FROM apps WHERE account_id = ? ORDER BY created_at, id', accountId);
    return Promise.resolve(rows.map(toApp));
  }

  async updateApp(id: string, patch: AppPatch): Promise<AppRecord> {
    const columns = appPatchColumns(patch);
    let row: Row | undefined;
    try {
      row =
        columns.length === 0
          ? this.db.one('SELECT * FROM apps WHERE id = ?', id)
          : this.db.one(
              `UPDATE apps SET ${columns.map(([c]) => `${c} = ?`).join(', ')} WHERE id = ? RETURNING *`,
              ...columns.map(([, v]) => v),
              id,
            );
    } catch (err) {
      throw translateSqliteError(err, 'Account');
    }
    if (!row) throw notFoundError('App');
    return Promise.resolve(toApp(row));
  }

  async deleteApp(id: string): Promise<void> {
    if (this.db.run('DELETE FROM apps WHERE id = ?', id) === 0) throw notFoundError('App');
    return Promise.resolve();
  }
}
