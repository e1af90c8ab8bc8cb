// Health and readiness probes, and the Prometheus metrics on their own port.
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { has, scrape, valueOf } from '../support/metrics.js';
import { rawRequest, signedRequest } from '../support/rest.js';
import { subscribeRaw } from '../support/raw-session.js';
import { makeApp, rawClient, startTestServer, type RawClient, type TestServer } from '../support/server.js';

/** Reads from a raw TCP socket until `pattern` appears in everything received so far. */
function readUntil(
  socket: Socket,
  received: { text: string },
  pattern: RegExp,
  timeoutMs = 5000,
): Promise<string> {
  return new Promise((resolve, reject) => {
    const check = (): boolean => {
      if (!pattern.test(received.text)) return false;
      clearTimeout(timer);
      socket.off('data', onData);
      resolve(received.text);
      return true;
    };
    const onData = (): void => {
      check();
    };
    const timer = setTimeout(() => {
      socket.off('data', onData);
      reject(
        new Error(
          `timed out waiting for ${String(pattern)}; got ${JSON.stringify(received.text.slice(0, 500))}`,
        ),
      );
    }, timeoutMs);
    socket.on('data', onData);
    check();
  });
}

describe('probes', () => {
  test('/health and /ready answer 200 while running, /ready 503 while draining', async () => {
    const server = await startTestServer();
    let socket: Socket | undefined;
    try {
      const health = await rawRequest(server, 'GET', '/health');
      assert.equal(health.status, 200);
      const ready = await rawRequest(server, 'GET', '/ready');
      assert.equal(ready.status, 200);
      assert.equal((ready.json as { status: string }).status, 'ok');
      assert.deepEqual(
        (ready.json as { checks: { bus: { ok: boolean; state: string } } }).checks.bus.state,
        'connected',
      );

      // A keep-alive connection with a request in flight when close() starts: the listener stops
      // accepting, but this connection still gets answers, and /ready must now say 503.
      socket = connect(server.port, '127.0.0.1');
      const received = { text: '' };
      socket.on('data', (d: Buffer) => {
        received.text += d.toString('utf8');
      });
      socket.on('error', () => undefined);
      socket.write(
        'POST /apps/1/events HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\n',
      );
      await readUntil(socket, received, /100 Continue/);
      const closing = server.close();
      socket.write('{}GET /ready HTTP/1.1\r\nHost: x\r\n\r\n');
      const text = await readUntil(socket, received, /"status":"\w+"/);
      assert.match(text, /HTTP\/1\.1 503 Service Unavailable/);
      assert.match(text, /"status":"draining"/);
      socket.destroy();
      await closing;
    } finally {
      socket?.destroy();
      await server.close();
    }
  });
});

describe('drain delay', () => {
  test('with MAWJLY_DRAIN_DELAY_MS, new probes get 503 and sockets keep working until the delay ends', async () => {
    const server = await startTestServer({ config: { drainDelayMs: 1500 } });
    const client = rawClient(server, server.app.key);
    try {
      await client.socketId;
      const closing = server.close();
      const ready = await rawRequest(server, 'GET', '/ready');
      assert.equal(ready.status, 503, 'a fresh connection is still accepted and told the server drains');
      assert.deepEqual(ready.json, { status: 'draining' });
      client.send({ event: 'pusher:ping', data: {} });
      await client.next((f) => f.event === 'pusher:pong');
      const refused = rawClient(server, server.app.key);
      const { code } = await refused.closed;
      assert.notEqual(code, 1000, 'no new WebSocket is accepted while draining');
      assert.equal((await client.closed).code, 4200, 'after the delay, sockets are closed with 4200');
      await closing;
    } finally {
      client.close();
      await server.close();
    }
  });
});

describe('metrics', () => {
  let server: TestServer;
  const sockets: RawClient[] = [];
  before(async () => {
    server = await startTestServer({ apps: [makeApp()] });
  });
  after(async () => {
    for (const s of sockets) s.close();
    await server.close();
  });

  test('connections, frames and bytes in and out, HTTP calls and rejected publishes', async () => {
    const appId = server.app.id;
    const before = await scrape(server);
    for (const name of [
      'mawjly_connections',
      'mawjly_new_connections_total',
      'mawjly_ws_messages_received_total',
      'mawjly_ws_bytes_received_total',
      'mawjly_ws_messages_sent_total',
      'mawjly_ws_bytes_sent_total',
    ]) {
      assert.ok(!has(before, name) || valueOf(before, name, { app_id: appId }) === 0, name);
    }
    const a = rawClient(server, server.app.key);
    const b = rawClient(server, server.app.key);
    sockets.push(a, b);
    await subscribeRaw(a, server.app, 'metered');
    await subscribeRaw(b, server.app, 'metered');
    const published = await signedRequest(server, server.app, {
      path: `/apps/${appId}/events`,
      body: { name: 'm', channel: 'metered', data: 'hello metrics' },
    });
    assert.equal(published.status, 200);
    await a.next((f) => f.event === 'm');
    await b.next((f) => f.event === 'm');
    // Bytes are UTF-8 bytes on the wire, not UTF-16 code units.
    const ping = { event: 'pusher:ping', data: { note: 'مرحبا é' } };
    a.send(ping);
    await a.next((f) => f.event === 'pusher:pong');
    const refused = await signedRequest(server, server.app, {
      path: `/apps/${appId}/events`,
      body: { name: 'leak', channel: 'private-encrypted-x', data: '{"card":"4111"}' },
    });
    assert.equal(refused.status, 400);
    const unauthorized = await signedRequest(server, server.app, {
      path: `/apps/${appId}/events`,
      body: { name: 'm', channel: 'metered', data: 'x' },
      signature: 'bad',
    });
    assert.equal(unauthorized.status, 401);

    const after = await scrape(server);
    const labels = { app_id: appId };
    assert.equal(valueOf(after, 'mawjly_connections', labels), 2);
    assert.equal(valueOf(after, 'mawjly_new_connections_total', labels), 2);
    // Each socket sent one subscribe frame; a also sent the ping.
    assert.equal(valueOf(after, 'mawjly_ws_messages_received_total', labels), 3);
    const subscribeBytes = Buffer.byteLength(
      JSON.stringify({ event: 'pusher:subscribe', data: { channel: 'metered' } }),
    );
    assert.equal(
      valueOf(after, 'mawjly_ws_bytes_received_total', labels),
      2 * subscribeBytes + Buffer.byteLength(JSON.stringify(ping)),
    );
    assert.equal(valueOf(after, 'mawjly_ws_messages_sent_total', labels), 2);
    const frameBytes = Buffer.byteLength(
      JSON.stringify({ event: 'm', channel: 'metered', data: 'hello metrics' }),
    );
    assert.equal(valueOf(after, 'mawjly_ws_bytes_sent_total', labels), 2 * frameBytes);
    assert.equal(valueOf(after, 'mawjly_http_calls_total', { route: 'events', status: '200' }), 1);
    assert.equal(valueOf(after, 'mawjly_http_calls_total', { route: 'events', status: '400' }), 1);
    assert.equal(valueOf(after, 'mawjly_http_calls_total', { route: 'events', status: '401' }), 1);
    assert.ok(
      valueOf(after, 'mawjly_publishes_rejected_total', { reason: 'encrypted_envelope_invalid' }) >= 1,
    );

    a.close();
    await a.closed;
    const deadline = Date.now() + 5000;
    while (valueOf(await scrape(server), 'mawjly_connections', labels) !== 1) {
      assert.ok(Date.now() < deadline, 'mawjly_connections did not drop to 1 after a close');
      await new Promise((resolve) => setImmediate(resolve));
    }
  });

  test('the metrics port serves only /metrics', async () => {
    const response = await fetch(`http://127.0.0.1:${server.metricsPort}/other`, {
      signal: AbortSignal.timeout(5000),
    });
    assert.equal(response.status, 404);
    await response.text();
  });
});
