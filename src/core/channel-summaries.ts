// Read-only views of the cluster state for the management API and the dashboard.
import type { CacheStore } from './cache-store.js';
import type { Adapter } from './ports/adapter.js';
import type { ChannelState } from './ports/realtime.js';
import type { ChannelSummary } from './ports/realtime-view.js';
import { isPresenceChannel } from '../protocol/channel-name.js';

export function channelSummaries(adapter: Adapter, appId: string): ChannelSummary[] {
  const result: ChannelSummary[] = [];
  for (const [name, subscriptionCount] of adapter.channels(appId)) {
    if (isPresenceChannel(name)) {
      result.push({ name, subscriptionCount, userCount: adapter.memberCount(appId, name) });
    } else result.push({ name, subscriptionCount });
  }
  return result;
}

export function presenceMembers(
  adapter: Adapter,
  appId: string,
  channel: string,
): { id: string; userInfo: unknown }[] {
  return [...adapter.members(appId, channel)].map(([id, info]) => ({
    id,
    userInfo: info === undefined ? null : (JSON.parse(info) as unknown),
  }));
}

export function* channelNames(adapter: Adapter, appId: string): Generator<string> {
  for (const [name] of adapter.channels(appId)) yield name;
}

/** One channel's counts and cached event (`GET /apps/{id}/channels/{name}`, a publish's `info`). */
export function channelState(
  adapter: Adapter,
  cache: CacheStore,
  appId: string,
  channel: string,
  now: number,
): ChannelState {
  const cached = cache.find(appId, channel, now);
  return {
    subscriptionCount: adapter.subscriptionCount(appId, channel),
    userCount: isPresenceChannel(channel) ? adapter.memberCount(appId, channel) : 0,
    cached: cached && {
      data: cached.data,
      ttlSeconds: Math.max(0, Math.ceil((cached.expiresAtMs - now) / 1000)),
    },
  };
}
