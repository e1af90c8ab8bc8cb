// API tokens in the SQLite store (hashes only; the tokens themselves are never stored).
import { randomUUID } from 'node:crypto';
import type { Clock } from '../core/ports/clock.js';
import type { TokenRecord } from '../management/store.js';
import type { TokenStore } from '../management/store.js';
import { translateSqliteError, type SqliteDatabase } from './sqlite-database.js';
import { notFoundError } from './store-errors.js';
import { toToken } from './store-rows.js';

export class SqliteTokens implements TokenStore {
  private readonly db: SqliteDatabase;
  private readonly clock: Clock;

  constructor(db: SqliteDatabase, clock: Clock) {
    this.db = db;
    this.clock = clock;
  }

  async createToken(input: Omit<TokenRecord, 'id' | 'createdAt' | 'lastUsedAt'>): Promise<TokenRecord> {
    const record: TokenRecord = {
      id: randomUUID(),
      accountId: input.accountId,
      name: input.name,
      prefix: input.prefix,
      hash: input.hash,
      scopes: [...input.scopes],
      createdBy: input.createdBy,
      expiresAt: input.expiresAt,
      lastUsedAt: null,
      createdAt: this.clock.now(),
    };
    try {
      this.db.run(
        `INSERT INTO api_tokens (id, account_id, name, prefix, hash, scopes, created_by, expires_at, last_used_at, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL, ?)`,
        record.id,
        record.accountId,
        record.name,
        record.prefix,
        record.hash,
        JSON.stringify(record.scopes),
        record.createdBy,
        record.expiresAt,
        record.createdAt,
      );
    } catch (err) {
      throw translateSqliteError(err, 'Account');
    }
    return Promise.resolve(record);
  }

  async findTokenByHash(hash: string): Promise<TokenRecord | undefined> {
    const row = this.db.one('SELECT * FROM api_tokens WHERE hash = ?', hash);
    return Promise.resolve(row && toToken(row));
  }

  async listTokens(accountId: string): Promise<TokenRecord[]> {
    return Promise.resolve(
      this.db
        .all('SELECT * FROM api_tokens WHERE account_id = ? ORDER BY created_at, id', accountId)
        .map(toToken),
    );
  }

  async touchToken(id: string, at: number): Promise<void> {
    if (this.db.run('UPDATE api_tokens SET last_used_at = ? WHERE id = ?', at, id) === 0) {
      throw notFoundError('API token');
    }
    return Promise.resolve();
  }

  async deleteToken(id: string): Promise<void> {
    if (this.db.run('DELETE FROM api_tokens WHERE id = ?', id) === 0) throw notFoundError('API token');
    return Promise.resolve();
  }
}
