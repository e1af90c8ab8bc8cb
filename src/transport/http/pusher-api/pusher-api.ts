// The signed Pusher HTTP API under `/apps/{app_id}/…` (PROTOCOL.md §7): the route table of its
// endpoints (one module each: trigger.ts, channels.ts, terminate.ts); authentication, body reading
// and error mapping happen once here. A new endpoint is one line in `routes` and its own module.
// Endpoints read the method, path, query and body, never a header: the route in routes.ts tells the
// transport it need not keep them (HttpRequest.ignoreHeaders), so after the handler returns they
// may be gone.
import type { AppDirectory } from '../../../core/ports/app-directory.js';
import type { Clock } from '../../../core/ports/clock.js';
import type { Logger } from '../../../core/ports/logger.js';
import type { Metrics } from '../../../core/ports/metrics.js';
import type { Realtime } from '../../../core/ports/realtime.js';
import { MawjlyError } from '../../../protocol/errors.js';
import type { HttpRequest, HttpResponse } from '../exchange.js';
import { sendEmptyObject, sendError, sendJson } from '../respond.js';
import type { App } from '../../../core/app.js';
import type { ApiTarget, QueryPairs } from './api-target.js';
import { authenticateRequest } from './authenticate.js';
import { readChannelEvents } from './channel-events.js';
import { channelParam, getChannel, listChannels, listUsers } from './channels.js';
import { EMPTY_RESULT, type EndpointHandler, type RequestContext } from './endpoint.js';
import { terminateConnections } from './terminate.js';
import { triggerBatch, triggerEvent } from './trigger.js';

/** 10 events of ≤ 100 KB each, plus their envelopes. */
const MAX_BODY_BYTES = 2 * 1024 * 1024;

interface Route {
  readonly method: string;
  readonly pattern: RegExp;
  readonly name: string;
  readonly handle: EndpointHandler;
}

const routes: readonly Route[] = [
  { method: 'POST', pattern: /^\/apps\/([^/]+)\/events$/, name: 'events', handle: triggerEvent },
  { method: 'POST', pattern: /^\/apps\/([^/]+)\/batch_events$/, name: 'batch_events', handle: triggerBatch },
  { method: 'GET', pattern: /^\/apps\/([^/]+)\/channels$/, name: 'channels', handle: listChannels },
  { method: 'GET', pattern: /^\/apps\/([^/]+)\/channels\/([^/]+)$/, name: 'channel', handle: getChannel },
  {
    method: 'GET',
    pattern: /^\/apps\/([^/]+)\/channels\/([^/]+)\/events$/,
    name: 'channel_events',
    handle: (ctx) => readChannelEvents(ctx.engine, ctx.app, channelParam(ctx.params), ctx.query),
  },
  {
    method: 'GET',
    pattern: /^\/apps\/([^/]+)\/channels\/([^/]+)\/users$/,
    name: 'channel_users',
    handle: listUsers,
  },
  {
    method: 'POST',
    pattern: /^\/apps\/([^/]+)\/users\/([^/]+)\/terminate_connections$/,
    name: 'terminate_connections',
    handle: terminateConnections,
  },
];

/** Answers a request under `/apps/`; false (nothing sent) for any other path. */
export type PusherApiHandler = (req: HttpRequest, res: HttpResponse, target: ApiTarget) => boolean;

/** What the API needs besides the engine: the apps that sign requests, the clock, the metrics. */
export interface PusherApiPorts {
  readonly directory: AppDirectory;
  readonly clock: Clock;
  readonly metrics: Metrics;
}

export function createPusherApi(engine: Realtime, ports: PusherApiPorts, logger: Logger): PusherApiHandler {
  const { directory, clock, metrics } = ports;
  const fail = (res: HttpResponse, routeName: string, error: unknown): void => {
    if (!(error instanceof MawjlyError))
      logger.error({ err: error }, 'unexpected error while handling an HTTP request');
    sendError(res, error);
    metrics.httpCall(routeName, error instanceof MawjlyError ? error.httpStatus : 500);
  };
  const serve = (
    res: HttpResponse,
    route: Route,
    match: RegExpExecArray,
    method: string,
    target: ApiTarget,
    body: Buffer,
  ): void => {
    try {
      const params: string[] = [];
      for (let i = 1; i < match.length; i++) params.push(safeDecode(match[i] as string));
      const app = authenticateRequest(
        directory,
        params[0] ?? '',
        { method, path: target.path, target, body },
        clock.now(),
      );
      metrics.apiCall?.(app.id);
      const result = route.handle(new Context(engine, app, params, target, body));
      if (result instanceof Promise) {
        result.then(
          (value: unknown) => {
            respond(res, route.name, value);
          },
          (error: unknown) => {
            fail(res, route.name, error);
          },
        );
      } else respond(res, route.name, result);
    } catch (error) {
      fail(res, route.name, error);
    }
  };
  const respond = (res: HttpResponse, routeName: string, result: unknown): void => {
    if (result === EMPTY_RESULT) sendEmptyObject(res);
    else sendJson(res, 200, result);
    metrics.httpCall(routeName, 200);
  };
  return (req, res, target) => {
    const { path } = target;
    if (!path.startsWith('/apps/')) return false;
    const { method } = req;
    const found = findRoute(path, method);
    if (!found) {
      fail(res, 'unknown', new MawjlyError('not_found', `No API endpoint at ${path.slice(0, 200)}`));
      return true;
    }
    const { route, match } = found;
    if (route.method !== method) {
      fail(
        res,
        route.name,
        new MawjlyError('method_not_allowed', `Use ${route.method} for ${path.slice(0, 200)}`),
      );
      return true;
    }
    if (method === 'GET' || method === 'HEAD') serve(res, route, match, method, target, NO_BODY);
    else
      req.readBody(MAX_BODY_BYTES, (error, body) => {
        if (error) fail(res, route.name, error);
        else serve(res, route, match, method, target, body);
      });
    return true;
  };
}

/** An endpoint's request; the query is split into pairs only if the endpoint reads it. */
class Context implements RequestContext {
  readonly engine: Realtime;
  readonly app: App;
  readonly params: readonly string[];
  readonly body: Buffer;
  readonly #target: ApiTarget;

  constructor(engine: Realtime, app: App, params: readonly string[], target: ApiTarget, body: Buffer) {
    this.engine = engine;
    this.app = app;
    this.params = params;
    this.#target = target;
    this.body = body;
  }

  get query(): QueryPairs {
    return this.#target.query;
  }
}

/** The route for the method, else any route of the path (answered with 405). */
function findRoute(path: string, method: string): { route: Route; match: RegExpExecArray } | undefined {
  let found: { route: Route; match: RegExpExecArray } | undefined;
  for (const route of routes) {
    const match = route.pattern.exec(path);
    if (!match) continue;
    if (route.method === method) return { route, match };
    found ??= { route, match };
  }
  return found;
}

const NO_BODY = Buffer.alloc(0);

function safeDecode(segment: string): string {
  // Without an escape there is nothing to decode (nor anything malformed).
  if (!segment.includes('%')) return segment;
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new MawjlyError('invalid_request', 'Malformed percent-encoding in the path');
  }
}
