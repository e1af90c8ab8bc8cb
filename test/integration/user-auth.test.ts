// User authentication (`pusher:signin`) against the real server: pusher-js signin(), the
// #server-to-user channel and sendToUser, terminateUserConnections, watchlists, and refusals.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import WebSocket from 'ws';
import {
  clientSdk,
  makeApp,
  once,
  rawClient,
  serverSdk,
  startTestServer,
  waitForState,
  type RawClient,
  unrefCloseTimerOnRefusal,
  type TestServer,
} from '../support/server.js';
import type { PusherJS } from '../support/pusher-js.js';
import type { App } from '../../src/core/app.js';
import {
  dataOf,
  quietWindow,
  sendSubscribe,
  signUser,
  subscribeSigned,
  subscriptionOutcome,
  closedWithin,
} from '../support/raw-auth.js';

type Frame = RawClient['frames'][number];
interface WatchlistEvent {
  name: string;
  user_ids: string[];
}

/** Resolves with the frame pusher-js received for `event` (its connection emits every message). */
function nextMessage(
  p: PusherJS,
  event: string,
  timeoutMs = 5000,
): Promise<{ event: string; data: unknown }> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new Error(`pusher-js got no ${event}`));
    }, timeoutMs);
    const handler = (message: { event: string; data: unknown }): void => {
      if (message.event !== event) return;
      clearTimeout(timer);
      p.connection.unbind('message', handler);
      resolve(message);
    };
    p.connection.bind('message', handler);
  });
}

async function rawSignin(client: RawClient, app: App, userData: string, auth?: string): Promise<void> {
  const socketId = await client.socketId;
  client.send({
    event: 'pusher:signin',
    data: { auth: auth ?? signUser(app, socketId, userData), user_data: userData },
  });
}

describe('user authentication', () => {
  let server: TestServer;
  const app = makeApp({ plan: 'startup' });
  const noSignin = makeApp({ settings: { userAuthentication: false } });
  const otherApp = makeApp();
  const clients: RawClient[] = [];
  const pushers: PusherJS[] = [];
  const raw = (target: App = app): RawClient => {
    const c = rawClient(server, target.key);
    clients.push(c);
    return c;
  };
  const pusher = (options: Parameters<typeof clientSdk>[2] = {}, target: App = app): PusherJS => {
    const p = clientSdk(server, target, options);
    pushers.push(p);
    return p;
  };

  before(async () => {
    server = await startTestServer({ apps: [app, noSignin, otherApp] });
  });
  after(async () => {
    for (const p of pushers) p.disconnect();
    for (const c of clients) c.ws.terminate();
    await server.close();
  });

  test('pusher-js signin(): signin_success, then #server-to-user-{id} is subscribed', async () => {
    const p = pusher({ userId: 'dana', userInfo: { name: 'Dana' } });
    await waitForState(p, 'connected');
    const success = nextMessage(p, 'pusher:signin_success');
    p.signin();
    const frame = await success;
    const userData = JSON.parse((frame.data as { user_data: string }).user_data) as { id: string };
    assert.equal(userData.id, 'dana');
    await p.user.signinDonePromise;
    assert.equal(p.user.user_data.id, 'dana');
    const channel = p.user.serverToUserChannel;
    assert.equal(channel.name, '#server-to-user-dana');
    if (!channel.subscribed) await once(channel, 'pusher:subscription_succeeded');
    assert.equal(channel.subscribed, true);
  });

  test('signin_success echoes the exact user_data string, double-encoded', async () => {
    const c = raw();
    const userData = '{ "id" : "exact",  "user_info":{"b":2,"a":1} }';
    await rawSignin(c, app, userData);
    const ok = await c.next((f) => f.event === 'pusher:signin_success');
    assert.equal(typeof ok.data, 'string');
    assert.equal(dataOf<{ user_data: string }>(ok).user_data, userData);
  });

  test('bad signature, bad user_data and a second user on one socket get error frames', async () => {
    const c = raw();
    await rawSignin(c, app, '{"id":"mallory"}', `${app.key}:${'0'.repeat(64)}`);
    const error = await c.next((f) => f.event === 'pusher:error');
    assert.equal(typeof (error.data as { message: unknown }).message, 'string');
    assert.equal(
      c.frames.some((f) => f.event === 'pusher:signin_success'),
      false,
    );
    // Not signed in: its #server-to-user channel is refused.
    sendSubscribe(c, '#server-to-user-mallory');
    const refused = await subscriptionOutcome(c, '#server-to-user-mallory');
    assert.equal(refused.event, 'pusher:subscription_error');
    assert.equal(dataOf<{ status: number }>(refused).status, 403);

    const noId = raw();
    await rawSignin(noId, app, '{"user_info":{}}');
    await noId.next((f) => f.event === 'pusher:error');
    assert.equal(
      noId.frames.some((f) => f.event === 'pusher:signin_success'),
      false,
    );

    const twice = raw();
    await rawSignin(twice, app, '{"id":"first"}');
    await twice.next((f) => f.event === 'pusher:signin_success');
    await rawSignin(twice, app, '{"id":"second"}');
    await twice.next((f) => f.event === 'pusher:error');
    assert.equal(twice.frames.filter((f) => f.event === 'pusher:signin_success').length, 1);
    assert.equal(twice.ws.readyState, WebSocket.OPEN);
  });

  test('#server-to-user-{id} is accepted only for the signed-in id (403 for another user)', async () => {
    const c = raw();
    await rawSignin(c, app, '{"id":"owner"}');
    await c.next((f) => f.event === 'pusher:signin_success');
    sendSubscribe(c, '#server-to-user-owner');
    assert.equal(
      (await subscriptionOutcome(c, '#server-to-user-owner')).event,
      'pusher_internal:subscription_succeeded',
    );
    sendSubscribe(c, '#server-to-user-someone-else');
    const refused = await subscriptionOutcome(c, '#server-to-user-someone-else');
    assert.equal(refused.event, 'pusher:subscription_error');
    assert.equal(refused.channel, '#server-to-user-someone-else');
    assert.equal(dataOf<{ status: number }>(refused).status, 403);
  });

  test('sendToUser reaches pusher.user.bind on every socket of that user only', async () => {
    const tab1 = pusher({ userId: 'erin' });
    const tab2 = pusher({ userId: 'erin' });
    const other = pusher({ userId: 'frank' });
    for (const p of [tab1, tab2, other]) p.signin();
    await Promise.all([tab1, tab2, other].map((p) => p.user.signinDonePromise));
    await Promise.all(
      [tab1, tab2, other].map((p) =>
        p.user.serverToUserChannel.subscribed
          ? Promise.resolve()
          : once(p.user.serverToUserChannel, 'pusher:subscription_succeeded'),
      ),
    );
    const leaked: unknown[] = [];
    other.user.bind('notice', (d: unknown) => leaked.push(d));
    const got1 = once(tab1.user, 'notice');
    const got2 = once(tab2.user, 'notice');
    await serverSdk(server, app).sendToUser('erin', 'notice', { text: 'hello erin' });
    assert.deepEqual(await got1, { text: 'hello erin' });
    assert.deepEqual(await got2, { text: 'hello erin' });
    const marker = once(other.user, 'marker');
    await serverSdk(server, app).sendToUser('frank', 'marker', {});
    await marker;
    assert.deepEqual(leaked, []);
  });

  test("terminateUserConnections closes that user's signed-in sockets with 4009, and only those", async () => {
    const victim = pusher({ userId: 'gary' });
    const bystander = pusher({ userId: 'hana' });
    victim.signin();
    bystander.signin();
    await Promise.all([victim.user.signinDonePromise, bystander.user.signinDonePromise]);
    unrefCloseTimerOnRefusal(victim);
    const victimRaw = raw();
    await rawSignin(victimRaw, app, '{"id":"gary"}');
    await victimRaw.next((f) => f.event === 'pusher:signin_success');
    // A presence member with the same user id that never signed in is not affected.
    const presenceOnly = raw();
    await subscribeSigned(presenceOnly, app, 'presence-gary', '{"user_id":"gary"}');

    // The same user id signed in on another app is another user.
    const otherAppGary = raw(otherApp);
    await rawSignin(otherAppGary, otherApp, '{"id":"gary"}');
    await otherAppGary.next((f) => f.event === 'pusher:signin_success');

    const victimGone = waitForState(victim, 'disconnected');
    await serverSdk(server, app).terminateUserConnections('gary');
    const closed = await closedWithin(victimRaw);
    assert.equal(closed.code, 4009);
    const error = victimRaw.frames.find((f: Frame) => f.event === 'pusher:error');
    assert.equal((error?.data as { code?: unknown } | undefined)?.code, 4009);
    await victimGone;
    // 4009 means "do not reconnect": pusher-js stays down.
    await quietWindow(300);
    assert.equal(victim.connection.state, 'disconnected');
    assert.equal(bystander.connection.state, 'connected');
    assert.equal(presenceOnly.ws.readyState, WebSocket.OPEN);
    assert.equal(otherAppGary.ws.readyState, WebSocket.OPEN);
    presenceOnly.send({ event: 'pusher:ping', data: {} });
    await presenceOnly.next((f) => f.event === 'pusher:pong');
  });

  test('watchlist: offline at signin, online when the watched user signs in, offline when they leave', async () => {
    const watcher = pusher({ userId: 'ivy', watchlist: ['jack', 'kim'] });
    const events: WatchlistEvent[] = [];
    const record = (e: WatchlistEvent): void => {
      events.push(e);
    };
    watcher.user.watchlist.bind('online', record);
    watcher.user.watchlist.bind('offline', record);
    const initial = once<WatchlistEvent>(watcher.user.watchlist, 'offline');
    watcher.signin();
    const first = await initial;
    assert.deepEqual([...first.user_ids].sort(), ['jack', 'kim']);
    assert.equal(events.filter((e) => e.name === 'online').length, 0);

    const online = once<WatchlistEvent>(watcher.user.watchlist, 'online');
    const jack = pusher({ userId: 'jack' });
    jack.signin();
    assert.deepEqual(await online, { name: 'online', user_ids: ['jack'] });

    // A second socket of jack is not news; closing one of two is not offline either.
    const jack2 = pusher({ userId: 'jack' });
    jack2.signin();
    await jack2.user.signinDonePromise;
    jack2.disconnect();
    // An unwatched user coming and going is not reported.
    const other = pusher({ userId: 'zed' });
    other.signin();
    await other.user.signinDonePromise;

    const offline = once<WatchlistEvent>(watcher.user.watchlist, 'offline');
    jack.disconnect();
    assert.deepEqual(await offline, { name: 'offline', user_ids: ['jack'] });
    assert.deepEqual(
      events.map((e) => `${e.name}:${e.user_ids.join(',')}`),
      [`offline:${first.user_ids.join(',')}`, 'online:jack', 'offline:jack'],
    );
  });

  test('watchlist: a user already online is reported online at signin', async () => {
    const lee = pusher({ userId: 'lee' });
    lee.signin();
    await lee.user.signinDonePromise;
    const watcher = pusher({ userId: 'mo', watchlist: ['lee'] });
    const online = once<WatchlistEvent>(watcher.user.watchlist, 'online');
    watcher.signin();
    assert.deepEqual(await online, { name: 'online', user_ids: ['lee'] });
  });

  test('watchlist over 100 ids: signin succeeds with a non-closing 4302', async () => {
    const c = raw();
    const watchlist = Array.from({ length: 101 }, (_, i) => `w${i}`);
    await rawSignin(c, app, JSON.stringify({ id: 'many', watchlist }));
    await c.next((f) => f.event === 'pusher:signin_success');
    const error = await c.next((f) => f.event === 'pusher:error');
    assert.equal((error.data as { code: unknown }).code, 4302);
    const status = await c.next((f) => f.event === 'pusher_internal:watchlist_events');
    const reported = dataOf<{ events: WatchlistEvent[] }>(status).events.flatMap((e) => e.user_ids);
    assert.equal(reported.length, 100);
    assert.equal(c.ws.readyState, WebSocket.OPEN);
  });

  test('userAuthentication disabled: signin refused', async () => {
    const c = raw(noSignin);
    await rawSignin(c, noSignin, '{"id":"nope"}');
    const error = await c.next((f) => f.event === 'pusher:error');
    assert.match(String((error.data as { message: unknown }).message), /not enabled/i);
    assert.equal(
      c.frames.some((f) => f.event === 'pusher:signin_success'),
      false,
    );

    const p = pusher({ userId: 'nope' }, noSignin);
    const refused = nextMessage(p, 'pusher:error');
    p.signin();
    await refused;
    assert.equal(p.user.user_data, null);
  });
});
