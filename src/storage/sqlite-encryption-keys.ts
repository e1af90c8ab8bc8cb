// Encryption master key records (metadata only) in the SQLite store.
import { randomUUID } from 'node:crypto';
import type { EncryptionKeyRecord, EncryptionKeyStore, NewEncryptionKey } from '../management/store.js';
import { translateSqliteError, type SqliteDatabase } from './sqlite-database.js';
import { notFoundError } from './store-errors.js';
import { toEncryptionKey } from './store-rows.js';

export class SqliteEncryptionKeys implements EncryptionKeyStore {
  private readonly db: SqliteDatabase;

  constructor(db: SqliteDatabase) {
    this.db = db;
  }

  async findActiveEncryptionKey(appId: string): Promise<EncryptionKeyRecord | undefined> {
    const row = this.db.one('SELECT * FROM encryption_keys WHERE app_id = ? AND retired_at IS NULL', appId);
    return Promise.resolve(row && toEncryptionKey(row));
  }

  async listEncryptionKeys(appId: string): Promise<EncryptionKeyRecord[]> {
    return Promise.resolve(
      this.db
        .all('SELECT * FROM encryption_keys WHERE app_id = ? ORDER BY version DESC, created_at DESC', appId)
        .map(toEncryptionKey),
    );
  }

  async insertEncryptionKey(input: NewEncryptionKey): Promise<EncryptionKeyRecord> {
    const { previousUntil, ...fields } = input;
    const record: EncryptionKeyRecord = { id: randomUUID(), ...fields, retiredAt: null, previousUntil: null };
    try {
      this.db.immediate(() => {
        if (!this.db.one('SELECT 1 FROM apps WHERE id = ?', record.appId)) throw notFoundError('App');
        this.#endWindow(record.appId, record.createdAt);
        this.db.run(
          'UPDATE encryption_keys SET retired_at = ?, previous_until = ? WHERE app_id = ? AND retired_at IS NULL',
          record.createdAt,
          previousUntil ?? null,
          record.appId,
        );
        this.db.run(
          `INSERT INTO encryption_keys (id, app_id, version, fingerprint, created_at, created_by, retired_at)
           VALUES (?, ?, ?, ?, ?, ?, NULL)`,
          record.id,
          record.appId,
          record.version,
          record.fingerprint,
          record.createdAt,
          record.createdBy,
        );
      });
    } catch (err) {
      throw translateSqliteError(err, 'App');
    }
    return Promise.resolve(record);
  }

  async retireEncryptionKey(appId: string, at: number): Promise<void> {
    this.db.immediate(() => {
      if (!this.db.one('SELECT 1 FROM apps WHERE id = ?', appId)) throw notFoundError('App');
      this.#endWindow(appId, at);
      this.db.run(
        'UPDATE encryption_keys SET retired_at = ? WHERE app_id = ? AND retired_at IS NULL',
        at,
        appId,
      );
    });
    return Promise.resolve();
  }

  async endEncryptionKeyWindow(appId: string, at: number): Promise<void> {
    this.db.immediate(() => {
      if (!this.db.one('SELECT 1 FROM apps WHERE id = ?', appId)) throw notFoundError('App');
      this.#endWindow(appId, at);
    });
    return Promise.resolve();
  }

  #endWindow(appId: string, at: number): void {
    this.db.run(
      'UPDATE encryption_keys SET previous_until = ? WHERE app_id = ? AND previous_until > ?',
      at,
      appId,
      at,
    );
  }
}
