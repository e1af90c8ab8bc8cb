// Accounts, their users and the users' dashboard sessions in the SQLite store. Sessions sit here
// rather than alone because they live and die with their user (ON DELETE CASCADE).
import { randomUUID } from 'node:crypto';
import type { PlanName } from '../core/app.js';
import type { Clock } from '../core/ports/clock.js';
import type { AccountRecord, Role, SessionRecord, UserRecord } from '../management/store.js';
import type { AccountStore } from '../management/store.js';
import { translateSqliteError, type SqliteDatabase } from './sqlite-database.js';
import { notFoundError } from './store-errors.js';
import { normalizeEmail } from './store-input.js';
import { toAccount, toSession, toUser } from './store-rows.js';

export class SqliteAccounts implements AccountStore {
  private readonly db: SqliteDatabase;
  private readonly clock: Clock;

  constructor(db: SqliteDatabase, clock: Clock) {
    this.db = db;
    this.clock = clock;
  }

  async createAccount(input: { name: string; plan: PlanName }): Promise<AccountRecord> {
    const record: AccountRecord = {
      id: randomUUID(),
      name: input.name,
      plan: input.plan,
      createdAt: this.clock.now(),
    };
    try {
      this.db.run(
        'INSERT INTO accounts (id, name, plan, created_at) VALUES (?, ?, ?, ?)',
        record.id,
        record.name,
        record.plan,
        record.createdAt,
      );
    } catch (err) {
      throw translateSqliteError(err);
    }
    return Promise.resolve(record);
  }

  async findAccount(id: string): Promise<AccountRecord | undefined> {
    const row = this.db.one('SELECT * FROM accounts WHERE id = ?', id);
    return Promise.resolve(row && toAccount(row));
  }

  async findAccountByName(name: string): Promise<AccountRecord | undefined> {
    const row = this.db.one('SELECT * FROM accounts WHERE name = ?', name);
    return Promise.resolve(row && toAccount(row));
  }

  async listAccounts(): Promise<AccountRecord[]> {
    return Promise.resolve(this.db.all('SELECT * FROM accounts ORDER BY created_at, id').map(toAccount));
  }

  async setAccountPlan(id: string, plan: PlanName): Promise<AccountRecord> {
    const row = this.db.one('UPDATE accounts SET plan = ? WHERE id = ? RETURNING *', plan, id);
    if (!row) throw notFoundError('Account');
    return Promise.resolve(toAccount(row));
  }

  async createUser(input: Omit<UserRecord, 'id' | 'createdAt'>): Promise<UserRecord> {
    const record: UserRecord = {
      id: randomUUID(),
      accountId: input.accountId,
      email: normalizeEmail(input.email),
      passwordHash: input.passwordHash,
      role: input.role,
      createdAt: this.clock.now(),
    };
    try {
      this.db.run(
        'INSERT INTO users (id, account_id, email, password_hash, role, created_at) VALUES (?, ?, ?, ?, ?, ?)',
        record.id,
        record.accountId,
        record.email,
        record.passwordHash,
        record.role,
        record.createdAt,
      );
    } catch (err) {
      throw translateSqliteError(err, 'Account');
    }
    return Promise.resolve(record);
  }

  async findUser(id: string): Promise<UserRecord | undefined> {
    const row = this.db.one('SELECT * FROM users WHERE id = ?', id);
    return Promise.resolve(row && toUser(row));
  }

  async findUserByEmail(email: string): Promise<UserRecord | undefined> {
    const row = this.db.one('SELECT * FROM users WHERE email = ?', normalizeEmail(email));
    return Promise.resolve(row && toUser(row));
  }

  async listUsers(accountId: string): Promise<UserRecord[]> {
    return Promise.resolve(
      this.db.all('SELECT * FROM users WHERE account_id = ? ORDER BY created_at, id', accountId).map(toUser),
    );
  }

  async updateUserRole(id: string, role: Role): Promise<UserRecord> {
    const row = this.db.one('UPDATE users SET role = ? WHERE id = ? RETURNING *', role, id);
    if (!row) throw notFoundError('User');
    return Promise.resolve(toUser(row));
  }

  async deleteUser(id: string): Promise<void> {
    if (this.db.run('DELETE FROM users WHERE id = ?', id) === 0) throw notFoundError('User');
    return Promise.resolve();
  }

  async createSession(session: SessionRecord): Promise<void> {
    try {
      this.db.run(
        'INSERT INTO sessions (id_hash, user_id, csrf_token, expires_at, created_at) VALUES (?, ?, ?, ?, ?)',
        session.idHash,
        session.userId,
        session.csrfToken,
        session.expiresAt,
        session.createdAt,
      );
    } catch (err) {
      throw translateSqliteError(err, 'User');
    }
    return Promise.resolve();
  }

  async findSession(idHash: string): Promise<SessionRecord | undefined> {
    const row = this.db.one('SELECT * FROM sessions WHERE id_hash = ?', idHash);
    return Promise.resolve(row && toSession(row));
  }

  async deleteSession(idHash: string): Promise<void> {
    if (this.db.run('DELETE FROM sessions WHERE id_hash = ?', idHash) === 0) throw notFoundError('Session');
    return Promise.resolve();
  }
}
