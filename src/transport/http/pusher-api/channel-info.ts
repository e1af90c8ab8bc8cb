import type { Engine } from '../../../core/engine.js';
import { classifyChannel, isPresenceChannel } from '../../../protocol/channel-name.js';
import { MawjlyError } from '../../../protocol/errors.js';
import type { InfoAttribute } from './publish-request.js';

/** Attributes of one channel for `info=`; an attribute that does not apply to the channel is a 400. */
export function channelAttributes(
  engine: Engine,
  appId: string,
  channel: string,
  info: readonly InfoAttribute[],
  strict: boolean,
): Record<string, unknown> {
  const attributes: Record<string, unknown> = {};
  const presence = isPresenceChannel(channel);
  for (const attribute of info) {
    if (attribute === 'user_count') {
      if (presence) attributes.user_count = engine.adapter.memberCount(appId, channel);
      else if (strict)
        throw new MawjlyError('info_not_applicable', 'user_count is only available for presence channels');
    } else if (attribute === 'subscription_count') {
      if (!presence) attributes.subscription_count = engine.adapter.subscriptionCount(appId, channel);
      else if (strict)
        throw new MawjlyError(
          'info_not_applicable',
          'subscription_count is not available for presence channels; use user_count',
        );
    } else {
      if (!classifyChannel(channel).cache)
        throw new MawjlyError('info_not_applicable', 'cache is only available for cache channels');
      const now = engine.clock.now();
      const cached = engine.cache.find(appId, channel, now);
      attributes.cache = cached
        ? { data: cached.data, ttl: Math.max(0, Math.ceil((cached.expiresAtMs - now) / 1000)) }
        : null;
    }
  }
  return attributes;
}
