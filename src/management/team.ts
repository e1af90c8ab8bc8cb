// Team members (dashboard users) of an account. Emails are stored lowercase and are unique across
// accounts (they are the sign-in name). An account always keeps at least one owner.
import { z } from 'zod';
import { MawjlyError } from '../protocol/errors.js';
import type { Actor } from './audit.js';
import type { ManagementContext } from './management-context.js';
import {
  dummyPasswordHash,
  hashPassword,
  MAX_PASSWORD_LENGTH,
  MIN_PASSWORD_LENGTH,
  verifyPassword,
} from './passwords.js';
import { ROLES, type Role, type UserRecord } from './store.js';

const emailSchema = z.email().max(254);

export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

export function parseRole(value: string): Role {
  if (!(ROLES as readonly string[]).includes(value)) {
    throw new MawjlyError('validation_failed', `role: expected one of ${ROLES.join(', ')}`);
  }
  return value as Role;
}

export class TeamService {
  readonly #ctx: ManagementContext;

  constructor(ctx: ManagementContext) {
    this.#ctx = ctx;
  }

  async create(
    accountId: string,
    input: { email: string; password: string; role: Role },
    actor: Actor,
  ): Promise<UserRecord> {
    const email = normalizeEmail(input.email);
    if (!emailSchema.safeParse(email).success)
      throw new MawjlyError('validation_failed', 'email: not a valid email address');
    if (input.password.length < MIN_PASSWORD_LENGTH || input.password.length > MAX_PASSWORD_LENGTH) {
      throw new MawjlyError(
        'validation_failed',
        `password: ${MIN_PASSWORD_LENGTH} to ${MAX_PASSWORD_LENGTH} characters`,
      );
    }
    const role = parseRole(input.role);
    if (await this.#ctx.store.findUserByEmail(email)) {
      throw new MawjlyError('conflict', 'A user with this email already exists');
    }
    const passwordHash = await hashPassword(input.password);
    const user = await this.#ctx.store.createUser({ accountId, email, passwordHash, role });
    await this.#ctx.audit.record(accountId, actor, 'user.created', `user:${user.id}`, { email, role });
    return user;
  }

  list(accountId: string): Promise<UserRecord[]> {
    return this.#ctx.store.listUsers(accountId);
  }

  async get(accountId: string, id: string): Promise<UserRecord> {
    const user = await this.#ctx.store.findUser(id);
    if (!user || user.accountId !== accountId) throw new MawjlyError('not_found', 'Unknown team member');
    return user;
  }

  async updateRole(accountId: string, id: string, role: Role, actor: Actor): Promise<UserRecord> {
    const user = await this.get(accountId, id);
    parseRole(role);
    if (user.role === role) return user;
    if (user.role === 'owner') await this.#keepAnOwner(accountId);
    const updated = await this.#ctx.store.updateUserRole(id, role);
    await this.#ctx.audit.record(accountId, actor, 'user.role_changed', `user:${id}`, {
      email: user.email,
      from: user.role,
      to: role,
    });
    return updated;
  }

  async remove(accountId: string, id: string, actor: Actor): Promise<void> {
    const user = await this.get(accountId, id);
    if (user.role === 'owner') await this.#keepAnOwner(accountId);
    await this.#ctx.store.deleteUser(id);
    await this.#ctx.audit.record(accountId, actor, 'user.deleted', `user:${id}`, { email: user.email });
  }

  /** The user whose email and password match, or undefined (in about the same time either way). */
  async authenticate(email: string, password: string): Promise<UserRecord | undefined> {
    const user = await this.#ctx.store.findUserByEmail(normalizeEmail(email));
    if (password.length > MAX_PASSWORD_LENGTH) return undefined;
    const ok = await verifyPassword(password, user?.passwordHash ?? (await dummyPasswordHash()));
    return ok && user ? user : undefined;
  }

  async #keepAnOwner(accountId: string): Promise<void> {
    const owners = (await this.#ctx.store.listUsers(accountId)).filter((u) => u.role === 'owner');
    if (owners.length <= 1) throw new MawjlyError('conflict', 'An account must keep at least one owner');
  }
}
