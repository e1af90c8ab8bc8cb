// How this node reacts to the cluster facts the Adapter reports — the same way for changes made on
// this node and on others: deliver remote events, tell local subscribers about members and counts,
// notify watchers, close terminated users' sockets, reload changed apps.
import type { App } from './app.js';
import type { EngineContext } from './engine-context.js';
import type { AdapterEvents } from './ports/adapter.js';
import type { SubscriptionCountThrottle } from './subscription-count-throttle.js';
import { classifyChannel, isPresenceChannel } from '../protocol/channel-name.js';
import {
  encodeMemberAdded,
  encodeMemberRemoved,
  encodeSubscriptionCount,
  parseClientFrame,
} from '../protocol/codec.js';
import { CLIENT_EVENT_PREFIX } from '../protocol/events.js';

export function reactToCluster(
  engine: EngineContext,
  countThrottle: SubscriptionCountThrottle,
  onAppChanged: ((appId: string) => void) | undefined,
): AdapterEvents {
  const sendCount = (app: App, channel: string, total: number): void => {
    if (total === 0) return;
    engine.deliverLocal(app, channel, encodeSubscriptionCount(channel, total), undefined);
    engine.webhook(app, { name: 'subscription_count', channel, subscription_count: total });
  };

  return {
    deliver: (appId, channel, text, exceptSocketId) => {
      const app = engine.directory.findById(appId);
      if (!app) return;
      if (classifyChannel(channel).cache) cacheRemote(engine, app, channel, text);
      engine.deliverLocal(app, channel, text, exceptSocketId);
    },
    subscriptionCountChanged: (appId, channel, total) => {
      const app = engine.directory.findById(appId);
      if (!app || !app.settings.subscriptionCount || isPresenceChannel(channel)) return;
      countThrottle.changed(`${appId}\u0000${channel}`, total, (trailing) => {
        if (!trailing) {
          sendCount(app, channel, total);
          return;
        }
        const current = engine.directory.findById(appId);
        if (current) sendCount(current, channel, engine.cluster.subscriptionCount(appId, channel));
      });
    },
    memberAdded: (appId, channel, userId, userInfoJson, local) => {
      const app = engine.directory.findById(appId);
      if (!app) return;
      engine.deliverLocal(app, channel, encodeMemberAdded(channel, userId, userInfoJson), undefined);
      if (local) {
        engine.webhook(app, { name: 'member_added', channel, user_id: userId });
        engine.debug(appId, () => ({ type: 'member_added', channel, userId }));
      }
    },
    memberRemoved: (appId, channel, userId, local, droppedNode) => {
      const app = engine.directory.findById(appId);
      if (!app) return;
      engine.deliverLocal(app, channel, encodeMemberRemoved(channel, userId), undefined);
      if (local) {
        engine.webhook(app, { name: 'member_removed', channel, user_id: userId });
        engine.debug(appId, () => ({ type: 'member_removed', channel, userId }));
      } else if (droppedNode !== undefined) {
        // Every survivor sees a dead node's members leave; the key makes the store queue one webhook.
        engine.webhook(
          app,
          { name: 'member_removed', channel, user_id: userId },
          { dedupeKey: `dropped:${droppedNode}:${appId}:${channel}:${userId}` },
        );
      }
    },
    userPresenceChanged: (appId, userId, online) => {
      engine.users.notifyWatchers(appId, userId, online);
    },
    terminateUser: (appId, userId) => {
      const sessions = engine.users.sessionsOf(appId, userId);
      if (!sessions) return;
      for (const session of [...sessions]) engine.terminate(session, 'terminated_by_app');
    },
    appChanged: (appId) => {
      onAppChanged?.(appId);
    },
  };
}

/** Remote REST publishes on cache channels are cached here too, so late joiners on this node get them. */
function cacheRemote(engine: EngineContext, app: App, channel: string, text: string): void {
  const frame = parseClientFrame(text);
  if (!frame || typeof frame.data !== 'string' || frame.event.startsWith(CLIENT_EVENT_PREFIX)) return;
  engine.cache.set(app.id, channel, frame.event, frame.data, engine.clock.now());
}
