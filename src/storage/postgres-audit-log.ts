// The append-only audit log in the PostgreSQL store; entry ids grow, so they double as paging cursors.
import type { AuditEntry, NewAuditEntry } from '../management/store.js';
import type { AuditLogStore } from '../management/store.js';
import type { PostgresDatabase } from './postgres-database.js';
import { auditPage } from './store-input.js';
import { returned, toAuditEntry } from './store-rows.js';

export class PostgresAuditLog implements AuditLogStore {
  private readonly db: PostgresDatabase;

  constructor(db: PostgresDatabase) {
    this.db = db;
  }

  async appendAudit(entry: NewAuditEntry): Promise<AuditEntry> {
    const row = await this.db.one(
      `INSERT INTO audit_log (account_id, time, actor, action, target, details)
       VALUES ($1, $2, $3, $4, $5, $6::jsonb) RETURNING *`,
      [entry.accountId, entry.time, entry.actor, entry.action, entry.target, JSON.stringify(entry.details)],
    );
    return toAuditEntry(returned(row));
  }

  async listAudit(accountId: string, options?: { limit?: number; before?: string }): Promise<AuditEntry[]> {
    const { limit, before } = auditPage(options);
    const rows =
      before === null
        ? await this.db.rows('SELECT * FROM audit_log WHERE account_id = $1 ORDER BY id DESC LIMIT $2', [
            accountId,
            limit,
          ])
        : await this.db.rows(
            'SELECT * FROM audit_log WHERE account_id = $1 AND id < $2 ORDER BY id DESC LIMIT $3',
            [accountId, before, limit],
          );
    return rows.map(toAuditEntry);
  }
}
