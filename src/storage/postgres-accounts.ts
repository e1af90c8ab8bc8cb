// Accounts, their users and the users' dashboard sessions in the PostgreSQL store. Account writes
// are announced because every node holds its apps in memory with their account's plan; user and
// session writes are not, no node caches them. Sessions live and die with their user (ON DELETE
// CASCADE), hence here rather than alone.
import { randomUUID } from 'node:crypto';
import type { PlanName } from '../core/app.js';
import type { Clock } from '../core/ports/clock.js';
import type { AccountRecord, Role, SessionRecord, UserRecord } from '../management/store.js';
import type { AccountStore } from '../management/store.js';
import type { PostgresDatabase } from './postgres-database.js';
import { notFoundError } from './store-errors.js';
import { normalizeEmail } from './store-input.js';
import { returned, toAccount, toSession, toUser } from './store-rows.js';

export class PostgresAccounts implements AccountStore {
  private readonly db: PostgresDatabase;
  private readonly clock: Clock;

  constructor(db: PostgresDatabase, clock: Clock) {
    this.db = db;
    this.clock = clock;
  }

  async createAccount(input: { name: string; plan: PlanName }): Promise<AccountRecord> {
    const row = await this.db.one(
      'INSERT INTO accounts (id, name, plan, created_at) VALUES ($1, $2, $3, $4) RETURNING *',
      [randomUUID(), input.name, input.plan, this.clock.now()],
    );
    await this.db.announce();
    return toAccount(returned(row));
  }

  async findAccount(id: string): Promise<AccountRecord | undefined> {
    const row = await this.db.one('SELECT * FROM accounts WHERE id = $1', [id]);
    return row && toAccount(row);
  }

  async findAccountByName(name: string): Promise<AccountRecord | undefined> {
    const row = await this.db.one('SELECT * FROM accounts WHERE name = $1', [name]);
    return row && toAccount(row);
  }

  async listAccounts(): Promise<AccountRecord[]> {
    return (await this.db.rows('SELECT * FROM accounts ORDER BY created_at, id')).map(toAccount);
  }

  async setAccountPlan(id: string, plan: PlanName): Promise<AccountRecord> {
    const row = await this.db.one('UPDATE accounts SET plan = $1 WHERE id = $2 RETURNING *', [plan, id]);
    if (!row) throw notFoundError('Account');
    await this.db.announce();
    return toAccount(row);
  }

  async createUser(input: Omit<UserRecord, 'id' | 'createdAt'>): Promise<UserRecord> {
    const row = await this.db.one(
      `INSERT INTO users (id, account_id, email, password_hash, role, created_at)
       VALUES ($1, $2, $3, $4, $5, $6) RETURNING *`,
      [
        randomUUID(),
        input.accountId,
        normalizeEmail(input.email),
        input.passwordHash,
        input.role,
        this.clock.now(),
      ],
      'Account',
    );
    return toUser(returned(row));
  }

  async findUser(id: string): Promise<UserRecord | undefined> {
    const row = await this.db.one('SELECT * FROM users WHERE id = $1', [id]);
    return row && toUser(row);
  }

  async findUserByEmail(email: string): Promise<UserRecord | undefined> {
    const row = await this.db.one('SELECT * FROM users WHERE email = $1', [normalizeEmail(email)]);
    return row && toUser(row);
  }

  async listUsers(accountId: string): Promise<UserRecord[]> {
    return (
      await this.db.rows('SELECT * FROM users WHERE account_id = $1 ORDER BY created_at, id', [accountId])
    ).map(toUser);
  }

  async updateUserRole(id: string, role: Role): Promise<UserRecord> {
    const row = await this.db.one('UPDATE users SET role = $1 WHERE id = $2 RETURNING *', [role, id]);
    if (!row) throw notFoundError('User');
    return toUser(row);
  }

  async deleteUser(id: string): Promise<void> {
    if ((await this.db.count('DELETE FROM users WHERE id = $1', [id])) === 0) throw notFoundError('User');
  }

  async createSession(session: SessionRecord): Promise<void> {
    await this.db.rows(
      'INSERT INTO sessions (id_hash, user_id, csrf_token, expires_at, created_at) VALUES ($1, $2, $3, $4, $5)',
      [session.idHash, session.userId, session.csrfToken, session.expiresAt, session.createdAt],
      'User',
    );
  }

  async findSession(idHash: string): Promise<SessionRecord | undefined> {
    const row = await this.db.one('SELECT * FROM sessions WHERE id_hash = $1', [idHash]);
    return row && toSession(row);
  }

  async deleteSession(idHash: string): Promise<void> {
    if ((await this.db.count('DELETE FROM sessions WHERE id_hash = $1', [idHash])) === 0) {
      throw notFoundError('Session');
    }
  }
}
