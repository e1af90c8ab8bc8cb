// API tokens of an account: created (shown once), listed, revoked, and resolved on every request.
import { z } from 'zod';
import { MawjlyError } from '../protocol/errors.js';
import {
  generateApiToken,
  hashApiToken,
  isScope,
  looksLikeApiToken,
  ROLE_SCOPES,
  SCOPES,
  type Scope,
} from './api-tokens.js';
import type { Actor } from './audit.js';
import { OPERATOR, scopesBeyond, type Authority } from './authority.js';
import type { ManagementContext } from './management-context.js';
import type { Role, TokenRecord, UserRecord } from './store.js';

const TOUCH_INTERVAL_MS = 60_000;
const DAY_MS = 86_400_000;
export const MAX_TOKEN_DAYS = 3650;

const tokenNameSchema = z.string().trim().min(1).max(100);

export function parseScopes(values: readonly string[]): Scope[] {
  const unknown = values.filter((s) => !isScope(s));
  if (unknown.length > 0) {
    throw new MawjlyError(
      'validation_failed',
      `scopes: unknown ${unknown.map((s) => `'${s.slice(0, 40)}'`).join(', ')}; expected ${SCOPES.join(', ')}`,
    );
  }
  return [...new Set(values)] as Scope[];
}

/**
 * On whose behalf a token acts. A token's `createdBy` names its holder: `user:<email>` for a team
 * member (a token minted by a token inherits its holder), anything else (`cli`, `system`) for the
 * operator. Rows written before holders were recorded may name `token:<prefix>`: the chain is
 * followed to the token that minted it.
 */
export interface TokenHolder {
  /** What a token minted by this one records as `createdBy`. */
  readonly id: string;
  readonly role: Role | 'operator';
  readonly user?: UserRecord;
}

export interface AuthenticatedToken {
  readonly record: TokenRecord;
  readonly holder: TokenHolder;
  /** The token's scopes cut down to what its holder holds today. */
  readonly authority: Authority;
}

const MAX_CHAIN = 32;

export class TokenService {
  readonly #ctx: ManagementContext;
  /** tokenId → last time `lastUsedAt` was written, so a busy token is written at most once a minute. */
  readonly #touched = new Map<string, number>();

  constructor(ctx: ManagementContext) {
    this.#ctx = ctx;
  }

  /**
   * `holder` is recorded as the token's `createdBy` (defaults to `actor`, right for the operator and
   * for a signed-in member); the caller's `authority` bounds the scopes (defaults to the operator's).
   */
  async create(
    accountId: string,
    input: { name?: string; scopes?: readonly string[]; expiresInDays?: number },
    actor: Actor,
    caller: { authority: Authority; holder: string } = { authority: OPERATOR, holder: actor },
  ): Promise<{ record: TokenRecord; token: string }> {
    const nameResult = tokenNameSchema.safeParse(input.name ?? 'api token');
    if (!nameResult.success) throw new MawjlyError('validation_failed', 'name: 1 to 100 characters');
    const scopes =
      input.scopes === undefined
        ? SCOPES.filter((s) => caller.authority.scopes.has(s))
        : parseScopes(input.scopes);
    if (scopes.length === 0) throw new MawjlyError('validation_failed', 'scopes: at least one scope');
    const beyond = scopesBeyond(caller.authority, scopes);
    if (beyond.length > 0) {
      throw new MawjlyError(
        'insufficient_scope',
        `Cannot grant scopes the caller does not have: ${beyond.map((s) => `'${s}'`).join(', ')}`,
      );
    }
    let expiresAt: number | null = null;
    if (input.expiresInDays !== undefined) {
      const days = input.expiresInDays;
      if (!Number.isInteger(days) || days < 1 || days > MAX_TOKEN_DAYS) {
        throw new MawjlyError('validation_failed', `expires_in_days: an integer from 1 to ${MAX_TOKEN_DAYS}`);
      }
      expiresAt = this.#ctx.clock.now() + days * DAY_MS;
    }
    const generated = generateApiToken();
    const record = await this.#ctx.store.tokens.createToken({
      accountId,
      name: nameResult.data,
      prefix: generated.prefix,
      hash: generated.hash,
      scopes,
      createdBy: caller.holder,
      expiresAt,
    });
    await this.#ctx.audit.record(accountId, actor, 'token.created', `token:${record.id}`, {
      name: record.name,
      prefix: record.prefix,
      scopes,
      expires_at: expiresAt,
    });
    return { record, token: generated.token };
  }

  list(accountId: string): Promise<TokenRecord[]> {
    return this.#ctx.store.tokens.listTokens(accountId);
  }

  /** Revokes a token; the caller must hold every scope the token has. */
  async revoke(accountId: string, id: string, actor: Actor, authority: Authority = OPERATOR): Promise<void> {
    const record = (await this.#ctx.store.tokens.listTokens(accountId)).find((t) => t.id === id);
    if (!record) throw new MawjlyError('not_found', 'Unknown token');
    const beyond = scopesBeyond(authority, record.scopes);
    if (beyond.length > 0) {
      throw new MawjlyError(
        'insufficient_scope',
        `Cannot revoke a token with scopes the caller does not have: ${beyond.map((s) => `'${s}'`).join(', ')}`,
      );
    }
    await this.#revoke(record, actor, {});
  }

  async #revoke(
    record: TokenRecord,
    actor: Actor,
    details: Readonly<Record<string, unknown>>,
  ): Promise<void> {
    await this.#ctx.store.tokens.deleteToken(record.id);
    this.#touched.delete(record.id);
    await this.#ctx.audit.record(record.accountId, actor, 'token.revoked', `token:${record.id}`, {
      name: record.name,
      prefix: record.prefix,
      ...details,
    });
  }

  /**
   * After a member was removed (`role` undefined) or given `role`: revokes each of their tokens that
   * holds a scope the member no longer holds. Returns how many were revoked.
   */
  async revokeBeyondMember(user: UserRecord, role: Role | undefined, actor: Actor): Promise<number> {
    const tokens = await this.#ctx.store.tokens.listTokens(user.accountId);
    const allowed = new Set<string>(role === undefined ? [] : ROLE_SCOPES[role]);
    let revoked = 0;
    for (const record of tokens) {
      const holder = holderId(record, tokens);
      if (holder !== `user:${user.email}`) continue;
      if (record.scopes.every((s) => allowed.has(s))) continue;
      await this.#revoke(record, actor, {
        reason: role === undefined ? 'member_removed' : 'member_role_changed',
      });
      revoked += 1;
    }
    return revoked;
  }

  /**
   * The live token for a bearer value, with its holder and its scopes cut down to what the holder
   * holds today; undefined when unknown, malformed, expired, or its holder is no longer a member.
   */
  async authenticate(token: string): Promise<AuthenticatedToken | undefined> {
    if (!looksLikeApiToken(token)) return undefined;
    const record = await this.#ctx.store.tokens.findTokenByHash(hashApiToken(token));
    if (!record) return undefined;
    const now = this.#ctx.clock.now();
    if (record.expiresAt !== null && now >= record.expiresAt) return undefined;
    const holder = await this.#holder(record);
    if (!holder) return undefined;
    const roleScopes = holder.role === 'operator' ? SCOPES : ROLE_SCOPES[holder.role];
    const scopes = new Set<Scope>(record.scopes.filter(isScope).filter((s) => roleScopes.includes(s)));
    const last = Math.max(this.#touched.get(record.id) ?? 0, record.lastUsedAt ?? 0);
    if (now - last >= TOUCH_INTERVAL_MS) {
      this.#touched.set(record.id, now);
      try {
        await this.#ctx.store.tokens.touchToken(record.id, now);
      } catch (error) {
        this.#ctx.logger.warn({ tokenId: record.id, err: String(error) }, 'could not record token use');
      }
    }
    return { record, holder, authority: { role: holder.role, scopes } };
  }

  async #holder(record: TokenRecord): Promise<TokenHolder | undefined> {
    let id = record.createdBy ?? 'cli';
    if (id.startsWith('token:')) {
      const resolved = holderId(record, await this.#ctx.store.tokens.listTokens(record.accountId));
      if (resolved === undefined) return undefined;
      id = resolved;
    }
    if (!id.startsWith('user:')) return { id, role: 'operator' };
    const user = await this.#ctx.store.accounts.findUserByEmail(id.slice('user:'.length));
    if (!user || user.accountId !== record.accountId) return undefined;
    return { id, role: user.role, user };
  }
}

/** `createdBy` of the token's holder, following `token:<prefix>` links; undefined for a broken chain. */
function holderId(record: TokenRecord, tokens: readonly TokenRecord[]): string | undefined {
  let current = record;
  for (let i = 0; i < MAX_CHAIN; i++) {
    const by = current.createdBy ?? 'cli';
    if (!by.startsWith('token:')) return by;
    const prefix = by.slice('token:'.length);
    const parent = tokens.find((t) => t.prefix === prefix && t.id !== current.id);
    if (!parent) return undefined;
    current = parent;
  }
  return undefined;
}
