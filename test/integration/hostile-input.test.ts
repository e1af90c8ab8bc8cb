// Issue 8, findings 1 and 8, against the whole server (management API and dashboard login mounted):
// request targets that `new URL` cannot parse, on plain requests and on WebSocket upgrades, and JSON
// nested deeper than any real payload, on every endpoint that accepts JSON. Each gets a 4xx with a
// catalogue code; the process survives (an uncaught exception would be recorded) and keeps serving.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { MAX_JSON_DEPTH } from '../../src/protocol/json.js';
import { startFullStack, type FullStack } from '../support/full-stack.js';
import { rawHttp } from '../support/raw-http.js';
import { signedRequest } from '../support/rest.js';
import { subscribeRaw } from '../support/raw-session.js';
import { clientSdk, once, rawClient, serverSdk, waitForState } from '../support/server.js';

function errorCode(body: string): string | undefined {
  try {
    return (JSON.parse(body) as { error?: { code?: string } }).error?.code;
  } catch {
    return undefined;
  }
}

const nestedArrays = (depth: number): string => '['.repeat(depth) + ']'.repeat(depth);
const nestedObjects = (depth: number): string => '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);

/** On uWebSockets.js a target that is not origin-form (`/…`) is dropped by its parser, unanswered. */
function refusedByUws(transport: string, target: string, status: number | undefined): boolean {
  return transport === 'uws' && !target.startsWith('/') && status === undefined;
}

describe('hostile input against the whole server', () => {
  let stack: FullStack;
  before(async () => {
    stack = await startFullStack();
  });
  after(async () => {
    await stack.close();
  });

  async function stillServing(): Promise<void> {
    assert.deepEqual(stack.crashes, [], 'an exception escaped the server');
    const health = await fetch(`${stack.server.url}/health`);
    assert.equal(health.status, 200);
    const client = clientSdk(stack.server, stack.app);
    try {
      await waitForState(client, 'connected');
      const channel = client.subscribe('after-hostile');
      await once(channel, 'pusher:subscription_succeeded');
      const received = once<{ n: number }>(channel, 'ping');
      await serverSdk(stack.server, stack.app).trigger('after-hostile', 'ping', { n: 1 });
      assert.deepEqual(await received, { n: 1 });
    } finally {
      client.disconnect();
    }
  }

  test('request targets new URL cannot parse get a 4xx JSON error (finding 1)', async () => {
    for (const target of [
      '//[',
      '//x:y',
      '//a%',
      '//[/api/v1/apps',
      '/\\[',
      '*',
      'http://[',
      'http://a:b/',
    ]) {
      const response = await rawHttp(stack.server.port, `GET ${target} HTTP/1.1\r\nHost: a\r\n\r\n`);
      // uWebSockets.js's parser takes origin-form targets only: it closes the connection on the rest.
      if (refusedByUws(stack.server.transport, target, response.status)) continue;
      assert.ok(
        response.status !== undefined && response.status >= 400 && response.status < 500,
        `${target}: ${response.head}`,
      );
      assert.ok(errorCode(response.body), `${target}: ${response.body}`);
    }
    const odd = await rawHttp(stack.server.port, 'GET * HTTP/1.1\r\nHost: a\r\n\r\n');
    if (!refusedByUws(stack.server.transport, '*', odd.status))
      assert.equal(errorCode(odd.body), 'invalid_target');
    // Node's HTTP parser refuses some targets itself (400, no body): fine, as long as nothing breaks.
    const bare = await rawHttp(stack.server.port, 'GET x HTTP/1.1\r\nHost: a\r\n\r\n');
    if (!refusedByUws(stack.server.transport, 'x', bare.status)) assert.equal(bare.status, 400);
    // A path never becomes an authority: `//host/path` is that path, not `/path` on another host.
    const scheme = await rawHttp(stack.server.port, 'GET //evil.test/health HTTP/1.1\r\nHost: a\r\n\r\n');
    assert.equal(scheme.status, 404);
    await stillServing();
  });

  test('the same targets on a WebSocket upgrade get a 4xx, not a crash (finding 1)', async () => {
    for (const target of ['//[', '//x:y', '//a%', '//[/app/key?protocol=7', '*', 'x', 'http://[']) {
      const response = await rawHttp(
        stack.server.port,
        `GET ${target} HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n` +
          'Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n',
        { halfClose: false, timeoutMs: 3000 },
      );
      if (refusedByUws(stack.server.transport, target, response.status)) continue;
      assert.ok(
        response.status !== undefined && response.status >= 400 && response.status < 500,
        `${target}: ${response.head}`,
      );
    }
    await stillServing();
  });

  test('deeply nested JSON is a 400 json_too_deep on every JSON endpoint (finding 8)', async () => {
    const deep = nestedArrays(20_000);
    const api = async (method: string, path: string, body: string, auth = true): Promise<Response> =>
      fetch(`${stack.server.url}/api/v1${path}`, {
        method,
        headers: {
          'content-type': 'application/json',
          ...(auth ? { authorization: `Bearer ${stack.token}` } : {}),
        },
        body,
      });
    const cases: [string, () => Promise<{ status: number; text: string }>][] = [
      [
        'management publish (data)',
        async () => {
          const r = await api(
            'POST',
            `/apps/${stack.app.id}/events`,
            `{"name":"e","channel":"c","data":${deep}}`,
          );
          return { status: r.status, text: await r.text() };
        },
      ],
      [
        'management create app',
        async () => {
          const r = await api('POST', '/apps', `{"name":${deep}}`);
          return { status: r.status, text: await r.text() };
        },
      ],
      [
        'management update app settings',
        async () => {
          const r = await api('PATCH', `/apps/${stack.app.id}`, `{"settings":${nestedObjects(5000)}}`);
          return { status: r.status, text: await r.text() };
        },
      ],
      [
        'dashboard login',
        async () => {
          const r = await api('POST', '/session', `{"email":${deep},"password":"x"}`, false);
          return { status: r.status, text: await r.text() };
        },
      ],
      [
        'REST /events (channels)',
        async () => {
          const r = await signedRequest(stack.server, stack.app, {
            path: `/apps/${stack.app.id}/events`,
            body: `{"name":"e","channels":[${deep}],"data":"x"}`,
          });
          return { status: r.status, text: r.text };
        },
      ],
      [
        'REST /batch_events',
        async () => {
          const r = await signedRequest(stack.server, stack.app, {
            path: `/apps/${stack.app.id}/batch_events`,
            body: `{"batch":[{"name":"e","channel":"c","data":"x","info":${deep}}]}`,
          });
          return { status: r.status, text: r.text };
        },
      ],
      [
        'REST terminate_connections',
        async () => {
          const r = await signedRequest(stack.server, stack.app, {
            path: `/apps/${stack.app.id}/users/u1/terminate_connections`,
            body: `{"a":${deep}}`,
          });
          return { status: r.status, text: r.text };
        },
      ],
    ];
    for (const [name, send] of cases) {
      const { status, text } = await send();
      assert.equal(status, 400, `${name}: ${text.slice(0, 300)}`);
      assert.equal(errorCode(text), 'json_too_deep', `${name}: ${text.slice(0, 300)}`);
    }
    // The limit itself: exactly MAX_JSON_DEPTH levels of data is accepted.
    const r = await api(
      'POST',
      `/apps/${stack.app.id}/events`,
      `{"name":"e","channel":"c","data":${nestedArrays(MAX_JSON_DEPTH - 1)}}`,
    );
    assert.equal(r.status, 200, await r.text());
    await stillServing();
  });

  test('deeply nested JSON on a WebSocket gets an error frame, never an internal error', async () => {
    const client = rawClient(stack.server, stack.app.key);
    try {
      await client.socketId;
      await subscribeRaw(client, stack.app, 'private-deep');
      const before = client.frames.length;
      client.sendRaw(`{"event":"client-x","channel":"private-deep","data":${nestedArrays(20_000)}}`);
      const frame = await client.next(
        (f) => client.frames.indexOf(f) >= before && f.event === 'pusher:error',
      );
      assert.notEqual((frame.data as { message?: string }).message, 'Internal server error');
      const presence = rawClient(stack.server, stack.app.key);
      const socketId = await presence.socketId;
      const channelData = `{"user_id":"u","user_info":${nestedObjects(10_000)}}`;
      const sdk = serverSdk(stack.server, stack.app);
      const auth = sdk.authorizeChannel(socketId, 'presence-deep', { user_id: 'u' });
      // Sign the hostile channel_data exactly as given, as an app's auth endpoint might.
      const { hmacSha256Hex } = await import('../../src/protocol/signing.js');
      const signature = hmacSha256Hex(stack.app.secrets[0] ?? '', `${socketId}:presence-deep:${channelData}`);
      assert.ok(auth.auth.startsWith(`${stack.app.key}:`));
      presence.send({
        event: 'pusher:subscribe',
        data: { channel: 'presence-deep', auth: `${stack.app.key}:${signature}`, channel_data: channelData },
      });
      const refused = await presence.next((f) => f.event === 'pusher:subscription_error');
      assert.equal((JSON.parse(refused.data as string) as { status?: number }).status, 400);
      presence.close();
    } finally {
      client.close();
    }
    await stillServing();
  });
});
