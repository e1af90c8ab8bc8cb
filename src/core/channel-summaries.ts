// Read-only views of the cluster state for the management API and the dashboard.
import type { Adapter } from './ports/adapter.js';
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
