// Apps in the PostgreSQL store. Every committed change is announced, since other nodes cache apps.
import type { Clock } from '../core/ports/clock.js';
import type { AppRecord } from '../management/store.js';
import type { AppStore } from '../management/store.js';
import type { PostgresDatabase } from './postgres-database.js';
import { notFoundError } from './store-errors.js';
import { appPatchColumns, type AppPatch } from './store-input.js';
import { returned, toApp } from './store-rows.js';

export class PostgresApps implements AppStore {
  private readonly db: PostgresDatabase;
  private readonly clock: Clock;

  constructor(db: PostgresDatabase, clock: Clock) {
    this.db = db;
    this.clock = clock;
  }

  async createApp(input: Omit<AppRecord, 'createdAt'>): Promise<AppRecord> {
    const row = await this.db.one(
      `INSERT INTO apps (id, account_id, name, key, secret, previous_secret, previous_secret_valid_until, settings, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9) RETURNING *`,
      [
        input.id,
        input.accountId,
        input.name,
        input.key,
        input.secret,
        input.previousSecret,
        input.previousSecretValidUntil,
        JSON.stringify(input.settings),
        this.clock.now(),
      ],
      'Account',
    );
    await this.db.announce();
    return toApp(returned(row));
  }

  async findApp(id: string): Promise<AppRecord | undefined> {
    const row = await this.db.one('SELECT * FROM apps WHERE id = $1', [id]);
    return row && toApp(row);
  }

  async findAppByKey(key: string): Promise<AppRecord | undefined> {
    const row = await this.db.one('SELECT * FROM apps WHERE key = $1', [key]);
    return row && toApp(row);
  }

  async listApps(accountId?: string): Promise<AppRecord[]> {
    const rows =
      accountId === undefined
        ? await this.db.rows('SELECT * FROM apps ORDER BY created_at, id')
        : await this.db.rows('SELECT * FROM apps WHERE account_id = $1 ORDER BY created_at, id', [accountId]);
    return rows.map(toApp);
  }

  async updateApp(id: string, patch: AppPatch): Promise<AppRecord> {
    const columns = appPatchColumns(patch);
    const row =
      columns.length === 0
        ? await this.db.one('SELECT * FROM apps WHERE id = $1', [id])
        : await this.db.one(
            `UPDATE apps SET ${columns.map(([c], i) => `${c} = $${i + 1}`).join(', ')} WHERE id = $${columns.length + 1} RETURNING *`,
            [...columns.map(([, v]) => v), id],
            'Account',
          );
    if (!row) throw notFoundError('App');
    if (columns.length > 0) await this.db.announce();
    return toApp(row);
  }

  async deleteApp(id: string): Promise<void> {
    if ((await this.db.count('DELETE FROM apps WHERE id = $1', [id])) === 0) throw notFoundError('App');
    await this.db.announce();
  }
}
