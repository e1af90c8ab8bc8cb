// Client events (PROTOCOL.md §6): private and presence channels only, encrypted ones only with the
// app setting `encryptedClientEvents` and a valid secretbox envelope, subscribed sockets only, never echoed, `user_id` added on presence, 10 per second per connection
// (a non-closing 4301 beyond that).
import { clientEventsAllowed, historyRetention } from '../app.js';
import type { EngineContext } from '../engine-context.js';
import type { Session } from '../session.js';
import { classifyChannel } from '../../protocol/channel-name.js';
import { encodeRelayedClientEvent, type ClientFrame } from '../../protocol/codec.js';
import { checkEncryptedEnvelope } from '../../protocol/encrypted-envelope.js';
import { CLIENT_EVENTS_PER_SECOND, MAX_EVENT_NAME_LENGTH } from '../../protocol/limits.js';

export function handleClientEvent(engine: EngineContext, session: Session, frame: ClientFrame): void {
  const channel = frame.channel;
  const app = session.app;
  if (typeof channel !== 'string') {
    session.sendError('invalid_message', 'Client events need a "channel"');
    return;
  }
  const kind = classifyChannel(channel).kind;
  const refuse = (code: Parameters<Session['sendError']>[0], message?: string): void => {
    session.sendError(code, message);
    engine.debug(app.id, () => ({
      type: 'error',
      socketId: session.socketId,
      channel,
      event: frame.event,
      message: message ?? code,
    }));
  };
  if (kind === 'encrypted' && !app.settings.encryptedClientEvents) {
    refuse('client_event_encrypted');
    return;
  }
  if (!clientEventsAllowed(app)) {
    refuse(
      'client_events_disabled',
      app.plan.clientEvents ? undefined : `Client events are not available on the ${app.plan.name} plan`,
    );
    return;
  }
  if (kind !== 'private' && kind !== 'presence' && kind !== 'encrypted') {
    refuse('client_event_channel_type');
    return;
  }
  const subscription = session.subscription(channel);
  if (!subscription) {
    refuse(
      'client_event_not_subscribed',
      `Cannot broadcast client event (connection not subscribed to channel ${channel})`,
    );
    return;
  }
  if (frame.event.length > MAX_EVENT_NAME_LENGTH) {
    refuse('event_name_invalid', 'Event name too long (maximum 200 characters)');
    return;
  }
  const data = typeof frame.data === 'string' ? frame.data : JSON.stringify(frame.data ?? null);
  const notEnvelope = kind === 'encrypted' ? checkEncryptedEnvelope(data) : undefined;
  if (notEnvelope !== undefined) {
    refuse('encrypted_envelope_invalid', `Refused client event on ${channel}: ${notEnvelope}`);
    return;
  }
  const now = engine.clock.now();
  if (now - session.clientEventWindowStartMs >= 1000) {
    session.clientEventWindowStartMs = now;
    session.clientEventsInWindow = 0;
  }
  if (++session.clientEventsInWindow > CLIENT_EVENTS_PER_SECOND) {
    refuse('client_event_rate_limited');
    return;
  }
  const max = app.plan.maxMessagesPerDay;
  if (max !== null && engine.usage.messagesToday(app.accountId) >= max) {
    refuse('message_quota_exceeded');
    return;
  }
  const text = encodeRelayedClientEvent(frame.event, channel, frame.data, subscription.userId);
  const retention = engine.history && historyRetention(app);
  if (retention) {
    const event = { name: frame.event, data, userId: subscription.userId };
    engine.history.publish(engine, app, channel, event, text, session.socketId, retention);
  } else engine.broadcast(app, channel, text, session.socketId);
  engine.webhook(app, {
    name: 'client_event',
    channel,
    event: frame.event,
    data,
    socket_id: session.socketId,
    ...(subscription.userId === undefined ? {} : { user_id: subscription.userId }),
  });
  engine.debug(app.id, () => ({
    type: 'client_event',
    socketId: session.socketId,
    channel,
    event: frame.event,
    data,
  }));
}
