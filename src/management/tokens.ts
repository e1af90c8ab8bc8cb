// API tokens of an account: created (shown once), listed, revoked, and resolved on every request.
import { z } from 'zod';
import { MawjlyError } from '../protocol/errors.js';
import {
  generateApiToken,
  hashApiToken,
  isScope,
  looksLikeApiToken,
  SCOPES,
  type Scope,
} from './api-tokens.js';
import type { Actor } from './audit.js';
import type { ManagementContext } from './management-context.js';
import type { TokenRecord } from './store.js';

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

export class TokenService {
  readonly #ctx: ManagementContext;
  /** tokenId → last time `lastUsedAt` was written, so a busy token is written at most once a minute. */
  readonly #touched = new Map<string, number>();

  constructor(ctx: ManagementContext) {
    this.#ctx = ctx;
  }

  async create(
    accountId: string,
    input: { name?: string; scopes?: readonly string[]; expiresInDays?: number },
    actor: Actor,
  ): Promise<{ record: TokenRecord; token: string }> {
    const nameResult = tokenNameSchema.safeParse(input.name ?? 'api token');
    if (!nameResult.success) throw new MawjlyError('validation_failed', 'name: 1 to 100 characters');
    const scopes = input.scopes === undefined ? [...SCOPES] : parseScopes(input.scopes);
    if (scopes.length === 0) throw new MawjlyError('validation_failed', 'scopes: at least one scope');
    let expiresAt: number | null = null;
    if (input.expiresInDays !== undefined) {
      const days = input.expiresInDays;
      if (!Number.isInteger(days) || days < 1 || days > MAX_TOKEN_DAYS) {
        throw new MawjlyError('validation_failed', `expires_in_days: an integer from 1 to ${MAX_TOKEN_DAYS}`);
      }
      expiresAt = this.#ctx.clock.now() + days * DAY_MS;
    }
    const generated = generateApiToken();
    const record = await this.#ctx.store.createToken({
      accountId,
      name: nameResult.data,
      prefix: generated.prefix,
      hash: generated.hash,
      scopes,
      createdBy: actor,
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
    return this.#ctx.store.listTokens(accountId);
  }

  async revoke(accountId: string, id: string, actor: Actor): Promise<void> {
    const record = (await this.#ctx.store.listTokens(accountId)).find((t) => t.id === id);
    if (!record) throw new MawjlyError('not_found', 'Unknown token');
    await this.#ctx.store.deleteToken(id);
    this.#touched.delete(id);
    await this.#ctx.audit.record(accountId, actor, 'token.revoked', `token:${id}`, {
      name: record.name,
      prefix: record.prefix,
    });
  }

  /** The live token record for a bearer value, or undefined (unknown, malformed or expired). */
  async authenticate(token: string): Promise<TokenRecord | undefined> {
    if (!looksLikeApiToken(token)) return undefined;
    const record = await this.#ctx.store.findTokenByHash(hashApiToken(token));
    if (!record) return undefined;
    const now = this.#ctx.clock.now();
    if (record.expiresAt !== null && now >= record.expiresAt) return undefined;
    const last = Math.max(this.#touched.get(record.id) ?? 0, record.lastUsedAt ?? 0);
    if (now - last >= TOUCH_INTERVAL_MS) {
      this.#touched.set(record.id, now);
      try {
        await this.#ctx.store.touchToken(record.id, now);
      } catch (error) {
        this.#ctx.logger.warn({ tokenId: record.id, err: String(error) }, 'could not record token use');
      }
    }
    return record;
  }
}
