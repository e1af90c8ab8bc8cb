// Helpers for the dashboard's Webhooks tab tests and screenshots: a real HTTP receiver on 127.0.0.1
// that checks every request with the official `pusher` SDK, delivery-log rows written through the
// server's own webhook store.
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import Pusher from 'pusher';
import type { WebhookEventType } from '../../src/core/ports/webhook-store.js';
import type { Management } from '../../src/management/management.js';
import type { SeededUser } from './dashboard-stack.js';

export interface ReceivedWebhook {
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  /** pusher.webhook({headers, rawBody}).isValid() */
  readonly valid: boolean;
  readonly events: unknown[];
}

export interface Receiver {
  readonly url: string;
  readonly received: ReceivedWebhook[];
  /** The status the receiver answers with (default 200). */
  status: number;
  close(): Promise<void>;
}

export async function startReceiver(app: SeededUser, path = '/pusher/webhooks'): Promise<Receiver> {
  const pusher = new Pusher({ appId: app.appId, key: app.appKey, secret: app.appSecret, host: '127.0.0.1' });
  const received: ReceivedWebhook[] = [];
  const state = { status: 200 };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const hook = pusher.webhook({ headers: req.headers, rawBody: body });
      const valid = hook.isValid();
      received.push({ headers: req.headers, body, valid, events: valid ? hook.getEvents() : [] });
      res.writeHead(state.status, { 'Content-Type': 'text/plain' });
      res.end(state.status < 300 ? 'ok' : 'nope');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}${path}`,
    received,
    get status() {
      return state.status;
    },
    set status(value: number) {
      state.status = value;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          resolve();
        });
      }),
  };
}

/** Writes delivery-log rows through the server's webhook store: one delivered, one dead-lettered. */
export async function seedDeliveries(
  management: Management,
  appId: string,
  endpointId: string,
): Promise<{ delivered: string; dead: string }> {
  const store = management.store.webhooks;
  const batch = async (
    events: { name: WebhookEventType; channel: string; user_id?: string }[],
    outcome: {
      state: 'delivered' | 'dead';
      status: number | null;
      error: string | null;
      latencyMs: number | null;
    },
  ): Promise<string> => {
    const now = Date.now();
    await store.enqueue(
      events.map((e) => ({
        appId,
        name: e.name,
        channel: e.channel,
        userId: e.user_id ?? null,
        payload: JSON.stringify(e),
        endpointIds: [endpointId],
      })),
      now,
    );
    const queued = await store.peekQueue(endpointId, 20);
    const id = `dlv_${randomBytes(12).toString('hex')}`;
    const body = JSON.stringify({
      time_ms: now,
      events: queued.map((q) => JSON.parse(q.payload) as unknown),
    });
    const delivery = await store.createDelivery(
      endpointId,
      queued,
      { id, body, deadlineAt: now + 300_000 },
      now,
    );
    if (!delivery) throw new Error('the queued events were taken by someone else');
    await store.recordAttempt(id, { ...outcome, at: now, nextAttemptAt: null });
    return id;
  };
  const delivered = await batch(
    [
      { name: 'channel_occupied', channel: 'presence-room-1' },
      { name: 'member_added', channel: 'presence-room-1', user_id: 'alice' },
    ],
    { state: 'delivered', status: 200, error: null, latencyMs: 14 },
  );
  const dead = await batch(
    [{ name: 'member_removed', channel: 'presence-room-1', user_id: '<img src=x onerror=alert(1)>' }],
    { state: 'dead', status: 500, error: 'HTTP 500', latencyMs: 9 },
  );
  return { delivered, dead };
}
