// Team members (dashboard users) of an account. Emails are stored lowercase and are unique across
// accounts (they are the sign-in name). An account always keeps at least one owner. Who may add,
// change or remove whom: src/management/authority.ts.
import { z } from 'zod';
import { MawjlyError } from '../protocol/errors.js';
import type { Actor } from './audit.js';
import { assertMayGrantRole, assertMayManage, OPERATOR, type Authority } from './authority.js';
import { LoginRateLimiter } from './login-rate-limiter.js';
import type { ManagementContext } from './management-context.js';
import {
  dummyPasswordHash,
  hashPassword,
  MAX_PASSWORD_LENGTH,
  MIN_PASSWORD_LENGTH,
  verifyPassword,
} from './passwords.js';
import { ROLES, type Role, type UserRecord } from './store.js';
import type { TokenService } from './tokens.js';

/** Refused new-member emails per account and hour before POST /team answers 429. */
export const MAX_REFUSED_EMAILS_PER_HOUR = 10;

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
  readonly #tokens: TokenService;
  /** Refused emails per account, so that probing which addresses are taken stays slow. */
  readonly #refusals: LoginRateLimiter;

  constructor(ctx: ManagementContext, tokens: TokenService) {
    this.#ctx = ctx;
    this.#tokens = tokens;
    this.#refusals = new LoginRateLimiter(ctx.clock, MAX_REFUSED_EMAILS_PER_HOUR, 3_600_000);
  }

  /** `authority` is the caller's (the operator's when omitted: the CLI, first run). */
  async create(
    accountId: string,
    input: { email: string; password: string; role: Role },
    actor: Actor,
    authority: Authority = OPERATOR,
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
    assertMayGrantRole(authority, role);
    if (await this.#ctx.store.accounts.findUserByEmail(email)) {
      // The same answer wherever the address is taken (this account or another), never saying which,
      // and at most MAX_REFUSED_EMAILS_PER_HOUR of them per account and hour (docs/security.md).
      if (!this.#refusals.tryAttempt(accountId)) {
        throw new MawjlyError('rate_limited', 'Too many refused email addresses; try again in an hour');
      }
      await this.#ctx.audit.record(accountId, actor, 'user.create_refused', null, { email });
      throw new MawjlyError('conflict', 'This email address cannot be used for a new member');
    }
    const passwordHash = await hashPassword(input.password);
    const user = await this.#ctx.store.accounts.createUser({ accountId, email, passwordHash, role });
    await this.#ctx.audit.record(accountId, actor, 'user.created', `user:${user.id}`, { email, role });
    return user;
  }

  list(accountId: string): Promise<UserRecord[]> {
    return this.#ctx.store.accounts.listUsers(accountId);
  }

  async get(accountId: string, id: string): Promise<UserRecord> {
    const user = await this.#ctx.store.accounts.findUser(id);
    if (!user || user.accountId !== accountId) throw new MawjlyError('not_found', 'Unknown team member');
    return user;
  }

  /**
   * Gives a member another role. The caller must manage the member's current role and be able to
   * grant the new one; the member's tokens holding scopes the new role lacks are revoked.
   */
  async updateRole(
    accountId: string,
    id: string,
    role: Role,
    actor: Actor,
    authority: Authority = OPERATOR,
  ): Promise<UserRecord> {
    const user = await this.get(accountId, id);
    parseRole(role);
    if (user.role === role) return user;
    assertMayManage(authority, user.role);
    assertMayGrantRole(authority, role);
    if (user.role === 'owner') await this.#keepAnOwner(accountId);
    const updated = await this.#ctx.store.accounts.updateUserRole(id, role);
    await this.#ctx.audit.record(accountId, actor, 'user.role_changed', `user:${id}`, {
      email: user.email,
      from: user.role,
      to: role,
    });
    await this.#tokens.revokeBeyondMember(updated, role, actor);
    return updated;
  }

  /** Removes a member (their sessions end with them) and revokes every token they hold. */
  async remove(accountId: string, id: string, actor: Actor, authority: Authority = OPERATOR): Promise<void> {
    const user = await this.get(accountId, id);
    assertMayManage(authority, user.role);
    if (user.role === 'owner') await this.#keepAnOwner(accountId);
    await this.#ctx.store.accounts.deleteUser(id);
    await this.#ctx.audit.record(accountId, actor, 'user.deleted', `user:${id}`, { email: user.email });
    await this.#tokens.revokeBeyondMember(user, undefined, actor);
  }

  /** The user whose email and password match, or undefined (in about the same time either way). */
  async authenticate(email: string, password: string): Promise<UserRecord | undefined> {
    const user = await this.#ctx.store.accounts.findUserByEmail(normalizeEmail(email));
    if (password.length > MAX_PASSWORD_LENGTH) return undefined;
    const ok = await verifyPassword(password, user?.passwordHash ?? (await dummyPasswordHash()));
    return ok && user ? user : undefined;
  }

  async #keepAnOwner(accountId: string): Promise<void> {
    const owners = (await this.#ctx.store.accounts.listUsers(accountId)).filter((u) => u.role === 'owner');
    if (owners.length <= 1) throw new MawjlyError('conflict', 'An account must keep at least one owner');
  }
}
