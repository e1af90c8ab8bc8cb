// Helpers for raw WebSocket tests: signatures computed here with node:crypto (independently of
// src/protocol), subscribe frames, and waits for a subscription's outcome.
import { createHmac } from 'node:crypto';
import type { App } from '../../src/core/app.js';
import type { RawClient } from './server.js';

type Frame = RawClient['frames'][number];

/** `key:hex(HMAC-SHA256(secret, stringToSign))`, as an app's auth endpoint would answer. */
export function sign(app: App, stringToSign: string): string {
  const secret = app.secrets[0] ?? '';
  return `${app.key}:${createHmac('sha256', secret).update(stringToSign, 'utf8').digest('hex')}`;
}

/** Channel auth over `socket_id:channel[:channel_data]`, with channel_data exactly as given. */
export function signChannel(app: App, socketId: string, channel: string, channelData?: string): string {
  return sign(
    app,
    channelData === undefined ? `${socketId}:${channel}` : `${socketId}:${channel}:${channelData}`,
  );
}

/** Sign-in auth over `socket_id::user::user_data`. */
export function signUser(app: App, socketId: string, userData: string): string {
  return sign(app, `${socketId}::user::${userData}`);
}

/** Sends `pusher:subscribe` exactly as pusher-js builds it (data as an object). */
export function sendSubscribe(client: RawClient, channel: string, auth = '', channelData?: string): void {
  client.send({
    event: 'pusher:subscribe',
    data: channelData === undefined ? { auth, channel } : { auth, channel_data: channelData, channel },
  });
}

/** Subscribes with a correct signature (for private, encrypted and presence channels) and waits for success. */
export async function subscribeSigned(
  client: RawClient,
  app: App,
  channel: string,
  channelData?: string,
): Promise<Frame> {
  const socketId = await client.socketId;
  const needsAuth = channel.startsWith('private-') || channel.startsWith('presence-');
  sendSubscribe(
    client,
    channel,
    needsAuth ? signChannel(app, socketId, channel, channelData) : '',
    channelData,
  );
  return client.next((f) => f.channel === channel && f.event === 'pusher_internal:subscription_succeeded');
}

/** Waits for either subscription_succeeded or subscription_error on a channel. */
export function subscriptionOutcome(client: RawClient, channel: string, timeoutMs = 5000): Promise<Frame> {
  return client.next(
    (f) =>
      f.channel === channel &&
      (f.event === 'pusher_internal:subscription_succeeded' || f.event === 'pusher:subscription_error'),
    timeoutMs,
  );
}

/** Parses a double-encoded `data` string (asserting that it is one). */
// eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- callers name the shape they expect
export function dataOf<T = Record<string, unknown>>(frame: Frame): T {
  if (typeof frame.data !== 'string') {
    throw new Error(`expected double-encoded string data, got ${JSON.stringify(frame.data)}`);
  }
  return JSON.parse(frame.data) as T;
}

/** Resolves after `ms`: only for bounded "nothing else happens" observation windows, never to wait for an event. */
export function quietWindow(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The raw socket's close code and reason, failing if it is still open after `timeoutMs`. */
export function closedWithin(client: RawClient, timeoutMs = 5000): Promise<{ code: number; reason: string }> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new Error(`socket still open after ${timeoutMs} ms`));
    }, timeoutMs);
    void client.closed.then((result) => {
      clearTimeout(timer);
      resolve(result);
    });
  });
}
