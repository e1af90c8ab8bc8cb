// A webhook receiver: checks every request with the official `pusher` SDK, drops repeats by their
// X-Mawjly-Delivery-Id (delivery is at-least-once) and prints each event as a JSON line.
//   node examples/webhook-receiver/receiver.mjs   (then add http://127.0.0.1:3000/pusher/webhooks
//   as the app's webhook endpoint; Mawjly needs MAWJLY_WEBHOOKS_ALLOW_PRIVATE_TARGETS=true for it)
import { createServer } from 'node:http';
import Pusher from 'pusher';
import { examplePortFromEnv, mawjlyFromEnv } from '../config.mjs';

const { appId, key, secret } = mawjlyFromEnv();
const pusher = new Pusher({ appId, key, secret });
const seen = new Set(); // in production: your database, or Redis keys with a TTL of a day

const server = createServer((req, res) => {
  if (req.method !== 'POST' || req.url !== '/pusher/webhooks') {
    res.writeHead(404).end();
    return;
  }
  const chunks = [];
  req.on('data', (chunk) => chunks.push(chunk));
  req.on('end', () => {
    const rawBody = Buffer.concat(chunks).toString('utf8');
    const webhook = pusher.webhook({ headers: req.headers, rawBody });
    if (!webhook.isValid()) {
      res.writeHead(401).end(); // not signed with this app's secret: not from Mawjly
      return;
    }
    const id = req.headers['x-mawjly-delivery-id'];
    if (!seen.has(id)) {
      seen.add(id);
      for (const event of webhook.getEvents()) console.log(JSON.stringify(event));
    }
    res.writeHead(200).end(); // answer 2xx within 4 s, or Mawjly sends the same delivery again
  });
});
server.listen(examplePortFromEnv(), '127.0.0.1', () => {
  console.log(`webhook receiver on http://127.0.0.1:${server.address().port}/pusher/webhooks`);
});
