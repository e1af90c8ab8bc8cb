// `pusher:subscribe`: name rules, plan rules, signature over the exact received strings, presence
// limits, then join. Every refusal is a `pusher:subscription_error` carrying the channel and a status.
import { historyRetention } from '../app.js';
import type { EngineContext } from '../engine-context.js';
import { recoverySince } from '../history-service.js';
import type { Session } from '../session.js';
import {
  checkChannelName,
  classifyChannel,
  requiresAuth,
  serverToUserId,
} from '../../protocol/channel-name.js';
import {
  encodePresenceData,
  encodeSubscriptionError,
  encodeSubscriptionSucceeded,
  frameDataObject,
  type ClientFrame,
} from '../../protocol/codec.js';
import { ERRORS, type ErrorCode } from '../../protocol/errors.js';
import { channelStringToSign, verifyAuth } from '../../protocol/signing.js';
import { parseChannelData } from '../../protocol/user-data.js';

const ERROR_TYPES: Partial<Record<ErrorCode, string>> = {
  invalid_signature: 'AuthError',
  server_to_user_forbidden: 'AuthError',
  presence_full: 'LimitReached',
  subscription_limit: 'LimitReached',
  presence_channel_limit: 'LimitReached',
  user_info_too_large: 'LimitReached',
  plan_feature_unavailable: 'PlanError',
};

export function refuseSubscription(
  engine: EngineContext,
  session: Session,
  channel: string,
  code: ErrorCode,
  message?: string,
): void {
  const spec = ERRORS[code];
  const text = message ?? spec.message;
  session.send(
    encodeSubscriptionError(channel, ERROR_TYPES[code] ?? 'SubscriptionError', text, spec.httpStatus),
  );
  engine.debug(session.app.id, () => ({ type: 'error', socketId: session.socketId, channel, message: text }));
}

export function handleSubscribe(engine: EngineContext, session: Session, frame: ClientFrame): void {
  const data = frameDataObject(frame.data);
  const channel = data?.channel;
  if (data === undefined || typeof channel !== 'string') {
    session.sendError('invalid_message', 'pusher:subscribe needs data.channel (a string)');
    return;
  }
  const nameError = checkChannelName(channel);
  if (nameError !== undefined) {
    refuseSubscription(engine, session, channel.slice(0, 200), nameError);
    return;
  }
  const app = session.app;
  const type = classifyChannel(channel);
  const existing = session.subscription(channel);
  if (existing) {
    // A repeated subscribe is acknowledged again rather than failing a channel that works.
    session.send(
      encodeSubscriptionSucceeded(
        channel,
        type.kind === 'presence' ? presenceData(engine, app.id, channel) : '{}',
      ),
    );
    return;
  }

  // Per-connection caps, before any signature work: what one socket may make the server hold.
  const { maxChannelsPerSocket, maxPresencePerSocket } = engine.limits;
  if (session.channelCount >= maxChannelsPerSocket) {
    refuseSubscription(
      engine,
      session,
      channel,
      'subscription_limit',
      `Too many subscriptions on this connection (maximum ${maxChannelsPerSocket})`,
    );
    return;
  }
  if (type.kind === 'presence' && session.presenceChannels >= maxPresencePerSocket) {
    refuseSubscription(
      engine,
      session,
      channel,
      'presence_channel_limit',
      `Too many presence channels on this connection (maximum ${maxPresencePerSocket})`,
    );
    return;
  }

  if (type.kind === 'server-to-user') {
    if (session.userId === undefined || session.userId !== serverToUserId(channel)) {
      refuseSubscription(engine, session, channel, 'server_to_user_forbidden');
      return;
    }
    engine.join(session, channel, undefined, undefined);
    session.send(encodeSubscriptionSucceeded(channel));
    engine.announceJoin(session, channel, false);
    return;
  }

  if (type.kind === 'encrypted' && !app.plan.encryptedChannels) {
    refuseSubscription(engine, session, channel, 'plan_feature_unavailable');
    return;
  }

  if (requiresAuth(type.kind)) {
    const channelData = type.kind === 'presence' ? data.channel_data : undefined;
    if (type.kind === 'presence' && typeof channelData !== 'string') {
      refuseSubscription(
        engine,
        session,
        channel,
        'invalid_channel_data',
        'Presence subscriptions need channel_data (a JSON string)',
      );
      return;
    }
    const toSign = channelStringToSign(session.socketId, channel, channelData as string | undefined);
    if (!verifyAuth(data.auth, app.key, app.secrets, toSign)) {
      refuseSubscription(
        engine,
        session,
        channel,
        'invalid_signature',
        `Invalid signature for channel ${channel}`,
      );
      return;
    }
  }

  if (type.kind === 'presence') {
    const identity = parseChannelData(data.channel_data);
    if (typeof identity === 'string') {
      refuseSubscription(engine, session, channel, identity);
      return;
    }
    const max = app.plan.maxPresenceMembers;
    if (
      max !== null &&
      !engine.cluster.members(app.id, channel).has(identity.userId) &&
      engine.cluster.memberCount(app.id, channel) >= max
    ) {
      refuseSubscription(
        engine,
        session,
        channel,
        'presence_full',
        `Presence channel is full (${max} members on this plan)`,
      );
      return;
    }
    engine.join(session, channel, identity.userId, identity.userInfoJson);
    session.send(encodeSubscriptionSucceeded(channel, presenceData(engine, app.id, channel)));
  } else {
    engine.join(session, channel, undefined, undefined);
    session.send(encodeSubscriptionSucceeded(channel));
  }
  // Only a subscription that went through counts for authorized connections: a presence join refused
  // after a valid signature (full channel, bad channel_data) leaves the socket unauthorized.
  if (requiresAuth(type.kind)) session.authorized = true;
  // Recovery (docs/history.md): replay what the client missed, before its next live event. A
  // replayed cache channel skips its cached event (older events would follow the latest one).
  const since = recoverySince(data);
  const retention = since === undefined || !engine.history ? null : historyRetention(app);
  engine.announceJoin(session, channel, type.cache && retention === null);
  if (since !== undefined && engine.history && !session.closed)
    engine.history.recover(engine, session, channel, since, retention);
}

function presenceData(engine: EngineContext, appId: string, channel: string): string {
  const members = engine.cluster.members(appId, channel);
  return encodePresenceData([...members].map(([userId, userInfoJson]) => ({ userId, userInfoJson })));
}
