// The product page's server-side snippet: the SDK encrypts `data` before it leaves this process.
//   node examples/auth-endpoint/trigger.mjs
import Pusher from 'pusher';
import { mawjlyFromEnv } from '../config.mjs';

const mawjly = mawjlyFromEnv();

const pusher = new Pusher({
  appId: mawjly.appId,
  key: mawjly.key,
  secret: mawjly.secret,
  cluster: mawjly.cluster,
  host: mawjly.host,
  port: String(mawjly.port),
  useTLS: mawjly.useTLS,
  encryptionMasterKeyBase64: mawjly.encryptionMasterKeyBase64,
});

await pusher.trigger('private-encrypted-orders.42', 'order.shipped', {
  orderId: '12345',
  trackingNumber: 'PII_HERE',
});
console.log('order.shipped sent to private-encrypted-orders.42');
