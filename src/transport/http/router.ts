// The one router of the HTTP layer, the same for every transport: an ordered table of endpoints
// (src/transport/http/routes.ts builds it), each answering one path or one path tree. A request is
// matched on its URL-normalised path (src/transport/http/request-target.ts); an endpoint may also
// take requests straight from the raw target before any URL is parsed (the REST publish hot path).
import { MawjlyError } from '../../protocol/errors.js';
import type { ExchangeHandler, HttpRequest, HttpResponse } from './exchange.js';
import { parseRequestTarget } from './request-target.js';
import { FALLBACK_HEADERS, sendError } from './respond.js';

export interface Endpoint {
  /** For logs and tests. */
  readonly name: string;
  /** The path answered (`/health`); with `tree`, also every path under `path/`. */
  readonly path: string;
  readonly tree?: boolean;
  /**
   * The methods answered; any other gets `refuse`, or else 405 `method_not_allowed` with `Allow`.
   * Absent: the endpoint takes every method (and answers wrong ones itself).
   */
  readonly methods?: readonly string[];
  refuse?(req: HttpRequest, res: HttpResponse): void;
  /**
   * Called before any URL is parsed, for every request: true when it answered from the raw target
   * alone. Only for a hot path; the endpoint must also answer the same request through `handle`.
   */
  direct?(req: HttpRequest, res: HttpResponse): boolean;
  handle(req: HttpRequest, res: HttpResponse, url: URL): unknown;
}

/** The endpoint of a normalised path, or undefined. */
export function findEndpoint(endpoints: readonly Endpoint[], pathname: string): Endpoint | undefined {
  for (const endpoint of endpoints) {
    if (pathname === endpoint.path) return endpoint;
    if (
      endpoint.tree === true &&
      pathname.length > endpoint.path.length &&
      pathname.startsWith(endpoint.path) &&
      pathname.charCodeAt(endpoint.path.length) === SLASH
    )
      return endpoint;
  }
  return undefined;
}

const SLASH = 0x2f;

/**
 * The handler of every HTTP request: unknown paths are 404 `not_found`, unreadable targets 400
 * `invalid_target` (thrown, answered by the guard around the router).
 */
export function createRouter(endpoints: readonly Endpoint[]): ExchangeHandler {
  const direct = endpoints.filter((e) => e.direct !== undefined);
  return (req, res) => {
    for (const endpoint of direct) if (endpoint.direct?.(req, res) === true) return undefined;
    const url = parseRequestTarget(req.target);
    if (!url) throw new MawjlyError('invalid_target');
    const endpoint = findEndpoint(endpoints, url.pathname);
    if (!endpoint) throw new MawjlyError('not_found', `Nothing at ${url.pathname.slice(0, 200)}`);
    if (endpoint.methods !== undefined && !endpoint.methods.includes(req.method)) {
      if (endpoint.refuse) endpoint.refuse(req, res);
      else
        sendError(res, new MawjlyError('method_not_allowed'), FALLBACK_HEADERS, {
          Allow: endpoint.methods.join(', '),
        });
      return undefined;
    }
    return endpoint.handle(req, res, url);
  };
}
