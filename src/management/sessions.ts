// Dashboard sessions: a random cookie value (only its SHA-256 is stored), a CSRF token for
// cookie-authenticated writes, and a sign-in rate limit per email+IP.
import { createHash, randomBytes } from 'node:crypto';
import { MawjlyError } from '../protocol/errors.js';
import type { ManagementContext } from './management-context.js';
import { LoginRateLimiter } from './login-rate-limiter.js';
import type { AccountRecord, SessionRecord, UserRecord } from './store.js';
import { normalizeEmail, type TeamService } from './team.js';

export const SESSION_TTL_MS = 12 * 3_600_000;

function hashSessionId(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex');
}

export interface ActiveSession {
  readonly session: SessionRecord;
  readonly user: UserRecord;
  readonly account: AccountRecord;
}

export class SessionService {
  readonly #ctx: ManagementContext;
  readonly #team: TeamService;
  readonly #limiter: LoginRateLimiter;

  constructor(ctx: ManagementContext, team: TeamService) {
    this.#ctx = ctx;
    this.#team = team;
    this.#limiter = new LoginRateLimiter(ctx.clock);
  }

  /** Signs in; returns the cookie value (to send once) and the new session. */
  async login(email: string, password: string, ip: string): Promise<ActiveSession & { cookieValue: string }> {
    const limitKey = `${normalizeEmail(email)}|${ip}`;
    // The attempt is counted before the password hash, so parallel guesses cannot outrun the limit;
    // a success clears the count.
    if (!this.#limiter.tryAttempt(limitKey)) {
      throw new MawjlyError('rate_limited', 'Too many failed sign-in attempts; try again in 15 minutes');
    }
    const user = await this.#team.authenticate(email, password);
    const account = user ? await this.#ctx.store.accounts.findAccount(user.accountId) : undefined;
    if (!user || !account) throw new MawjlyError('invalid_credentials');
    this.#limiter.reset(limitKey);
    const cookieValue = randomBytes(32).toString('base64url');
    const now = this.#ctx.clock.now();
    const session: SessionRecord = {
      idHash: hashSessionId(cookieValue),
      userId: user.id,
      csrfToken: randomBytes(24).toString('base64url'),
      expiresAt: now + SESSION_TTL_MS,
      createdAt: now,
    };
    await this.#ctx.store.accounts.createSession(session);
    await this.#ctx.audit.record(account.id, `user:${user.email}`, 'user.signed_in', `user:${user.id}`);
    return { cookieValue, session, user, account };
  }

  async resolve(cookieValue: string): Promise<ActiveSession | undefined> {
    if (!/^[A-Za-z0-9_-]{43}$/.test(cookieValue)) return undefined;
    const idHash = hashSessionId(cookieValue);
    const session = await this.#ctx.store.accounts.findSession(idHash);
    if (!session) return undefined;
    if (this.#ctx.clock.now() >= session.expiresAt) {
      await this.#ctx.store.accounts.deleteSession(idHash);
      return undefined;
    }
    const user = await this.#ctx.store.accounts.findUser(session.userId);
    const account = user ? await this.#ctx.store.accounts.findAccount(user.accountId) : undefined;
    if (!user || !account) return undefined;
    return { session, user, account };
  }

  async logout(cookieValue: string): Promise<void> {
    await this.#ctx.store.accounts.deleteSession(hashSessionId(cookieValue));
  }
}
