// A backend service that reads an app's encrypted channels: it holds the app secret and the master
// key, so it signs its own subscriptions (no auth endpoint round trip) and derives each channel's
// key locally. Prints every decrypted event as one JSON line.
//   node examples/inter-service/subscriber.mjs [channel ...]   (default: private-encrypted-orders.42)
import { createHmac } from 'node:crypto';
import Pusher from '@mawjly/client';
import { mawjlyFromEnv } from '../config.mjs';

const mawjly = mawjlyFromEnv();

const channels = process.argv.length > 2 ? process.argv.slice(2) : ['private-encrypted-orders.42'];

const pusher = new Pusher(mawjly.key, {
  cluster: mawjly.cluster,
  wsHost: mawjly.host,
  wsPort: mawjly.port,
  wssPort: mawjly.port,
  forceTLS: mawjly.useTLS,
  enabledTransports: ['ws', 'wss'],
  channelAuthorization: {
    // Same signature an auth endpoint would return: HMAC-SHA256(secret, "socket_id:channel").
    customHandler: ({ socketId, channelName }, callback) => {
      const signature = createHmac('sha256', mawjly.secret)
        .update(`${socketId}:${channelName}`)
        .digest('hex');
      callback(null, { auth: `${mawjly.key}:${signature}` });
    },
  },
  encryptionMasterKeyBase64: mawjly.encryptionMasterKeyBase64,
});

for (const name of channels) {
  const channel = pusher.subscribe(name);
  channel.bind('pusher:subscription_succeeded', () => {
    console.log(JSON.stringify({ subscribed: name }));
  });
  channel.bind('pusher:subscription_error', (error) => {
    console.error(JSON.stringify({ subscription_error: name, error }));
  });
  channel.bind_global((event, data) => {
    if (!event.startsWith('pusher:')) console.log(JSON.stringify({ channel: name, event, data }));
  });
}

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    pusher.disconnect();
    process.exit(0);
  });
}
