// The official SDKs against a running server: `pusher` (Node server SDK) publishes, `pusher-js` (its
// Node build) subscribes, with the channel authorization done by pusher.authorizeChannel as a
// customer's auth endpoint would.
import Pusher from 'pusher';
import { createRequire } from 'node:module';
import type PusherClient from 'pusher-js/types/src/core/pusher.js';

// pusher-js's Node build is CommonJS whose module.exports is the class, while its typings declare an
// ES default export; requiring it gives the class with the right type under NodeNext.
const PusherJs = createRequire(import.meta.url)('pusher-js') as typeof PusherClient.default;

export interface AppCredentials {
  readonly appId: string;
  readonly appKey: string;
  readonly appSecret: string;
}

export interface SdkClient {
  roundTripEncrypted(keyBase64: string, data: unknown): Promise<unknown>;
  publishPlain(channel: string, event: string, data: unknown): Promise<void>;
  publishEncrypted(keyBase64: string, channel: string, event: string, data: unknown): Promise<void>;
  /** A pusher-js client subscribed to `channels` (presence ones as `userId`); resolves once all succeeded. */
  openClient(channels: readonly string[], userId?: string): Promise<{ close(): void }>;
}

export function sdkClient(serverUrl: string, app: AppCredentials): SdkClient {
  const { hostname, port } = new URL(serverUrl);
  const server = (keyBase64?: string): Pusher =>
    new Pusher({
      appId: app.appId,
      key: app.appKey,
      secret: app.appSecret,
      host: hostname,
      port,
      useTLS: false,
      ...(keyBase64 !== undefined ? { encryptionMasterKeyBase64: keyBase64 } : {}),
    });

  const client = (keyBase64?: string, userId = 'user-1'): InstanceType<typeof PusherJs> => {
    const publisher = server(keyBase64);
    return new PusherJs(app.appKey, {
      cluster: 'sa',
      wsHost: hostname,
      wsPort: Number(port),
      forceTLS: false,
      enabledTransports: ['ws'],
      disableStats: true,
      channelAuthorization: {
        endpoint: '/unused',
        transport: 'ajax',
        customHandler: (params, callback) => {
          callback(
            null,
            params.channelName.startsWith('presence-')
              ? publisher.authorizeChannel(params.socketId, params.channelName, {
                  user_id: userId,
                  user_info: { name: `User ${userId}` },
                })
              : publisher.authorizeChannel(params.socketId, params.channelName),
          );
        },
      },
    });
  };

  return {
    async openClient(channels, userId) {
      const c = client(undefined, userId);
      await Promise.all(
        channels.map(
          (name) =>
            new Promise<void>((resolve, reject) => {
              const channel = c.subscribe(name);
              channel.bind('pusher:subscription_succeeded', () => {
                resolve();
              });
              channel.bind('pusher:subscription_error', (err: unknown) => {
                reject(new Error(`subscription to ${name} refused: ${JSON.stringify(err)}`));
              });
            }),
        ),
      );
      return {
        close() {
          c.disconnect();
        },
      };
    },
    async roundTripEncrypted(keyBase64, data) {
      const publisher = server(keyBase64);
      const channelName = `private-encrypted-dashboard-${Date.now()}`;
      const subscriber = client(keyBase64);
      try {
        return await new Promise<unknown>((resolve, reject) => {
          const timer = setTimeout(() => {
            reject(new Error('no decrypted event within 10 s'));
          }, 10_000);
          const channel = subscriber.subscribe(channelName);
          channel.bind('pusher:subscription_error', (err: unknown) => {
            clearTimeout(timer);
            reject(new Error(`subscription refused: ${JSON.stringify(err)}`));
          });
          channel.bind('order.shipped', (received: unknown) => {
            clearTimeout(timer);
            resolve(received);
          });
          channel.bind('pusher:subscription_succeeded', () => {
            publisher.trigger(channelName, 'order.shipped', data).catch((err: unknown) => {
              clearTimeout(timer);
              reject(err instanceof Error ? err : new Error(String(err)));
            });
          });
        });
      } finally {
        subscriber.disconnect();
      }
    },
    async publishPlain(channel, event, data) {
      await server().trigger(channel, event, data);
    },
    async publishEncrypted(keyBase64, channel, event, data) {
      await server(keyBase64).trigger(channel, event, data);
    },
  };
}
