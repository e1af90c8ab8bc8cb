// `POST /apps/{id}/events` and `POST /apps/{id}/batch_events`.
import type { App } from '../../../core/app.js';
import type { Engine } from '../../../core/engine.js';
import { publishEvents } from '../../../core/publisher.js';
import { MawjlyError } from '../../../protocol/errors.js';
import { MAX_EVENTS_PER_BATCH } from '../../../protocol/limits.js';
import { parseJsonObject } from '../read-body.js';
import { channelAttributes } from './channel-info.js';
import { EMPTY_RESULT, type RequestContext } from './endpoint.js';
import { parseInfo, readPublishInput, type InfoAttribute } from './publish-request.js';

/** `info` of a publish: read (and refused if unknown) before anything is published. */
const PUBLISH_INFO = ['user_count', 'subscription_count'] as const;

function infoResult(
  engine: Engine,
  app: App,
  channels: readonly string[],
  attributes: readonly InfoAttribute[],
): Record<string, unknown> {
  const result: Record<string, unknown> = {};
  for (const channel of channels)
    result[channel] = channelAttributes(engine, app.id, channel, attributes, false);
  return result;
}

export function triggerEvent({ engine, app, body }: RequestContext): unknown {
  const json = parseJsonObject(body);
  const input = readPublishInput(json, false);
  const attributes = parseInfo(json.info, PUBLISH_INFO);
  publishEvents(engine, app, [input]);
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
  const items = batch.map((item, index) => {
    if (typeof item !== 'object' || item === null || Array.isArray(item)) {
      throw new MawjlyError('invalid_request', `batch[${index}] must be an object`);
    }
    const record = item as Record<string, unknown>;
    return { input: readPublishInput(record, true), attributes: parseInfo(record.info, PUBLISH_INFO) };
  });
  publishEvents(
    engine,
    app,
    items.map((i) => i.input),
  );
  if (!items.some((i) => i.attributes.length > 0)) return EMPTY_RESULT;
  return {
    batch: items.map(({ input, attributes }) => {
      const channel = input.channels[0] ?? '';
      return attributes.length > 0 ? (infoResult(engine, app, [channel], attributes)[channel] ?? {}) : {};
    }),
  };
}
