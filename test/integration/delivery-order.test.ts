// When the server is idle, a REST publish reaches its subscribers no later than its publisher hears
// the 200: the answer waits for the fan-out, never the reverse. Both transports promise it (ws writes
// frames synchronously, before the handler answers; uWS queues topic frames until the end of the
// event-loop turn, so its answer is held until they have left). Seen from the client side: which of
// the two sockets, the subscriber's WebSocket or the publisher's keep-alive HTTP connection, has
// bytes to read first (the kernel reports loopback sockets readable in the order they were written).
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { after, before, test } from 'node:test';
import { subscribeRaw } from '../support/raw-session.js';
import { signedTarget } from '../support/rest.js';
import { rawClient, startTestServer, type RawClient, type TestServer } from '../support/server.js';
import { withTimeout } from '../support/wait.js';

let server: TestServer;
before(async () => {
  server = await startTestServer();
});
after(async () => {
  await server.close();
});

/** A keep-alive HTTP/1.1 connection that sends one request at a time and reports each answer's first bytes. */
function keepAlive(socket: Socket, onAnswer: () => void): (request: string) => void {
  socket.on('data', () => {
    onAnswer();
  });
  socket.on('error', () => undefined);
  return (request) => {
    socket.write(request);
  };
}

function publishRequest(index: number): string {
  const { app } = server;
  const body = JSON.stringify({ name: 'tick', channel: 'delivery-order', data: String(index) });
  const target = signedTarget(app, { path: `/apps/${app.id}/events`, body });
  return (
    `POST ${target} HTTP/1.1\r\nHost: ${server.host}\r\nContent-Type: application/json\r\n` +
    `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`
  );
}

test('an idle server delivers a publish to its subscribers before it answers the publisher', async () => {
  const subscribers: RawClient[] = [];
  let socket: Socket | undefined;
  try {
    for (let i = 0; i < 3; i++) {
      const client = rawClient(server, server.app.key);
      subscribers.push(client);
      await subscribeRaw(client, server.app, 'delivery-order');
    }
    const publisher = connect(server.port, server.host);
    socket = publisher;
    await withTimeout(
      new Promise((resolve) => publisher.once('connect', resolve)),
      5000,
      'connecting the publisher',
    );
    // What arrived, in order: 'frame' (any subscriber's tick) or 'answer'.
    let arrivals: string[] = [];
    let answered: () => void = () => undefined;
    let delivered: () => void = () => undefined;
    for (const client of subscribers)
      client.ws.on('message', (data: Buffer) => {
        if (!data.toString().includes('"tick"')) return;
        arrivals.push('frame');
        delivered();
      });
    const send = keepAlive(publisher, () => {
      arrivals.push('answer');
      answered();
    });
    const orders: string[][] = [];
    for (let i = 0; i < 8; i++) {
      arrivals = [];
      let frames = 0;
      const allDelivered = new Promise<void>((resolve) => {
        delivered = () => {
          if (++frames === subscribers.length) resolve();
        };
      });
      const answer = new Promise<void>((resolve) => {
        answered = resolve;
      });
      send(publishRequest(i));
      await withTimeout(Promise.all([allDelivered, answer]), 5000, `publish ${String(i)}`);
      orders.push(arrivals);
      // An idle gap between publishes, as a lightly loaded server sees them.
      await new Promise((resolve) => setTimeout(resolve, 40));
    }
    for (const order of orders)
      assert.deepEqual(
        order,
        ['frame', 'frame', 'frame', 'answer'],
        `every subscriber's frame arrives before the answer: ${JSON.stringify(orders)}`,
      );
  } finally {
    socket?.destroy();
    for (const client of subscribers) client.close();
  }
});
