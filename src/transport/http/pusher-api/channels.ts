// `GET /apps/{id}/channels`, `GET /apps/{id}/channels/{name}` and `…/{name}/users`.
import {
  SERVER_TO_USER_PREFIX,
  checkChannelName,
  isPresenceChannel,
} from '../../../protocol/channel-name.js';
import { MawjlyError } from '../../../protocol/errors.js';
import { queryValue } from './api-target.js';
import { channelAttributes } from './channel-info.js';
import type { RequestContext } from './endpoint.js';
import { parseInfo } from './publish-request.js';

export function listChannels({ engine, app, query }: RequestContext): unknown {
  const prefix = queryValue(query, 'filter_by_prefix') ?? '';
  const info = parseInfo(queryValue(query, 'info'), ['user_count', 'subscription_count']);
  if (info.includes('user_count') && !prefix.startsWith('presence-')) {
    throw new MawjlyError('info_not_applicable', 'info=user_count requires filter_by_prefix=presence-');
  }
  // Keyed by channel names, which may be `__proto__`: an object without a prototype keeps it as data.
  const channels = Object.create(null) as Record<string, unknown>;
  for (const name of engine.channelNames(app.id)) {
    if (!name.startsWith(prefix) || name.startsWith(SERVER_TO_USER_PREFIX)) continue;
    channels[name] = channelAttributes(engine, app.id, name, info, false);
  }
  return { channels };
}

export function channelParam(params: readonly string[]): string {
  const channel = params[1] ?? '';
  const error = checkChannelName(channel);
  if (error !== undefined) throw new MawjlyError(error);
  return channel;
}

export function getChannel({ engine, app, params, query }: RequestContext): unknown {
  const channel = channelParam(params);
  const info = parseInfo(queryValue(query, 'info'), ['user_count', 'subscription_count', 'cache']);
  const attributes = channelAttributes(engine, app.id, channel, info, true);
  return { occupied: engine.channel(app.id, channel).subscriptionCount > 0, ...attributes };
}

export function listUsers({ engine, app, params }: RequestContext): unknown {
  const channel = channelParam(params);
  if (!isPresenceChannel(channel)) throw new MawjlyError('not_presence_channel');
  return { users: engine.presenceUsers(app.id, channel).map(({ id }) => ({ id })) };
}
