// The client of the warm-up rehearsal (warm-up.ts), run in a child process: WebSocket subscribers
// to a public, a private and a presence channel, then signed REST publishes, batches and channel
// queries, over loopback, as an app's backend and browsers would send them. It signs with
// node:crypto directly, so none of the server's own functions see a client's calls.
import { createHash, createHmac } from 'node:crypto';
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import WebSocket from 'ws';
import type { WarmUpLoad } from './warm-up.js';

export interface WarmUpClientData {
  readonly port: number;
  readonly tls: boolean;
  readonly app: { readonly id: string; readonly key: string; readonly secret: string };
  readonly load: WarmUpLoad;
}

export interface WarmUpClientReport {
  /** Events published (a batch counts its events). */
  readonly publishes: number;
  /** Channel events the subscribers received. */
  readonly deliveries: number;
}

type Data = WarmUpClientData;

async function drive(data: Data): Promise<WarmUpClientReport> {
  const { app, load } = data;
  const sockets: Subscriber[] = [];
  try {
    for (let i = 0; i < load.subscribers; i++) sockets.push(await Subscriber.open(data, i));
    const rest = new RestClient(data, 8);
    try {
      const event = (i: number): string => JSON.stringify({ n: i, text: 'warm-up', pad: 'x'.repeat(100) });
      await rest.run(load.publishes, (i) => ({
        path: `/apps/${app.id}/events`,
        body: JSON.stringify({ name: 'warm-up', channel: 'warm-up', data: event(i) }),
      }));
      await rest.run(load.batches, (i) => ({
        path: `/apps/${app.id}/batch_events`,
        body: JSON.stringify({
          batch: Array.from({ length: 10 }, (_, k) => ({
            name: 'warm-up',
            channel: `private-warm-up-${String((i + k) % Math.max(1, load.subscribers))}`,
            data: event(i),
          })),
        }),
      }));
      const queries = [
        `/apps/${app.id}/channels`,
        `/apps/${app.id}/channels/warm-up`,
        `/apps/${app.id}/channels/presence-warm-up`,
        `/apps/${app.id}/channels/presence-warm-up/users`,
      ];
      await rest.run(load.queries, (i) => ({ path: queries[i % queries.length] as string }));
    } finally {
      rest.close();
    }
    return {
      publishes: load.publishes + load.batches * 10,
      deliveries: sockets.reduce((sum, s) => sum + s.received, 0),
    };
  } finally {
    await Promise.all(sockets.map((s) => s.close()));
  }
}

/** One WebSocket client subscribed to the public channel, its private channel and the presence channel. */
class Subscriber {
  received = 0;
  readonly #ws: WebSocket;

  private constructor(ws: WebSocket) {
    this.#ws = ws;
  }

  static async open(data: Data, index: number): Promise<Subscriber> {
    const { app } = data;
    const ws = new WebSocket(
      `${data.tls ? 'wss' : 'ws'}://127.0.0.1:${String(data.port)}/app/${app.key}?protocol=7&client=mawjly-warm-up`,
      { rejectUnauthorized: false },
    );
    const subscriber = new Subscriber(ws);
    const channels = ['warm-up', `private-warm-up-${String(index)}`, 'presence-warm-up'];
    await new Promise<void>((resolve, reject) => {
      let pending = channels.length;
      ws.on('error', reject);
      ws.on('close', (code) => {
        reject(new Error(`the rehearsal closed a warm-up connection (${String(code)})`));
      });
      ws.on('message', (raw: Buffer) => {
        const message = JSON.parse(raw.toString()) as { event: string; data?: string };
        if (message.event === 'pusher:connection_established') {
          const { socket_id: socketId } = JSON.parse(message.data ?? '{}') as { socket_id: string };
          for (const channel of channels) ws.send(subscribeFrame(data, socketId, channel, index));
        } else if (message.event === 'pusher_internal:subscription_succeeded') {
          if (--pending === 0) resolve();
        } else if (message.event === 'pusher:error')
          reject(new Error(`the rehearsal refused a warm-up subscription: ${JSON.stringify(message.data)}`));
        else subscriber.received++;
      });
    });
    ws.removeAllListeners('close');
    ws.removeAllListeners('error');
    ws.on('error', () => undefined);
    return subscriber;
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (this.#ws.readyState === WebSocket.CLOSED) {
        resolve();
        return;
      }
      this.#ws.once('close', () => {
        resolve();
      });
      this.#ws.close(1000);
    });
  }
}

function subscribeFrame(data: Data, socketId: string, channel: string, index: number): string {
  const { app } = data;
  const subscribe: Record<string, string> = { channel };
  if (channel.startsWith('presence-')) {
    const channelData = JSON.stringify({ user_id: `user-${String(index)}`, user_info: { name: 'Warm-up' } });
    subscribe.channel_data = channelData;
    subscribe.auth = `${app.key}:${hmac(app.secret, `${socketId}:${channel}:${channelData}`)}`;
  } else if (channel.startsWith('private-'))
    subscribe.auth = `${app.key}:${hmac(app.secret, `${socketId}:${channel}`)}`;
  return JSON.stringify({ event: 'pusher:subscribe', data: subscribe });
}

function hmac(secret: string, text: string): string {
  return createHmac('sha256', secret).update(text).digest('hex');
}

interface Call {
  readonly path: string;
  readonly body?: string;
}

/** Signed REST calls (PROTOCOL.md §7) over keep-alive connections, `concurrency` at a time. */
class RestClient {
  readonly #data: Data;
  readonly #concurrency: number;
  readonly #agent: HttpAgent;

  constructor(data: Data, concurrency: number) {
    this.#data = data;
    this.#concurrency = concurrency;
    this.#agent = data.tls
      ? new HttpsAgent({ keepAlive: true, maxSockets: concurrency, rejectUnauthorized: false })
      : new HttpAgent({ keepAlive: true, maxSockets: concurrency });
  }

  async run(count: number, make: (i: number) => Call): Promise<void> {
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < count) await this.#send(make(next++));
    };
    await Promise.all(Array.from({ length: Math.min(this.#concurrency, count) }, worker));
  }

  close(): void {
    this.#agent.destroy();
  }

  #send(call: Call): Promise<void> {
    const { app } = this.#data;
    const method = call.body === undefined ? 'GET' : 'POST';
    // The parameters in name order (auth_key, auth_timestamp, auth_version, body_md5): canonical.
    let query = `auth_key=${app.key}&auth_timestamp=${String(Math.floor(Date.now() / 1000))}&auth_version=1.0`;
    if (call.body !== undefined) query += `&body_md5=${createHash('md5').update(call.body).digest('hex')}`;
    const signature = hmac(app.secret, `${method}\n${call.path}\n${query}`);
    const send = this.#data.tls ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const req = send(
        {
          host: '127.0.0.1',
          port: this.#data.port,
          method,
          path: `${call.path}?${query}&auth_signature=${signature}`,
          agent: this.#agent,
          headers: call.body === undefined ? {} : { 'content-type': 'application/json' },
        },
        (res) => {
          res.resume();
          res.on('end', () => {
            if (res.statusCode === 200) resolve();
            else reject(new Error(`warm-up ${method} ${call.path}: HTTP ${String(res.statusCode)}`));
          });
        },
      );
      req.on('error', reject);
      req.end(call.body);
    });
  }
}

// Started by warm-up.ts with an IPC channel: one message in (what to drive), one report out. A
// parent that goes away takes the client with it.
process.once('disconnect', () => {
  process.exit(0);
});
process.once('message', (data: Data) => {
  drive(data).then(
    (report) => {
      process.send?.(report, () => {
        process.disconnect();
      });
    },
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(1);
    },
  );
});
