// The append-only audit log in the SQLite store; entry ids grow, so they double as paging cursors.
import type { AuditEntry, NewAuditEntry } from '../management/store.js';
import type { AuditLogStore } from '../management/store.js';
import type { SqliteDatabase } from './sqlite-database.js';
import { auditPage } from './store-input.js';
import { returned, toAuditEntry } from './store-rows.js';

export class SqliteAuditLog implements AuditLogStore {
  private readonly db: SqliteDatabase;

  constructor(db: SqliteDatabase) {
    this.db = db;
  }

  async appendAudit(entry: NewAuditEntry): Promise<AuditEntry> {
    const row = this.db.one(
      `INSERT INTO audit_log (account_id, time, actor, action, target, details)
       VALUES (?, ?, ?, ?, ?, ?) RETURNING *`,
      entry.accountId,
      entry.time,
      entry.actor,
      entry.action,
      entry.target,
      JSON.stringify(entry.details),
    );
    return Promise.resolve(toAuditEntry(returned(row)));
  }

  async listAudit(accountId: string, options?: { limit?: number; before?: string }): Promise<AuditEntry[]> {
    const { limit, before } = auditPage(options);
    const rows =
      before === null
        ? this.db.all(
            'SELECT * FROM audit_log WHERE account_id = ? ORDER BY id DESC LIMIT ?',
            accountId,
            limit,
          )
        : this.db.all(
            'SELECT * FROM audit_log WHERE account_id = ? AND id < ? ORDER BY id DESC LIMIT ?',
            accountId,
            before,
            limit,
          );
    return Promise.resolve(rows.map(toAuditEntry));
  }
}
