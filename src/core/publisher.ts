// Backend publishes (REST `events` / `batch_events`, the management event creator): validate every
// event first (all or nothing), then encode each (event, channel) once and hand the same text to the
// cluster and to this node's subscribers.
import { historyRetention, type App } from './app.js';
import type { DeliveryTally, EngineContext } from './engine-context.js';
import type { PublishInput } from './ports/realtime-view.js';
import { checkChannelName, classifyChannel, isEncryptedChannel } from '../protocol/channel-name.js';
import { encodeChannelEvent } from '../protocol/codec.js';
import { checkEncryptedEnvelope } from '../protocol/encrypted-envelope.js';
import { MawjlyError } from '../protocol/errors.js';
import { INTERNAL_EVENT_PREFIX, PUSHER_EVENT_PREFIX } from '../protocol/events.js';
import { MAX_CHANNELS_PER_PUBLISH, MAX_EVENT_DATA_BYTES, MAX_EVENT_NAME_LENGTH } from '../protocol/limits.js';
import { isSocketId } from '../protocol/socket-id.js';

/** Throws MawjlyError when the event cannot be published as given. */
export function validatePublish(engine: EngineContext, app: App, input: PublishInput): void {
  const { name, channels, data, socketId } = input;
  if (typeof name !== 'string' || name.length === 0)
    throw new MawjlyError('event_name_invalid', 'Event "name" must be a non-empty string');
  if (name.length > MAX_EVENT_NAME_LENGTH)
    throw new MawjlyError('event_name_invalid', 'Event name too long (maximum 200 characters)');
  if (name.startsWith(PUSHER_EVENT_PREFIX) || name.startsWith(INTERNAL_EVENT_PREFIX)) {
    throw new MawjlyError(
      'event_name_invalid',
      'Event names starting with pusher: or pusher_internal: are reserved',
    );
  }
  if (typeof data !== 'string')
    throw new MawjlyError('invalid_request', 'Event "data" must be a string (JSON-encode objects)');
  // A UTF-16 code unit is at most 3 UTF-8 bytes: a short string needs no byte count.
  if (data.length * 3 > MAX_EVENT_DATA_BYTES && Buffer.byteLength(data, 'utf8') > MAX_EVENT_DATA_BYTES) {
    engine.metrics.publishRejected('payload_too_large');
    throw new MawjlyError('payload_too_large');
  }
  if (!Array.isArray(channels) || channels.length === 0) {
    throw new MawjlyError('invalid_request', 'Give "channel" or a non-empty "channels" array');
  }
  if (channels.length > MAX_CHANNELS_PER_PUBLISH) throw new MawjlyError('too_many_channels');
  for (const channel of channels) {
    const error = checkChannelName(channel);
    if (error !== undefined) {
      const shown = typeof channel === 'string' ? channel.slice(0, 210) : JSON.stringify(channel);
      throw new MawjlyError(
        error,
        `${error === 'channel_name_too_long' ? 'Channel name too long (maximum 200 characters)' : 'Invalid channel name'}: ${shown}`,
      );
    }
  }
  if (socketId !== undefined && !isSocketId(socketId))
    throw new MawjlyError('invalid_request', 'Invalid socket_id');
  // The encrypted channel, if any (no array is built per publish to find it).
  let encrypted: string | undefined;
  for (const channel of channels as string[])
    if (isEncryptedChannel(channel)) {
      encrypted = channel;
      break;
    }
  if (encrypted !== undefined) {
    if (channels.length > 1) {
      engine.metrics.publishRejected('encrypted_multichannel');
      throw new MawjlyError('encrypted_multichannel');
    }
    if (!app.plan.encryptedChannels) {
      engine.metrics.publishRejected('plan_feature_unavailable');
      throw new MawjlyError('plan_feature_unavailable');
    }
    if (engine.limits.checkEncryptedEnvelope) {
      const reason = checkEncryptedEnvelope(data);
      if (reason !== undefined) {
        engine.metrics.publishRejected('encrypted_envelope_invalid');
        throw new MawjlyError('encrypted_envelope_invalid', `Refused publish to ${encrypted}: ${reason}`);
      }
    }
  }
}

/** Checks the app-wide conditions of a publish: enabled, message quota. */
export function checkCanPublish(engine: EngineContext, app: App): void {
  if (!app.settings.enabled) {
    engine.metrics.publishRejected('app_disabled');
    throw new MawjlyError('app_disabled');
  }
  const max = app.plan.maxMessagesPerDay;
  if (max !== null && engine.usage.messagesToday(app.accountId) >= max) {
    engine.metrics.publishRejected('message_quota_exceeded');
    throw new MawjlyError('message_quota_exceeded');
  }
}

/** Validates every event, then publishes them all. */
export function publishEvents(engine: EngineContext, app: App, inputs: readonly PublishInput[]): void {
  checkCanPublish(engine, app);
  for (const input of inputs) validatePublish(engine, app, input);
  // Pusher counts a publish once per channel it names, then once per delivery: both are counted
  // once for the whole call (one usage update and one metrics update, not one per channel).
  let published = 0;
  const tally: DeliveryTally = { count: 0, bytes: 0 };
  const retention = engine.history && historyRetention(app);
  for (const input of inputs) {
    for (const channel of input.channels) {
      if (retention) {
        const text = encodeChannelEvent(input.name, channel, input.data);
        const event = { name: input.name, data: input.data };
        engine.history.publish(engine, app, channel, event, text, input.socketId, retention);
      } else if (engine.reaches(app.id, channel)) {
        // No frame is built for a publish nobody receives (no subscriber here, no other node).
        const text = encodeChannelEvent(input.name, channel, input.data);
        engine.broadcast(app, channel, text, input.socketId, tally);
      }
      if (classifyChannel(channel).cache)
        engine.cache.set(app.id, channel, input.name, input.data, engine.clock.now());
    }
    published += input.channels.length;
  }
  if (tally.count > 0) engine.metrics.messagesOut(app.id, tally.count, tally.bytes);
  engine.usage.addMessages(app, published + tally.count);
  for (const input of inputs) engine.debugPublished(app.id, input);
}
