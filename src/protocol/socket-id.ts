// Socket ids have the shape `\d+\.\d+`; pusher-http-node rejects any other shape in every auth call.
import { randomInt } from 'node:crypto';

const SOCKET_ID = /^\d+\.\d+$/;
const MAX = 2 ** 47; // randomInt's upper bound must stay below 2^48

export function generateSocketId(): string {
  return `${randomInt(1, MAX)}.${randomInt(1, MAX)}`;
}

export function isSocketId(value: unknown): value is string {
  return typeof value === 'string' && value.length <= 64 && SOCKET_ID.test(value);
}
