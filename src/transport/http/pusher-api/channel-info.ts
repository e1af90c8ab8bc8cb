import type { Realtime } from '../../../core/ports/realtime.js';
import { classifyChannel, isPresenceChannel } from '../../../protocol/channel-name.js';
import { MawjlyError } from '../../../protocol/errors.js';
import type { InfoAttribute } from './publish-request.js';

/** Attributes of one channel for `info=`; an attribute that does not apply to the channel is a 400. */
export function channelAttributes(
  engine: Realtime,
  appId: string,
  channel: string,
  info: readonly InfoAttribute[],
  strict: boolean,
): Record<string, unknown> {
  const attributes: Record<string, unknown> = {};
  if (info.length === 0) return attributes;
  const state = engine.channel(appId, channel);
  const presence = isPresenceChannel(channel);
  for (const attribute of info) {
    if (attribute === 'user_count') {
      if (presence) attributes.user_count = state.userCount;
      else if (strict)
        throw new MawjlyError('info_not_applicable', 'user_count is only available for presence channels');
    } else if (attribute === 'subscription_count') {
      if (!presence) attributes.subscription_count = state.subscriptionCount;
      else if (strict)
        throw new MawjlyError(
          'info_not_applicable',
          'subscription_count is not available for presence channels; use user_count',
        );
    } else {
      if (!classifyChannel(channel).cache)
        throw new MawjlyError('info_not_applicable', 'cache is only available for cache channels');
      attributes.cache = state.cached ? { data: state.cached.data, ttl: state.cached.ttlSeconds } : null;
    }
  }
  return attributes;
}
