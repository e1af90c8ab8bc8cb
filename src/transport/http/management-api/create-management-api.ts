// The management API (`/api/v1`, docs/management-api.md) as one handler the router mounts at
// /api/v1: it answers everything under /api/v1 (and returns false for any other path).
import { silentLogger } from '../../../core/ports/logger.js';
import { MawjlyError } from '../../../protocol/errors.js';
import { accountRoutes } from './account-routes.js';
import { appRoutes } from './app-routes.js';
import { authenticate } from './authenticate.js';
import { encryptionKeyRoutes } from './encryption-key-routes.js';
import type { HttpRequest, HttpResponse } from '../exchange.js';
import { asObject, readJsonBody } from '../read-body.js';
import { parseRequestTarget } from '../request-target.js';
import { MANAGEMENT_HEADERS, PRIVATE_HEADERS, sendError } from '../respond.js';
import { realtimeRoutes } from './realtime-routes.js';
import type { ManagementApiDeps, Principal, Route } from './route.js';
import { sessionRoutes } from './session-routes.js';
import { statsRoutes } from './stats-routes.js';
import { teamRoutes } from './team-routes.js';
import { tokenRoutes } from './token-routes.js';
import { webhookRoutes } from './webhook-routes.js';

export type { ManagementApiDeps } from './route.js';

export const API_PREFIX = '/api/v1';

/** Request body limit unless the deps say otherwise. */
export const DEFAULT_MAX_BODY_BYTES = 64 * 1024;

const ROUTES: readonly Route[] = [
  ...sessionRoutes,
  ...accountRoutes,
  ...appRoutes,
  ...encryptionKeyRoutes,
  ...realtimeRoutes,
  ...statsRoutes,
  ...tokenRoutes,
  ...teamRoutes,
  ...webhookRoutes,
];

interface CompiledRoute {
  readonly route: Route;
  readonly segments: readonly string[];
}

const COMPILED: readonly CompiledRoute[] = ROUTES.map((route) => ({
  route,
  segments: route.path.split('/').slice(1),
}));

function matchSegments(
  pattern: readonly string[],
  parts: readonly string[],
): Record<string, string> | undefined {
  if (pattern.length !== parts.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i] ?? '';
    const part = parts[i] ?? '';
    if (p.startsWith(':')) {
      if (part === '') return undefined;
      params[p.slice(1)] = part;
    } else if (p !== part) return undefined;
  }
  return params;
}

function decodeParts(path: string): string[] {
  let parts: string[];
  try {
    parts = path
      .split('/')
      .slice(1)
      .map((s) => decodeURIComponent(s));
  } catch {
    throw new MawjlyError('invalid_request', 'Malformed percent-encoding in the path');
  }
  // Path segments become store lookups, and PostgreSQL text cannot hold NUL.
  if (parts.some((p) => p.includes('\u0000')))
    throw new MawjlyError('invalid_request', 'The path must not contain NUL characters (%00)');
  return parts;
}

export function createManagementApi(
  deps: ManagementApiDeps,
): (req: HttpRequest, res: HttpResponse, url?: URL) => Promise<boolean> {
  const logger = (deps.logger ?? silentLogger).child({ component: 'management-api' });
  const maxBody = deps.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const { management } = deps;

  return async (req, res, parsed) => {
    const url = parsed ?? parseRequestTarget(req.target);
    if (!url) return false;
    const { pathname } = url;
    if (pathname !== API_PREFIX && !pathname.startsWith(`${API_PREFIX}/`)) return false;
    try {
      const rest = pathname.slice(API_PREFIX.length).replace(/\/+$/, '');
      const parts = decodeParts(rest === '' ? '/' : rest);
      const method = req.method === 'HEAD' ? 'GET' : req.method;
      let matched: { route: Route; params: Record<string, string> } | undefined;
      const allowed: string[] = [];
      for (const compiled of COMPILED) {
        const params = matchSegments(compiled.segments, parts);
        if (!params) continue;
        allowed.push(compiled.route.method);
        if (compiled.route.method === method) {
          matched = { route: compiled.route, params };
          break;
        }
      }
      if (!matched) {
        if (allowed.length > 0) {
          sendError(res, new MawjlyError('method_not_allowed'), MANAGEMENT_HEADERS, {
            Allow: [...new Set(allowed)].join(', '),
          });
        } else {
          sendError(
            res,
            new MawjlyError('not_found', `No such endpoint: ${req.method} ${pathname}`),
            MANAGEMENT_HEADERS,
          );
        }
        return true;
      }
      const { route, params } = matched;
      let principal: Principal | undefined;
      if (route.scope !== 'public' && route.scope !== 'session') {
        principal = await authenticate(req, management);
        if (!principal.scopes.has(route.scope)) {
          throw new MawjlyError(
            'insufficient_scope',
            principal.via === 'token'
              ? `This request needs the '${route.scope}' scope, which this token does not have`
              : `This request needs the '${route.scope}' scope, which the ${principal.role ?? 'current'} role does not have`,
          );
        }
      }
      let bodyPromise: Promise<Record<string, unknown>> | undefined;
      const result = await route.handle({
        req,
        res,
        params,
        query: url.searchParams,
        deps,
        management,
        get principal(): Principal {
          if (!principal) throw new MawjlyError('unauthorized');
          return principal;
        },
        body: () => (bodyPromise ??= readJsonBody(req, maxBody).then(asObject)),
      });
      if (result === 'streaming') return true;
      const headers = result.headers;
      if (result.status === 204 || result.body === undefined)
        res.send(result.status, headers ? { ...PRIVATE_HEADERS, ...headers } : PRIVATE_HEADERS);
      else
        res.send(
          result.status,
          headers ? { ...MANAGEMENT_HEADERS, ...headers } : MANAGEMENT_HEADERS,
          JSON.stringify(result.body),
        );
    } catch (error) {
      if (error instanceof MawjlyError) {
        if (error.httpStatus >= 500) logger.error({ code: error.code, path: pathname }, error.message);
        sendError(res, error, MANAGEMENT_HEADERS);
      } else {
        // Log the failure without the request body (it may hold a password or a key).
        logger.error(
          { path: pathname, method: req.method, err: error instanceof Error ? error.name : 'unknown' },
          error instanceof Error ? error.message : 'management API failure',
        );
        sendError(res, new MawjlyError('internal'), MANAGEMENT_HEADERS);
      }
    }
    return true;
  };
}
