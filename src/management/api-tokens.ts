// API tokens: `mjly_` + 32 random bytes (base64url). Only the SHA-256 hex of the whole token and a
// short visible prefix are stored; the token is shown once, when created.
import { createHash, randomBytes } from 'node:crypto';
import type { Role } from './store.js';

export const TOKEN_PREFIX = 'mjly_';
/** Characters of the token kept visible in lists (`mjly_` + 6). */
const VISIBLE_LENGTH = TOKEN_PREFIX.length + 6;
const TOKEN_PATTERN = /^mjly_[A-Za-z0-9_-]{43}$/;

export const SCOPES = [
  'account:read',
  'account:write',
  'apps:read',
  'apps:write',
  'apps:secrets',
  'keys:write',
  'tokens:write',
  'events:write',
  'debug:read',
] as const;
export type Scope = (typeof SCOPES)[number];

const READ_SCOPES: readonly Scope[] = ['account:read', 'apps:read', 'debug:read'];

/** Scopes of a dashboard user's role (docs/management-api.md "Scopes"). */
export const ROLE_SCOPES: Readonly<Record<Role, readonly Scope[]>> = {
  owner: SCOPES,
  admin: SCOPES,
  developer: SCOPES.filter((s) => s !== 'account:write' && s !== 'tokens:write'),
  viewer: READ_SCOPES,
};

export function isScope(value: string): value is Scope {
  return (SCOPES as readonly string[]).includes(value);
}

export interface GeneratedApiToken {
  /** The token itself: returned once, never stored. */
  readonly token: string;
  readonly prefix: string;
  readonly hash: string;
}

export function hashApiToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

export function generateApiToken(): GeneratedApiToken {
  const token = TOKEN_PREFIX + randomBytes(32).toString('base64url');
  return { token, prefix: token.slice(0, VISIBLE_LENGTH), hash: hashApiToken(token) };
}

/** Cheap shape check before any lookup. */
export function looksLikeApiToken(value: string): boolean {
  return TOKEN_PATTERN.test(value);
}
