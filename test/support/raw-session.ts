// Steps of the protocol done by hand on a RawClient (subscribe, sign in), with signatures made by the
// `pusher` SDK as an app's auth endpoint would.
import Pusher from 'pusher';
import type { App } from '../../src/core/app.js';
import { channelStringToSign, signAuth } from '../../src/protocol/signing.js';
import type { RawClient } from './server.js';

function sdkFor(app: App, masterKeyBase64?: string): Pusher {
  return new Pusher({
    appId: app.id,
    key: app.key,
    secret: app.secrets[0] ?? '',
    host: '127.0.0.1',
    ...(masterKeyBase64 ? { encryptionMasterKeyBase64: masterKeyBase64 } : {}),
  });
}

/**
 * Subscribes a raw socket and waits for `pusher_internal:subscription_succeeded` (or rejects with the
 * `pusher:subscription_error` / `pusher:error` frame that came instead).
 */
export async function subscribeRaw(
  client: RawClient,
  app: App,
  channel: string,
  options: { userId?: string; userInfo?: Record<string, unknown>; timeoutMs?: number } = {},
): Promise<RawClient['frames'][number]> {
  const socketId = await client.socketId;
  const sdk = sdkFor(app);
  let data: Record<string, unknown> = { channel };
  if (channel.startsWith('presence-')) {
    const auth = sdk.authorizeChannel(socketId, channel, {
      user_id: options.userId ?? 'user-1',
      user_info: options.userInfo ?? {},
    });
    data = { channel, auth: auth.auth, channel_data: auth.channel_data };
  } else if (channel.startsWith('private-encrypted-')) {
    // The SDK refuses to sign these without a master key; a raw socket needs only the signature.
    data = { channel, auth: signAuth(app.key, app.secrets[0] ?? '', channelStringToSign(socketId, channel)) };
  } else if (channel.startsWith('private-')) {
    data = { channel, auth: sdk.authorizeChannel(socketId, channel).auth };
  }
  const old = new Set(client.frames);
  client.send({ event: 'pusher:subscribe', data });
  const result = await client.next(
    (f) =>
      !old.has(f) &&
      ((f.channel === channel &&
        (f.event === 'pusher_internal:subscription_succeeded' || f.event === 'pusher:subscription_error')) ||
        f.event === 'pusher:error'),
    options.timeoutMs,
  );
  if (result.event !== 'pusher_internal:subscription_succeeded') {
    throw new Error(`subscription to ${channel} failed: ${JSON.stringify(result)}`);
  }
  return result;
}

/** `pusher:signin` as `userId`; resolves on `pusher:signin_success`. */
export async function signinRaw(client: RawClient, app: App, userId: string): Promise<void> {
  const socketId = await client.socketId;
  const auth = sdkFor(app).authenticateUser(socketId, { id: userId });
  client.send({ event: 'pusher:signin', data: { auth: auth.auth, user_data: auth.user_data } });
  await client.next((f) => f.event === 'pusher:signin_success' || f.event === 'pusher:error');
  const last = client.frames.find((f) => f.event === 'pusher:signin_success');
  if (!last) throw new Error(`signin failed: ${JSON.stringify(client.frames.slice(-3))}`);
}

/** Frames received after index `from` (for "nothing else arrived before X" checks). */
export function framesBetween(
  client: RawClient,
  from: number,
  until: RawClient['frames'][number],
): RawClient['frames'] {
  const end = client.frames.indexOf(until);
  return client.frames.slice(from, end < 0 ? undefined : end);
}
