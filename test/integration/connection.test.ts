// Connection lifecycle against the real server: handshake, ping/pong, server-side activity checks,
// every refusal close code (checked on the raw socket and, where it matters, as pusher-js reacts),
// the connection quota, graceful shutdown, slow consumers and authorized connections.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import WebSocket from 'ws';
import {
  clientSdk,
  makeApp,
  rawClient,
  serverSdk,
  startTestServer,
  waitForState,
  type RawClient,
  type TestServer,
} from '../support/server.js';
import type { PusherJS } from '../support/pusher-js.js';
import {
  dataOf,
  quietWindow,
  sendSubscribe,
  signChannel,
  signUser,
  subscribeSigned,
  closedWithin,
} from '../support/raw-auth.js';

const QUERY = '?protocol=7&client=js&version=8.6.0&flash=false';

function rawUrl(server: TestServer, path: string): string {
  return `ws://${server.host}:${server.port}${path}`;
}

/** A raw socket to any path, resolving with the frames it got and its close code. */
function rawTo(
  server: TestServer,
  path: string,
): Promise<{ frames: { event: string; data?: unknown }[]; code: number }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(rawUrl(server, path));
    const frames: { event: string; data?: unknown }[] = [];
    const timer = setTimeout(() => {
      ws.terminate();
      reject(new Error(`socket to ${path} was not closed by the server`));
    }, 5000);
    ws.on('message', (data: Buffer) => frames.push(JSON.parse(data.toString()) as { event: string }));
    ws.on('error', () => undefined);
    ws.on('close', (code) => {
      clearTimeout(timer);
      resolve({ frames, code });
    });
  });
}

function errorCode(frame: { data?: unknown } | undefined): unknown {
  return (frame?.data as { code?: unknown } | undefined)?.code;
}

describe('connection', () => {
  let server: TestServer;
  const app = makeApp();
  const disabled = makeApp({ settings: { enabled: false } });
  const free = makeApp({ plan: 'free' });
  const clients: RawClient[] = [];
  const pushers: PusherJS[] = [];
  const raw = (key = app.key, query = QUERY): RawClient => {
    const c = rawClient(server, key, query);
    clients.push(c);
    return c;
  };
  const pusher = (target = app): PusherJS => {
    const p = clientSdk(server, target);
    pushers.push(p);
    return p;
  };

  before(async () => {
    server = await startTestServer({ apps: [app, disabled, free], config: { activityTimeoutSeconds: 7 } });
  });
  after(async () => {
    for (const p of pushers) p.disconnect();
    for (const c of clients) c.ws.terminate();
    await server.close();
  });

  test('connection_established: first frame, double-encoded, socket id shape, activity_timeout', async () => {
    const c = raw();
    const first = await c.next(() => true);
    assert.equal(first.event, 'pusher:connection_established');
    assert.equal(typeof first.data, 'string', 'data must be a JSON string (double encoding)');
    const data = dataOf<{ socket_id: string; activity_timeout: number }>(first);
    assert.match(data.socket_id, /^\d+\.\d+$/);
    assert.equal(data.activity_timeout, 7);
    // The socket id must be usable by the pusher SDK (it throws on other shapes).
    assert.doesNotThrow(() => serverSdk(server, app).authorizeChannel(data.socket_id, 'private-x'));
  });

  test('pusher-js reaches connected and its socket id has the Pusher shape', async () => {
    const p = pusher();
    await waitForState(p, 'connected');
    assert.match(p.connection.socket_id, /^\d+\.\d+$/);
  });

  test('pusher:ping is answered with pusher:pong', async () => {
    const c = raw();
    await c.socketId;
    c.send({ event: 'pusher:ping', data: {} });
    const pong = await c.next((f) => f.event === 'pusher:pong', 2000);
    assert.equal(pong.event, 'pusher:pong');
    // A ping whose data is a string (other SDKs) is answered too.
    const before = c.frames.length;
    c.sendRaw('{"event":"pusher:ping","data":"{}"}');
    await c.next((f) => f.event === 'pusher:pong' && c.frames.indexOf(f) >= before, 2000);
  });

  test('connection refusals: close code and pusher:error frame', async (t) => {
    const cases: [string, string, number][] = [
      ['unknown key', `/app/no-such-key${QUERY}`, 4001],
      ['disabled app', `/app/${disabled.key}${QUERY}`, 4003],
      ['bad path', `/app/${app.key}/extra${QUERY}`, 4005],
      ['protocol=99', `/app/${app.key}?protocol=99&client=js&version=8.6.0`, 4007],
      ['no protocol', `/app/${app.key}?client=js&version=8.6.0`, 4008],
      ['non-numeric protocol', `/app/${app.key}?protocol=seven&client=js&version=8.6.0`, 4006],
    ];
    for (const [name, path, code] of cases) {
      await t.test(`${name} → ${code}`, async () => {
        const result = await rawTo(server, path);
        assert.equal(result.code, code);
        assert.equal(result.frames.length, 1, JSON.stringify(result.frames));
        assert.equal(result.frames[0]?.event, 'pusher:error');
        assert.equal(errorCode(result.frames[0]), code);
        assert.equal(
          result.frames.some((f) => f.event === 'pusher:connection_established'),
          false,
        );
      });
    }
  });

  test('pusher-js with an unknown key ends disconnected and does not retry (4001)', async () => {
    const p = pusher({ ...app, key: 'no-such-key' });
    const states: string[] = [];
    p.connection.bind('state_change', ({ current }: { current: string }) => states.push(current));
    await waitForState(p, 'disconnected');
    // 4001 is "refused": pusher-js must not come back. Any retry would happen within ~1 s.
    await quietWindow(1300);
    assert.equal(p.connection.state, 'disconnected');
    assert.ok(states.filter((s) => s === 'connecting').length <= 1, `states: ${states.join(',')}`);
    assert.equal(states.includes('connected'), false);
  });

  test('pusher-js against a disabled app ends disconnected (4003)', async () => {
    const p = pusher(disabled);
    await waitForState(p, 'disconnected');
    await quietWindow(300);
    assert.equal(p.connection.state, 'disconnected');
  });

  test('connection quota (Free plan: 100): the 101st gets 4004 and the 100 stay open', async () => {
    const hundred: RawClient[] = [];
    for (let i = 0; i < 100; i++) hundred.push(raw(free.key));
    const ids = await Promise.all(hundred.map((c) => c.socketId));
    assert.equal(new Set(ids).size, 100);

    const over = raw(free.key);
    const error = await over.next((f) => f.event === 'pusher:error');
    assert.equal(errorCode(error), 4004);
    assert.equal((await closedWithin(over)).code, 4004);
    assert.equal(
      over.frames.some((f) => f.event === 'pusher:connection_established'),
      false,
    );

    for (const c of hundred) assert.equal(c.ws.readyState, WebSocket.OPEN);
    // The existing ones still work.
    const probe = hundred[99];
    assert.ok(probe);
    probe.send({ event: 'pusher:ping', data: {} });
    await probe.next((f) => f.event === 'pusher:pong', 2000);

    // Freeing one slot lets the next connection in.
    hundred[0]?.close();
    if (hundred[0]) await closedWithin(hundred[0]);
    const retry = raw(free.key);
    await assert.doesNotReject(retry.socketId);
    for (const c of [...hundred, retry]) c.ws.terminate();
  });
});

describe('connection: server-side activity check', () => {
  let server: TestServer;
  const app = makeApp();
  const clients: RawClient[] = [];
  before(async () => {
    server = await startTestServer({
      apps: [app],
      config: { activityTimeoutSeconds: 1, pongTimeoutMs: 300 },
    });
  });
  after(async () => {
    for (const c of clients) c.ws.terminate();
    await server.close();
  });

  test('a silent client gets pusher:ping, then is closed with 4201 when it does not answer', async () => {
    const c = rawClient(server, app.key);
    clients.push(c);
    const opened = Date.now();
    await c.socketId;
    const ping = await c.next((f) => f.event === 'pusher:ping', 3000);
    assert.ok(Date.now() - opened >= 900, 'ping came before the activity timeout');
    assert.equal(ping.event, 'pusher:ping');
    const closed = await closedWithin(c, 3000);
    assert.equal(closed.code, 4201);
    const error = c.frames.find((f) => f.event === 'pusher:error');
    assert.equal(errorCode(error), 4201);
  });

  test('any frame counts as activity: a non-pong reply to the ping keeps the socket', async () => {
    const c = rawClient(server, app.key);
    clients.push(c);
    await c.socketId;
    const first = await c.next((f) => f.event === 'pusher:ping', 3000);
    // Not a pong: a subscribe is activity as well.
    sendSubscribe(c, 'activity-check');
    // Without the reply counting, the socket would be closed 300 ms after the ping; it stays until
    // the next idle period produces a second ping.
    const second = await c.next((f) => f.event === 'pusher:ping' && f !== first, 3000);
    assert.ok(second);
    assert.equal(c.ws.readyState, WebSocket.OPEN);
    assert.equal(
      c.frames.some((f) => f.event === 'pusher:error'),
      false,
    );
    c.send({ event: 'pusher:pong', data: {} });
  });

  test('a chatty client is never pinged', async () => {
    const c = rawClient(server, app.key);
    clients.push(c);
    await c.socketId;
    const deadline = Date.now() + 1800;
    while (Date.now() < deadline) {
      c.send({ event: 'client-noise', channel: 'nowhere', data: {} });
      await quietWindow(250);
    }
    assert.equal(
      c.frames.some((f) => f.event === 'pusher:ping'),
      false,
    );
    assert.equal(c.ws.readyState, WebSocket.OPEN);
  });

  test('pusher-js answers the server ping and stays connected', async () => {
    const p = clientSdk(server, app);
    try {
      await waitForState(p, 'connected');
      const id = p.connection.socket_id;
      await quietWindow(1800);
      assert.equal(p.connection.state, 'connected');
      assert.equal(p.connection.socket_id, id, 'pusher-js had to reconnect');
    } finally {
      p.disconnect();
    }
  });
});

describe('connection: graceful shutdown', () => {
  test('server.close() closes sockets with 4200 and pusher-js starts reconnecting', async () => {
    const app = makeApp();
    const server = await startTestServer({ apps: [app] });
    const p = clientSdk(server, app);
    const c = rawClient(server, app.key);
    try {
      await waitForState(p, 'connected');
      await c.socketId;
      const reconnecting = waitForState(p, 'connecting');
      await server.close();
      assert.equal((await closedWithin(c)).code, 4200);
      await reconnecting;
    } finally {
      p.disconnect();
      c.ws.terminate();
      await server.close();
    }
  });
});

describe('connection: slow consumer', () => {
  let server: TestServer;
  const app = makeApp();
  before(async () => {
    server = await startTestServer({ apps: [app], config: { maxBufferedBytes: 64 * 1024 } });
  });
  after(async () => {
    await server.close();
  });

  test('a socket that stops reading is closed (4100) while another keeps receiving', async () => {
    const slow = rawClient(server, app.key);
    const fast = rawClient(server, app.key);
    try {
      const slowId = await slow.socketId;
      await subscribeSigned(slow, app, 'firehose');
      await subscribeSigned(fast, app, 'firehose');
      const gone = new Promise<void>((resolve) => {
        const stop = server.engine.onDebugEvent(app.id, (event) => {
          if (event.type === 'disconnection' && event.socketId === slowId) {
            stop();
            resolve();
          }
        });
      });
      (slow.ws as unknown as { _socket: { pause(): void; resume(): void } })._socket.pause();

      const sdk = serverSdk(server, app);
      const payload = 'x'.repeat(90 * 1024);
      let sent = 0;
      const state = { dropped: false };
      void gone.then(() => {
        state.dropped = true;
      });
      // Bounded: loopback buffers hold a few MB at most before the server sees the backlog.
      while (!state.dropped && sent < 400) {
        await sdk.trigger('firehose', 'big', payload);
        sent++;
      }
      assert.ok(state.dropped, `slow socket still open after ${sent} events`);
      assert.ok(sent > 1);

      // The other subscriber got every event, then still gets new ones.
      await fast.next(
        (f) => f.event === 'big' && fast.frames.filter((g) => g.event === 'big').length >= sent,
        10000,
      );
      await sdk.trigger('firehose', 'after', '{"ok":true}');
      await fast.next((f) => f.event === 'after');

      // Reading again: the socket ends with 4100 (or was destroyed after the close grace period).
      (slow.ws as unknown as { _socket: { resume(): void } })._socket.resume();
      const { code } = await closedWithin(slow);
      assert.ok(code === 4100 || code === 1006, `close code ${code}`);
      if (code === 4100) {
        const error = slow.frames.find((f) => f.event === 'pusher:error');
        assert.equal(errorCode(error), 4100);
      }
    } finally {
      slow.ws.terminate();
      fast.ws.terminate();
    }
  });
});

describe('connection: authorized connections', () => {
  let server: TestServer;
  const app = makeApp({ settings: { authorizedConnections: true } });
  const clients: RawClient[] = [];
  before(async () => {
    server = await startTestServer({ apps: [app], config: { authorizationTimeoutMs: 300 } });
  });
  after(async () => {
    for (const c of clients) c.ws.terminate();
    await server.close();
  });

  test('a socket that neither signs in nor joins a private channel is closed with 4009', async () => {
    const idle = rawClient(server, app.key);
    const publicOnly = rawClient(server, app.key);
    const member = rawClient(server, app.key);
    const signedIn = rawClient(server, app.key);
    clients.push(idle, publicOnly, member, signedIn);
    await Promise.all([idle.socketId, publicOnly.socketId, member.socketId, signedIn.socketId]);
    sendSubscribe(publicOnly, 'public-only');
    const memberId = await member.socketId;
    sendSubscribe(member, 'private-allowed', signChannel(app, memberId, 'private-allowed'));
    const userData = '{"id":"u-1"}';
    const signedInId = await signedIn.socketId;
    signedIn.send({
      event: 'pusher:signin',
      data: { auth: signUser(app, signedInId, userData), user_data: userData },
    });

    const [idleClosed, publicClosed] = await Promise.all([closedWithin(idle), closedWithin(publicOnly)]);
    assert.equal(idleClosed.code, 4009);
    assert.equal(publicClosed.code, 4009);
    assert.equal(errorCode(idle.frames.find((f) => f.event === 'pusher:error')), 4009);

    await member.next((f) => f.event === 'pusher_internal:subscription_succeeded');
    await signedIn.next((f) => f.event === 'pusher:signin_success');
    // Well past the deadline: the authorized ones are still there and working.
    await quietWindow(400);
    for (const c of [member, signedIn]) {
      assert.equal(c.ws.readyState, WebSocket.OPEN);
      c.send({ event: 'pusher:ping', data: {} });
      await c.next((f) => f.event === 'pusher:pong', 2000);
    }
  });

  test('a refused subscription or sign-in does not authorize the socket', async () => {
    const badSignature = rawClient(server, app.key);
    const refusedPresence = rawClient(server, app.key);
    clients.push(badSignature, refusedPresence);
    const [badId, presenceId] = await Promise.all([badSignature.socketId, refusedPresence.socketId]);
    sendSubscribe(badSignature, 'private-nope', signChannel(app, badId, 'private-other'));
    // Correctly signed, but refused after the signature check (user id over 128 characters).
    const channelData = JSON.stringify({ user_id: 'u'.repeat(129) });
    sendSubscribe(
      refusedPresence,
      'presence-nope',
      signChannel(app, presenceId, 'presence-nope', channelData),
      channelData,
    );
    const badSignin = rawClient(server, app.key);
    clients.push(badSignin);
    const badSigninId = await badSignin.socketId;
    badSignin.send({
      event: 'pusher:signin',
      data: { auth: signUser(app, badSigninId, '{"id":"a"}'), user_data: '{"id":"b"}' },
    });
    await badSignature.next((f) => f.event === 'pusher:subscription_error');
    await refusedPresence.next((f) => f.event === 'pusher:subscription_error');
    const [a, b] = await Promise.all([closedWithin(badSignature, 2000), closedWithin(refusedPresence, 2000)]);
    assert.equal(a.code, 4009);
    assert.equal(b.code, 4009);
    await badSignin.next((f) => f.event === 'pusher:error');
    assert.equal((await closedWithin(badSignin, 2000)).code, 4009);
  });

  test('pusher-js subscribing to a private channel stays connected', async () => {
    const p = clientSdk(server, app);
    try {
      await waitForState(p, 'connected');
      const id = p.connection.socket_id;
      const channel = p.subscribe('private-kept');
      await new Promise<void>((resolve, reject) => {
        channel.bind('pusher:subscription_succeeded', () => {
          resolve();
        });
        channel.bind('pusher:subscription_error', (e: unknown) => {
          reject(new Error(JSON.stringify(e)));
        });
      });
      await quietWindow(600);
      assert.equal(p.connection.state, 'connected');
      assert.equal(p.connection.socket_id, id);
    } finally {
      p.disconnect();
    }
  });
});
