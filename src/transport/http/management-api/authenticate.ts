// Resolves the caller of a management API request: `Authorization: Bearer mjly_…` (an API token),
// or the `mawjly_session` cookie of a signed-in dashboard user. A bearer header that is present but
// wrong is a 401; it never falls back to the cookie.
import { roleAuthority } from '../../../management/authority.js';
import type { Management } from '../../../management/management.js';
import type { ActiveSession } from '../../../management/sessions.js';
import { MawjlyError } from '../../../protocol/errors.js';
import { safeEqual } from '../../../protocol/signing.js';
import type { HttpRequest } from '../exchange.js';
import type { Principal } from './route.js';

export const SESSION_COOKIE = 'mawjly_session';

export function readCookie(req: HttpRequest, name: string): string | undefined {
  const header = req.headers.cookie;
  if (header === undefined) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

export async function resolveSession(
  req: HttpRequest,
  management: Management,
): Promise<ActiveSession | undefined> {
  const cookie = readCookie(req, SESSION_COOKIE);
  return cookie === undefined ? undefined : management.sessions.resolve(cookie);
}

export async function authenticate(req: HttpRequest, management: Management): Promise<Principal> {
  const authorization = req.headers.authorization;
  if (authorization !== undefined) {
    const match = /^Bearer +(\S+)\s*$/i.exec(authorization);
    const token = match?.[1] ? await management.tokens.authenticate(match[1]) : undefined;
    if (!token) throw new MawjlyError('unauthorized', 'Invalid, expired or revoked API token');
    const account = await management.store.findAccount(token.record.accountId);
    if (!account) throw new MawjlyError('unauthorized', 'Invalid, expired or revoked API token');
    return {
      account,
      actor: `token:${token.record.prefix}`,
      scopes: token.authority.scopes,
      via: 'token',
      authority: token.authority,
      holder: token.holder.id,
    };
  }
  const active = await resolveSession(req, management);
  if (!active) {
    throw new MawjlyError(
      'unauthorized',
      'Send Authorization: Bearer <API token>, or sign in to the dashboard',
    );
  }
  const { method } = req;
  if (method !== 'GET' && method !== 'HEAD') {
    const given = req.headers['x-csrf-token'];
    if (typeof given !== 'string' || !safeEqual(given, active.session.csrfToken))
      throw new MawjlyError('csrf_invalid');
  }
  const authority = roleAuthority(active.user.role);
  return {
    account: active.account,
    actor: `user:${active.user.email}`,
    scopes: authority.scopes,
    via: 'session',
    role: active.user.role,
    userId: active.user.id,
    authority,
    holder: `user:${active.user.email}`,
  };
}
