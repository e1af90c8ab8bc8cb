// `POST /apps/{id}/events` and `POST /apps/{id}/batch_events`.
import type { App } from '../../../core/app.js';
import type { Realtime } from '../../../core/ports/realtime.js';
import type { PublishInput } from '../../../core/ports/realtime-view.js';
import { MawjlyError } from '../../../protocol/errors.js';
import { MAX_EVENTS_PER_BATCH } from '../../../protocol/limits.js';
import { parseJsonObject } from '../read-body.js';
import { channelAttributes } from './channel-info.js';
import { EMPTY_RESULT, type RequestContext } from './endpoint.js';
import { parseInfo, readPublishInput, type InfoAttribute } from './publish-request.js';

/** `info` of a publish: read (and refused if unknown) before anything is published. */
const PUBLISH_INFO = ['user_count', 'subscription_count'] as const;

function infoResult(
  engine: Realtime,
  app: App,
  channels: readonly string[],
  attributes: readonly InfoAttribute[],
): Record<string, unknown> {
  // Keyed by channel names, which may be `__proto__`: an object without a prototype keeps it as data.
  const result = Object.create(null) as Record<string, unknown>;
  for (const channel of channels)
    result[channel] = channelAttributes(engine, app.id, channel, attributes, false);
  return result;
}

export function triggerEvent({ engine, app, body }: RequestContext): unknown {
  const json = parseJsonObject(body);
  const input = readPublishInput(json, false);
  const attributes = parseInfo(json.info, PUBLISH_INFO);
  engine.publish(app, input);
  return attributes.length > 0
    ? { channels: infoResult(engine, app, input.channels, attributes) }
    : EMPTY_RESULT;
}

export function triggerBatch({ engine, app, body }: RequestContext): unknown {
  const json = parseJsonObject(body);
  const batch = json.batch;
  if (!Array.isArray(batch)) throw new MawjlyError('invalid_request', 'Body must be {"batch":[…events…]}');
  if (batch.length === 0) throw new MawjlyError('invalid_request', 'The batch is empty');
  if (batch.length > MAX_EVENTS_PER_BATCH) throw new MawjlyError('batch_too_large');
  // One pass: the inputs as the engine takes them, and each event's `info` (no object per event).
  const inputs: PublishInput[] = [];
  const infos: (readonly InfoAttribute[])[] = [];
  let anyInfo = false;
  for (let index = 0; index < batch.length; index++) {
    const item: unknown = batch[index];
    if (typeof item !== 'object' || item === null || Array.isArray(item)) {
      throw new MawjlyError('invalid_request', `batch[${index}] must be an object`);
    }
    const record = item as Record<string, unknown>;
    inputs.push(readPublishInput(record, true));
    const attributes = parseInfo(record.info, PUBLISH_INFO);
    if (attributes.length > 0) anyInfo = true;
    infos.push(attributes);
  }
  engine.publishBatch(app, inputs);
  if (!anyInfo) return EMPTY_RESULT;
  return {
    batch: inputs.map((input, index) => {
      const attributes = infos[index] ?? [];
      const channel = input.channels[0] ?? '';
      return attributes.length > 0 ? (infoResult(engine, app, [channel], attributes)[channel] ?? {}) : {};
    }),
  };
}
