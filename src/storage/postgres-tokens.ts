// API tokens in the PostgreSQL store (hashes only; the tokens themselves are never stored).
import { randomUUID } from 'node:crypto';
import type { Clock } from '../core/ports/clock.js';
import type { TokenRecord } from '../management/store.js';
import type { TokenStore } from '../management/store.js';
import type { PostgresDatabase } from './postgres-database.js';
import { notFoundError } from './store-errors.js';
import { returned, toToken } from './store-rows.js';

export class PostgresTokens implements TokenStore {
  private readonly db: PostgresDatabase;
  private readonly clock: Clock;

  constructor(db: PostgresDatabase, clock: Clock) {
    this.db = db;
    this.clock = clock;
  }

  async createToken(input: Omit<TokenRecord, 'id' | 'createdAt' | 'lastUsedAt'>): Promise<TokenRecord> {
    const row = await this.db.one(
      `INSERT INTO api_tokens (id, account_id, name, prefix, hash, scopes, created_by, expires_at, last_used_at, created_at)
       VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7, $8, NULL, $9) RETURNING *`,
      [
        randomUUID(),
        input.accountId,
        input.name,
        input.prefix,
        input.hash,
        JSON.stringify(input.scopes),
        input.createdBy,
        input.expiresAt,
        this.clock.now(),
      ],
      'Account',
    );
    return toToken(returned(row));
  }

  async findTokenByHash(hash: string): Promise<TokenRecord | undefined> {
    const row = await this.db.one('SELECT * FROM api_tokens WHERE hash = $1', [hash]);
    return row && toToken(row);
  }

  async listTokens(accountId: string): Promise<TokenRecord[]> {
    return (
      await this.db.rows('SELECT * FROM api_tokens WHERE account_id = $1 ORDER BY created_at, id', [
        accountId,
      ])
    ).map(toToken);
  }

  async touchToken(id: string, at: number): Promise<void> {
    if ((await this.db.count('UPDATE api_tokens SET last_used_at = $1 WHERE id = $2', [at, id])) === 0) {
      throw notFoundError('API token');
    }
  }

  async deleteToken(id: string): Promise<void> {
    if ((await this.db.count('DELETE FROM api_tokens WHERE id = $1', [id])) === 0)
      throw notFoundError('API token');
  }
}
