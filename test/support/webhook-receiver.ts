// A real webhook receiver for tests: an HTTP server on 127.0.0.1 port 0 that checks every request
// with the official `pusher` SDK (`webhook({headers, rawBody}).isValid()`, `getEvents()`) and
// records it. Its mode decides the answer: `ok` (200), `fail` (503), `reset` (the connection is
// destroyed, as if the receiver were down) or `hang` (never answers).
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import Pusher from 'pusher';

export interface ReceivedWebhook {
  readonly at: number;
  readonly headers: IncomingHttpHeaders;
  readonly rawBody: string;
  /** The SDK's verdict. */
  readonly valid: boolean;
  /** `getEvents()` of the SDK (only for valid requests). */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly events: any[];
  readonly deliveryId: string;
  /** The mode the request met (only `ok` requests were accepted). */
  readonly answered: Mode;
}

type Mode = 'ok' | 'fail' | 'reset' | 'hang';

export interface Receiver {
  readonly url: string;
  readonly port: number;
  /** Every request, accepted or not. */
  readonly requests: ReceivedWebhook[];
  mode: Mode;
  /** Accepted (answered 200) requests. */
  accepted(): ReceivedWebhook[];
  /** Events of accepted requests, in arrival order, each with the request's time. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  events(): Record<string, any>[];
  /** Resolves once `predicate` holds (checked on every request), or rejects after `timeoutMs`. */
  waitFor(predicate: (r: Receiver) => boolean, timeoutMs?: number, what?: string): Promise<void>;
  close(): Promise<void>;
}

export async function startReceiver(app: { id: string; key: string; secret: string }): Promise<Receiver> {
  const sdk = new Pusher({ appId: app.id, key: app.key, secret: app.secret, host: '127.0.0.1' });
  const requests: ReceivedWebhook[] = [];
  const waiters = new Set<() => void>();
  const sockets = new Set<Socket>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const rawBody = Buffer.concat(chunks).toString('utf8');
      const webhook = sdk.webhook({ headers: req.headers, rawBody });
      const valid = webhook.isValid();
      const answered = receiver.mode;
      requests.push({
        at: Date.now(),
        headers: req.headers,
        rawBody,
        valid,
        events: valid ? webhook.getEvents() : [],
        deliveryId: String(req.headers['x-mawjly-delivery-id'] ?? ''),
        answered,
      });
      for (const wake of [...waiters]) wake();
      if (answered === 'ok') res.writeHead(valid ? 200 : 401).end('ok');
      else if (answered === 'fail') res.writeHead(503).end('down');
      else if (answered === 'reset') req.socket.destroy();
      // hang: no answer at all
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const receiver: Receiver = {
    url: `http://127.0.0.1:${port}/webhooks`,
    port,
    requests,
    mode: 'ok',
    accepted: () => requests.filter((r) => r.answered === 'ok' && r.valid),
    events: () =>
      receiver
        .accepted()
        .flatMap((r) => r.events.map((e: object) => ({ ...e, at: r.at, deliveryId: r.deliveryId }))),
    waitFor: (predicate, timeoutMs = 20_000, what = 'the expected webhooks') =>
      new Promise((resolve, reject) => {
        const check = (): void => {
          if (!predicate(receiver)) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve();
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(
            new Error(
              `timed out waiting for ${what}; received: ${JSON.stringify(receiver.events().map((e) => `${String(e.name)}:${String(e.channel)}:${String(e.user_id ?? e.event ?? '')}`))}`,
            ),
          );
        }, timeoutMs);
        waiters.add(check);
        check();
      }),
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) =>
        server.close(() => {
          resolve();
        }),
      );
    },
  };
  return receiver;
}
