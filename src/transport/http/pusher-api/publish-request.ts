import type { PublishInput } from '../../../core/ports/realtime-view.js';
import { MawjlyError } from '../../../protocol/errors.js';

export type InfoAttribute = 'user_count' | 'subscription_count' | 'cache';

/** No `info`: one shared empty list (a batch reads `info` of every event). */
const NO_INFO: readonly InfoAttribute[] = Object.freeze([]);

/** Reads `info=a,b` into known attribute names; an unknown one is a 400. */
export function parseInfo(value: unknown, allowed: readonly InfoAttribute[]): readonly InfoAttribute[] {
  if (value === undefined || value === null || value === '') return NO_INFO;
  if (typeof value !== 'string')
    throw new MawjlyError('invalid_request', '"info" must be a comma-separated string');
  const names = value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  for (const name of names) {
    if (!(allowed as readonly string[]).includes(name)) {
      throw new MawjlyError(
        'invalid_request',
        `Unknown info attribute '${name.slice(0, 50)}' (allowed: ${allowed.join(', ')})`,
      );
    }
  }
  return names as InfoAttribute[];
}

/** One event of `POST events` or of a batch item, as the engine takes it. */
export function readPublishInput(body: Record<string, unknown>, singleChannel: boolean): PublishInput {
  const { name, data, channel, channels, socket_id: socketId } = body;
  let list: unknown[];
  if (singleChannel) {
    if (typeof channel !== 'string')
      throw new MawjlyError('invalid_request', 'Each batch event needs a "channel" string');
    list = [channel];
  } else if (channels !== undefined) {
    if (!Array.isArray(channels))
      throw new MawjlyError('invalid_request', '"channels" must be an array of channel names');
    list = channels;
  } else if (typeof channel === 'string') list = [channel];
  else throw new MawjlyError('invalid_request', 'Give "channel" or a non-empty "channels" array');
  if (socketId !== undefined && socketId !== null && typeof socketId !== 'string') {
    throw new MawjlyError('invalid_request', '"socket_id" must be a string');
  }
  // The same fields as before, socketId only when given, without spreading a temporary object.
  const input: { name: string; data: string; channels: string[]; socketId?: string } = {
    name: name as string,
    data: data as string,
    channels: list as string[],
  };
  if (typeof socketId === 'string') input.socketId = socketId;
  return input;
}
