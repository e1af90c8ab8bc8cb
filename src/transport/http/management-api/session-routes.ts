// `/session`: dashboard sign-in with an HttpOnly, SameSite=Strict cookie and a CSRF token that
// cookie-authenticated writes must echo in `X-CSRF-Token`.
import { z } from 'zod';
import { SESSION_TTL_MS } from '../../../management/sessions.js';
import { validate } from '../../../management/validation.js';
import { MawjlyError } from '../../../protocol/errors.js';
import { safeEqual } from '../../../protocol/signing.js';
import type { HttpRequest } from '../exchange.js';
import { readCookie, resolveSession, SESSION_COOKIE } from './authenticate.js';
import { userJson } from './json-views.js';
import { route, type Route } from './route.js';

const loginSchema = z.strictObject({ email: z.string().max(254), password: z.string().max(4096) });

function forwarded(req: HttpRequest, header: string): string | undefined {
  const first = req.headers[header]?.split(',')[0]?.trim();
  return first === undefined || first === '' ? undefined : first;
}

/** The client's address: the socket's, or behind a trusted proxy the first X-Forwarded-For hop. */
export function clientAddress(req: HttpRequest, trustProxy: boolean): string {
  return (
    (trustProxy ? forwarded(req, 'x-forwarded-for') : undefined) ??
    (req.remoteAddress === '' ? 'unknown' : req.remoteAddress)
  );
}

/** Whether the browser reached us over https (directly, or through a trusted proxy). */
export function reachedOverHttps(req: HttpRequest, trustProxy: boolean): boolean {
  if (req.secure) return true;
  return trustProxy && forwarded(req, 'x-forwarded-proto')?.toLowerCase() === 'https';
}

function cookie(req: HttpRequest, value: string, maxAgeSeconds: number, trustProxy: boolean): string {
  const secure = reachedOverHttps(req, trustProxy) ? '; Secure' : '';
  return `${SESSION_COOKIE}=${value}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAgeSeconds}${secure}`;
}

export const sessionRoutes: readonly Route[] = [
  route('POST', '/session', 'public', async ({ management, req, body, deps }) => {
    const input = validate(loginSchema, await body());
    const trustProxy = deps.trustProxy === true;
    const ip = clientAddress(req, trustProxy);
    const { cookieValue, session, user } = await management.sessions.login(input.email, input.password, ip);
    return {
      status: 200,
      body: { user: userJson(user), csrf_token: session.csrfToken },
      headers: { 'Set-Cookie': cookie(req, cookieValue, Math.floor(SESSION_TTL_MS / 1000), trustProxy) },
    };
  }),

  route('GET', '/session', 'public', async ({ management, req, query }) => {
    const active = await resolveSession(req, management);
    // `?optional=true` (the dashboard's first probe): "not signed in" is an answer, not an error, so
    // the sign-in page loads without a failed request in the browser console.
    if (!active && query.get('optional') === 'true') return { status: 200, body: { user: null } };
    if (!active) throw new MawjlyError('unauthorized', 'Not signed in');
    return {
      status: 200,
      body: {
        user: userJson(active.user),
        account: { id: active.account.id, name: active.account.name, plan: active.account.plan },
        role: active.user.role,
        csrf_token: active.session.csrfToken,
      },
    };
  }),

  route('DELETE', '/session', 'public', async ({ management, req, deps }) => {
    const value = readCookie(req, SESSION_COOKIE);
    const active = await resolveSession(req, management);
    if (value !== undefined && active) {
      const given = req.headers['x-csrf-token'];
      if (typeof given !== 'string' || !safeEqual(given, active.session.csrfToken)) {
        throw new MawjlyError('csrf_invalid');
      }
      await management.sessions.logout(value);
    }
    return { status: 204, headers: { 'Set-Cookie': cookie(req, '', 0, deps.trustProxy === true) } };
  }),
];
