// The route table of the HTTP layer: every endpoint the server answers, in one place. Each entry
// names its path (or path tree), its methods and the module that answers it.
import { MawjlyError } from '../../protocol/errors.js';
import type { HttpRequest, HttpResponse } from './exchange.js';
import { createClientBundleHandler } from './client-bundle.js';
import { createDashboardHandler, DASHBOARD_PREFIX, refuseDashboardMethod } from './dashboard-static.js';
import { API_PREFIX } from './management-api/create-management-api.js';
import { health, ready, type ProbeState } from './probes.js';
import { apiTargetOf, plainApiTarget } from './pusher-api/api-target.js';
import type { PusherApiHandler } from './pusher-api/pusher-api.js';
import type { Endpoint } from './router.js';

export interface HttpParts {
  /** `/health` and `/ready`. */
  readonly probe: ProbeState;
  /** The Pusher REST API under `/apps/`. */
  readonly pusherApi?: PusherApiHandler;
  /** The management API under `/api/v1` (and the debug console's event stream). */
  readonly managementApi?: (req: HttpRequest, res: HttpResponse, url: URL) => Promise<unknown>;
  /** The built dashboard under `/dashboard` (served only where the management API is). */
  readonly dashboardDir?: string;
  /** Browser scripts by path (`/js/mawjly.js`, …): see client-bundle.ts. */
  readonly clientScripts?: Readonly<Record<string, URL>>;
}

const STATIC_METHODS = ['GET', 'HEAD'] as const;

export function httpRoutes(parts: HttpParts): Endpoint[] {
  const endpoints: Endpoint[] = [
    {
      name: 'health',
      path: '/health',
      handle: (_req, res) => {
        health(res);
      },
    },
    {
      name: 'ready',
      path: '/ready',
      handle: (_req, res) => {
        ready(res, parts.probe);
      },
    },
  ];
  const { pusherApi, managementApi, dashboardDir, clientScripts } = parts;
  if (pusherApi)
    endpoints.push({
      name: 'pusher-api',
      path: '/apps',
      tree: true,
      // The REST API is the hot path: a plain target is served without parsing a URL.
      direct: (req, res) => {
        const { path } = req;
        if (!path.startsWith('/apps/')) return false;
        const target = plainApiTarget(path, req.query);
        if (target === undefined) return false;
        // Nothing under /apps/ reads a header (requests are signed by their query).
        req.ignoreHeaders?.();
        return pusherApi(req, res, target);
      },
      handle: (req, res, url) => {
        // `/apps` itself is no endpoint (the API answers only paths under `/apps/`).
        if (!pusherApi(req, res, apiTargetOf(url)))
          throw new MawjlyError('not_found', `Nothing at ${url.pathname.slice(0, 200)}`);
      },
    });
  if (managementApi)
    endpoints.push({ name: 'management-api', path: API_PREFIX, tree: true, handle: managementApi });
  if (dashboardDir !== undefined)
    endpoints.push({
      name: 'dashboard',
      path: DASHBOARD_PREFIX,
      tree: true,
      methods: STATIC_METHODS,
      refuse: (_req, res) => {
        refuseDashboardMethod(res);
      },
      handle: createDashboardHandler(dashboardDir),
    });
  if (clientScripts) {
    const bundle = createClientBundleHandler(clientScripts);
    for (const path of Object.keys(clientScripts))
      endpoints.push({
        name: 'client-bundle',
        path,
        methods: STATIC_METHODS,
        refuse: (_req, res) => {
          res.send(405, { allow: 'GET, HEAD' });
        },
        handle: bundle,
      });
  }
  return endpoints;
}
