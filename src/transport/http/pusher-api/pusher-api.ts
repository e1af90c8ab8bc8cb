// The signed Pusher HTTP API under `/apps/{app_id}/…` (PROTOCOL.md §7). One handler per endpoint
// below; authentication and error mapping happen once here.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { App } from '../../../core/app.js';
import type { Engine } from '../../../core/engine.js';
import type { Logger } from '../../../core/ports/logger.js';
import { publishEvents } from '../../../core/publisher.js';
import {
  SERVER_TO_USER_PREFIX,
  checkChannelName,
  isPresenceChannel,
} from '../../../protocol/channel-name.js';
import { MawjlyError } from '../../../protocol/errors.js';
import { MAX_EVENTS_PER_BATCH } from '../../../protocol/limits.js';
import { collectBody, parseJsonObject } from '../read-body.js';
import { sendEmptyObject, sendError, sendJson } from '../respond.js';
import { queryValue, type ApiTarget, type QueryPairs } from './api-target.js';
import { authenticateRequest } from './authenticate.js';
import { channelAttributes } from './channel-info.js';
import { readChannelEvents } from './channel-events.js';
import { parseInfo, readPublishInput, type InfoAttribute } from './publish-request.js';

/** 10 events of ≤ 100 KB each, plus their envelopes. */
const MAX_BODY_BYTES = 2 * 1024 * 1024;

interface Route {
  readonly method: string;
  readonly pattern: RegExp;
  readonly name: string;
  handle(ctx: RequestContext): unknown;
}

interface RequestContext {
  readonly engine: Engine;
  readonly app: App;
  readonly params: readonly string[];
  readonly query: QueryPairs;
  readonly body: Buffer;
}

/** What most endpoints answer; sent from a ready-made response. */
const EMPTY_RESULT = Object.freeze({});

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
export type PusherApiHandler = (req: IncomingMessage, res: ServerResponse, target: ApiTarget) => boolean;

export function createPusherApi(engine: Engine, logger: Logger): PusherApiHandler {
  const fail = (res: ServerResponse, routeName: string, error: unknown): void => {
    sendError(res, error, logger);
    engine.metrics.httpCall(routeName, error instanceof MawjlyError ? error.httpStatus : 500);
  };
  const serve = (
    res: ServerResponse,
    route: Route,
    match: RegExpExecArray,
    method: string,
    target: ApiTarget,
    body: Buffer,
  ): void => {
    try {
      const params = match.slice(1).map((p) => safeDecode(p));
      const app = authenticateRequest(
        engine.directory,
        params[0] ?? '',
        { method, path: target.path, query: target.query, body },
        engine.clock.now(),
      );
      engine.metrics.apiCall?.(app.id);
      const result = route.handle({ engine, app, params, query: target.query, body });
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
  const respond = (res: ServerResponse, routeName: string, result: unknown): void => {
    if (result === EMPTY_RESULT) sendEmptyObject(res);
    else sendJson(res, 200, result);
    engine.metrics.httpCall(routeName, 200);
  };
  return (req, res, target) => {
    const { path } = target;
    if (!path.startsWith('/apps/')) return false;
    const method = req.method ?? 'GET';
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
      collectBody(req, MAX_BODY_BYTES, (error, body) => {
        if (error) fail(res, route.name, error);
        else serve(res, route, match, method, target, body);
      });
    return true;
  };
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
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new MawjlyError('invalid_request', 'Malformed percent-encoding in the path');
  }
}

/** `info` of a publish: read (and refused if unknown) before anything is published. */
const PUBLISH_INFO = ['user_count', 'subscription_count'] as const;

function infoResult(
  engine: Engine,
  app: App,
  channels: readonly string[],
  attributes: readonly InfoAttribute[],
): Record<string, unknown> {
  const result: Record<string, unknown> = {};
  for (const channel of channels)
    result[channel] = channelAttributes(engine, app.id, channel, attributes, false);
  return result;
}

function triggerEvent({ engine, app, body }: RequestContext): unknown {
  const json = parseJsonObject(body);
  const input = readPublishInput(json, false);
  const attributes = parseInfo(json.info, PUBLISH_INFO);
  publishEvents(engine, app, [input]);
  return attributes.length > 0
    ? { channels: infoResult(engine, app, input.channels, attributes) }
    : EMPTY_RESULT;
}

function triggerBatch({ engine, app, body }: RequestContext): unknown {
  const json = parseJsonObject(body);
  const batch = json.batch;
  if (!Array.isArray(batch)) throw new MawjlyError('invalid_request', 'Body must be {"batch":[…events…]}');
  if (batch.length === 0) throw new MawjlyError('invalid_request', 'The batch is empty');
  if (batch.length > MAX_EVENTS_PER_BATCH) throw new MawjlyError('batch_too_large');
  const items = batch.map((item, index) => {
    if (typeof item !== 'object' || item === null || Array.isArray(item)) {
      throw new MawjlyError('invalid_request', `batch[${index}] must be an object`);
    }
    const record = item as Record<string, unknown>;
    return { input: readPublishInput(record, true), attributes: parseInfo(record.info, PUBLISH_INFO) };
  });
  publishEvents(
    engine,
    app,
    items.map((i) => i.input),
  );
  if (!items.some((i) => i.attributes.length > 0)) return EMPTY_RESULT;
  return {
    batch: items.map(({ input, attributes }) => {
      const channel = input.channels[0] ?? '';
      return attributes.length > 0 ? (infoResult(engine, app, [channel], attributes)[channel] ?? {}) : {};
    }),
  };
}

function listChannels({ engine, app, query }: RequestContext): unknown {
  const prefix = queryValue(query, 'filter_by_prefix') ?? '';
  const info = parseInfo(queryValue(query, 'info'), ['user_count', 'subscription_count']);
  if (info.includes('user_count') && !prefix.startsWith('presence-')) {
    throw new MawjlyError('info_not_applicable', 'info=user_count requires filter_by_prefix=presence-');
  }
  const channels: Record<string, unknown> = {};
  for (const [name] of engine.adapter.channels(app.id)) {
    if (!name.startsWith(prefix) || name.startsWith(SERVER_TO_USER_PREFIX)) continue;
    channels[name] = channelAttributes(engine, app.id, name, info, false);
  }
  return { channels };
}

function channelParam(params: readonly string[]): string {
  const channel = params[1] ?? '';
  const error = checkChannelName(channel);
  if (error !== undefined) throw new MawjlyError(error);
  return channel;
}

function getChannel({ engine, app, params, query }: RequestContext): unknown {
  const channel = channelParam(params);
  const info = parseInfo(queryValue(query, 'info'), ['user_count', 'subscription_count', 'cache']);
  const attributes = channelAttributes(engine, app.id, channel, info, true);
  return { occupied: engine.adapter.subscriptionCount(app.id, channel) > 0, ...attributes };
}

function listUsers({ engine, app, params }: RequestContext): unknown {
  const channel = channelParam(params);
  if (!isPresenceChannel(channel)) throw new MawjlyError('not_presence_channel');
  return { users: [...engine.adapter.members(app.id, channel).keys()].map((id) => ({ id })) };
}

function terminateConnections({ engine, app, params, body }: RequestContext): unknown {
  if (body.length > 0) parseJsonObject(body);
  const userId = params[1] ?? '';
  if (userId.length === 0 || userId.length > 128) throw new MawjlyError('invalid_request', 'Invalid user id');
  engine.terminateUserConnections(app, userId);
  return EMPTY_RESULT;
}
