// Encryption master key records (metadata only) in the PostgreSQL store. Changes run in a
// transaction that locks the app row, so key changes of one app (from any node) serialise.
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import type { EncryptionKeyRecord, EncryptionKeyStore, NewEncryptionKey } from '../management/store.js';
import type { PostgresDatabase } from './postgres-database.js';
import { notFoundError } from './store-errors.js';
import { returned, toEncryptionKey, type Row } from './store-rows.js';

async function endWindow(client: pg.PoolClient, appId: string, at: number): Promise<void> {
  await client.query(
    'UPDATE encryption_keys SET previous_until = $1 WHERE app_id = $2 AND previous_until > $1',
    [at, appId],
  );
}

async function lockApp(client: pg.PoolClient, appId: string): Promise<void> {
  const result = await client.query('SELECT 1 FROM apps WHERE id = $1 FOR NO KEY UPDATE', [appId]);
  if (result.rowCount === 0) throw notFoundError('App');
}

export class PostgresEncryptionKeys implements EncryptionKeyStore {
  private readonly db: PostgresDatabase;

  constructor(db: PostgresDatabase) {
    this.db = db;
  }

  async findActiveEncryptionKey(appId: string): Promise<EncryptionKeyRecord | undefined> {
    const row = await this.db.one('SELECT * FROM encryption_keys WHERE app_id = $1 AND retired_at IS NULL', [
      appId,
    ]);
    return row && toEncryptionKey(row);
  }

  async listEncryptionKeys(appId: string): Promise<EncryptionKeyRecord[]> {
    const rows = await this.db.rows(
      'SELECT * FROM encryption_keys WHERE app_id = $1 ORDER BY version DESC, created_at DESC',
      [appId],
    );
    return rows.map(toEncryptionKey);
  }

  async insertEncryptionKey(input: NewEncryptionKey): Promise<EncryptionKeyRecord> {
    return this.db.transaction('App', async (client) => {
      await lockApp(client, input.appId);
      await endWindow(client, input.appId, input.createdAt);
      await client.query(
        'UPDATE encryption_keys SET retired_at = $1, previous_until = $2 WHERE app_id = $3 AND retired_at IS NULL',
        [input.createdAt, input.previousUntil ?? null, input.appId],
      );
      const result = await client.query(
        `INSERT INTO encryption_keys (id, app_id, version, fingerprint, created_at, created_by, retired_at)
         VALUES ($1, $2, $3, $4, $5, $6, NULL) RETURNING *`,
        [randomUUID(), input.appId, input.version, input.fingerprint, input.createdAt, input.createdBy],
      );
      return toEncryptionKey(returned(result.rows[0] as Row | undefined));
    });
  }

  async retireEncryptionKey(appId: string, at: number): Promise<void> {
    await this.db.transaction('App', async (client) => {
      await lockApp(client, appId);
      await endWindow(client, appId, at);
      await client.query(
        'UPDATE encryption_keys SET retired_at = $1 WHERE app_id = $2 AND retired_at IS NULL',
        [at, appId],
      );
    });
  }

  async endEncryptionKeyWindow(appId: string, at: number): Promise<void> {
    await this.db.transaction('App', async (client) => {
      await lockApp(client, appId);
      await endWindow(client, appId, at);
    });
  }
}
