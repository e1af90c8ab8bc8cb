// Presence channels against the real server: identity by user id (not by socket), the
// subscription_succeeded roster, member_added/member_removed rules, plan member limit, user_info and
// user id limits, numeric user ids; with raw sockets and with pusher-js.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DEFAULT_PLANS } from '../../src/core/app.js';
import {
  clientSdk,
  makeApp,
  once,
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
  sendSubscribe,
  signChannel,
  subscribeSigned,
  subscriptionOutcome,
  closedWithin,
} from '../support/raw-auth.js';

type Frame = RawClient['frames'][number];
interface Roster {
  presence: { ids: string[]; hash: Record<string, unknown>; count: number };
}

const member = (id: string, info?: unknown): string =>
  JSON.stringify(info === undefined ? { user_id: id } : { user_id: id, user_info: info });

describe('presence', () => {
  let server: TestServer;
  const app = makeApp({ plan: 'startup' });
  // Free plan limits, but without the 100-connection quota, which would otherwise stop the 101st
  // member before the member limit could be reached (the plan table is operator-configurable).
  const freeMembers = {
    ...makeApp({ plan: 'free' }),
    plan: { ...DEFAULT_PLANS.free, maxConnections: null },
  };
  const clients: RawClient[] = [];
  const pushers: PusherJS[] = [];
  const raw = (key = app.key): RawClient => {
    const c = rawClient(server, key);
    clients.push(c);
    return c;
  };

  before(async () => {
    server = await startTestServer({ apps: [app, freeMembers] });
  });
  after(async () => {
    for (const p of pushers) p.disconnect();
    for (const c of clients) c.ws.terminate();
    await server.close();
  });

  /** Publishes a marker and waits for it: every frame the server sent to `client` before it has arrived. */
  async function flush(client: RawClient, channel: string): Promise<void> {
    const name = `marker-${String(Math.random()).slice(2)}`;
    await serverSdk(server, app).trigger(channel, name, '{}');
    await client.next((f) => f.event === name);
  }

  const added = (c: RawClient, channel: string): Frame[] =>
    c.frames.filter((f) => f.channel === channel && f.event === 'pusher_internal:member_added');
  const removed = (c: RawClient, channel: string): Frame[] =>
    c.frames.filter((f) => f.channel === channel && f.event === 'pusher_internal:member_removed');

  test('identity is per user id: member_added on the first socket only, member_removed on the last', async () => {
    const ch = 'presence-room';
    const observer = raw();
    await subscribeSigned(observer, app, ch, member('obs', { name: 'Observer' }));

    const first = raw();
    await subscribeSigned(first, app, ch, member('u1', { name: 'One' }));
    const addedFrame = await observer.next((f) => f.event === 'pusher_internal:member_added');
    assert.equal(addedFrame.channel, ch);
    assert.deepEqual(dataOf(addedFrame), { user_id: 'u1', user_info: { name: 'One' } });

    const second = raw();
    const roster = dataOf<Roster>(await subscribeSigned(second, app, ch, member('u1', { name: 'One' })));
    assert.deepEqual([...roster.presence.ids].sort(), ['obs', 'u1']);
    assert.equal(roster.presence.count, 2);
    assert.deepEqual(roster.presence.hash, { obs: { name: 'Observer' }, u1: { name: 'One' } });

    await flush(observer, ch);
    assert.equal(added(observer, ch).length, 1, 'a second socket of u1 must not announce u1 again');
    // Never echoed to the joiner itself.
    await flush(first, ch);
    await flush(second, ch);
    assert.equal(added(first, ch).length, 0);
    assert.equal(added(second, ch).length, 0);

    first.send({ event: 'pusher:unsubscribe', data: { channel: ch } });
    await flush(observer, ch);
    assert.equal(removed(observer, ch).length, 0, 'u1 still has a socket on the channel');

    second.close();
    const removedFrame = await observer.next((f) => f.event === 'pusher_internal:member_removed');
    assert.equal(removedFrame.channel, ch);
    assert.deepEqual(dataOf(removedFrame), { user_id: 'u1' });
    await flush(observer, ch);
    assert.equal(removed(observer, ch).length, 1);
  });

  test('subscription_succeeded lists distinct users with ids, hash and count, including the joiner', async () => {
    const ch = 'presence-roster';
    const a = raw();
    const a2 = raw();
    const b = raw();
    await subscribeSigned(a, app, ch, member('a', { n: 1 }));
    await subscribeSigned(a2, app, ch, member('a', { n: 1 }));
    const roster = dataOf<Roster>(await subscribeSigned(b, app, ch, member('b')));
    assert.deepEqual(Object.keys(roster).sort(), ['presence']);
    assert.deepEqual([...roster.presence.ids].sort(), ['a', 'b']);
    assert.equal(roster.presence.count, 2);
    assert.deepEqual(Object.keys(roster.presence.hash).sort(), ['a', 'b']);
    assert.deepEqual(roster.presence.hash.a, { n: 1 });
    assert.ok('b' in roster.presence.hash);
  });

  test('pusher-js: members, me, member_added once per user, member_removed after the last socket', async () => {
    const ch = 'presence-js';
    const observer = clientSdk(server, app, { userId: 'watcher', userInfo: { name: 'W' } });
    const tab1 = clientSdk(server, app, { userId: 'carol', userInfo: { name: 'Carol' } });
    const tab2 = clientSdk(server, app, { userId: 'carol', userInfo: { name: 'Carol' } });
    pushers.push(observer, tab1, tab2);
    type Members = { count: number; me: { id: string; info: unknown }; get(id: string): unknown };
    const obsChannel = observer.subscribe(ch);
    const obsMembers = (obsChannel as unknown as { members: Members }).members;
    const mine = await once<Members>(obsChannel, 'pusher:subscription_succeeded');
    assert.equal(mine.count, 1);
    assert.deepEqual(mine.me, { id: 'watcher', info: { name: 'W' } });

    const addedEvents: unknown[] = [];
    obsChannel.bind('pusher:member_added', (m: unknown) => addedEvents.push(m));
    const removedEvents: unknown[] = [];
    obsChannel.bind('pusher:member_removed', (m: unknown) => removedEvents.push(m));

    const firstAdded = once(obsChannel, 'pusher:member_added');
    const c1 = tab1.subscribe(ch);
    const tab1Members = await once<Members>(c1, 'pusher:subscription_succeeded');
    assert.equal(tab1Members.count, 2);
    assert.equal(tab1Members.me.id, 'carol');
    assert.deepEqual(await firstAdded, { id: 'carol', info: { name: 'Carol' } });

    const c2 = tab2.subscribe(ch);
    const tab2Members = await once<Members>(c2, 'pusher:subscription_succeeded');
    assert.equal(tab2Members.count, 2, 'two sockets of one user are one member');

    const tabEvents: unknown[] = [];
    c1.bind('pusher:member_added', (m: unknown) => tabEvents.push(m));

    const gone = once(obsChannel, 'pusher:member_removed');
    tab1.disconnect();
    // The marker proves nothing was sent between.
    const marker = once(obsChannel, 'marker');
    await serverSdk(server, app).trigger(ch, 'marker', {});
    await marker;
    assert.equal(removedEvents.length, 0);
    tab2.disconnect();
    assert.deepEqual(await gone, { id: 'carol', info: { name: 'Carol' } });
    assert.equal(addedEvents.length, 1);
    assert.equal(obsMembers.count, 1);
    assert.equal(tabEvents.length, 0);
  });

  test('member limit from the plan (Free: 100): the 101st distinct user is refused, the same user again accepted', async () => {
    const ch = 'presence-full';
    const hundred: RawClient[] = [];
    for (let i = 0; i < 100; i++) hundred.push(raw(freeMembers.key));
    await Promise.all(hundred.map((c, i) => subscribeSigned(c, freeMembers, ch, member(`m${i}`))));

    const extra = raw(freeMembers.key);
    const extraId = await extra.socketId;
    sendSubscribe(extra, ch, signChannel(freeMembers, extraId, ch, member('m100')), member('m100'));
    const refused = await subscriptionOutcome(extra, ch);
    assert.equal(refused.event, 'pusher:subscription_error');
    assert.equal(refused.channel, ch);
    assert.equal(dataOf<{ status: number }>(refused).status, 403);

    const again = raw(freeMembers.key);
    const roster = dataOf<Roster>(await subscribeSigned(again, freeMembers, ch, member('m7')));
    assert.equal(roster.presence.count, 100);

    // When a member leaves, a new user fits again.
    hundred[0]?.close();
    if (hundred[0]) await closedWithin(hundred[0]);
    const later = raw(freeMembers.key);
    await subscribeSigned(later, freeMembers, ch, member('m100'));
    for (const c of [...hundred, extra, again, later]) c.ws.terminate();
  });

  test('user_info up to 10 KB is accepted, 10 KB + 1 byte refused', async () => {
    const c = raw();
    const socketId = await c.socketId;
    const info = (bytes: number): { d: string } => ({ d: 'x'.repeat(bytes - '{"d":""}'.length) });
    assert.equal(JSON.stringify(info(10 * 1024)).length, 10 * 1024);
    const okData = member('big', info(10 * 1024));
    sendSubscribe(c, 'presence-info-ok', signChannel(app, socketId, 'presence-info-ok', okData), okData);
    assert.equal(
      (await subscriptionOutcome(c, 'presence-info-ok')).event,
      'pusher_internal:subscription_succeeded',
    );
    const tooBig = member('big', info(10 * 1024 + 1));
    sendSubscribe(c, 'presence-info-big', signChannel(app, socketId, 'presence-info-big', tooBig), tooBig);
    const refused = await subscriptionOutcome(c, 'presence-info-big');
    assert.equal(refused.event, 'pusher:subscription_error');
    assert.equal(refused.channel, 'presence-info-big');
    assert.ok(dataOf<{ status: number }>(refused).status >= 400);
  });

  test('user_info must be a hash when present', async () => {
    const c = raw();
    const socketId = await c.socketId;
    const bad = '{"user_id":"x","user_info":"a string"}';
    sendSubscribe(c, 'presence-info-type', signChannel(app, socketId, 'presence-info-type', bad), bad);
    const refused = await subscriptionOutcome(c, 'presence-info-type');
    assert.equal(refused.event, 'pusher:subscription_error');
    assert.equal(dataOf<{ status: number }>(refused).status, 400);
  });

  test('user ids: 128 characters accepted, 129 refused; numeric user_id accepted', async () => {
    const c = raw();
    const socketId = await c.socketId;
    const long = 'u'.repeat(128);
    const okData = member(long);
    sendSubscribe(c, 'presence-id-ok', signChannel(app, socketId, 'presence-id-ok', okData), okData);
    assert.equal(
      (await subscriptionOutcome(c, 'presence-id-ok')).event,
      'pusher_internal:subscription_succeeded',
    );
    const tooLong = member(`${long}u`);
    sendSubscribe(c, 'presence-id-long', signChannel(app, socketId, 'presence-id-long', tooLong), tooLong);
    const refused = await subscriptionOutcome(c, 'presence-id-long');
    assert.equal(refused.event, 'pusher:subscription_error');
    assert.equal(dataOf<{ status: number }>(refused).status, 400);

    const observer = raw();
    await subscribeSigned(observer, app, 'presence-numeric', member('obs'));
    const numeric = '{"user_id":42,"user_info":{"name":"Number"}}';
    sendSubscribe(c, 'presence-numeric', signChannel(app, socketId, 'presence-numeric', numeric), numeric);
    const ok = await subscriptionOutcome(c, 'presence-numeric');
    assert.equal(ok.event, 'pusher_internal:subscription_succeeded');
    const roster = dataOf<Roster>(ok);
    assert.ok(roster.presence.ids.includes('42'));
    assert.deepEqual(roster.presence.hash['42'], { name: 'Number' });
    const addedFrame = await observer.next((f) => f.event === 'pusher_internal:member_added');
    assert.equal(dataOf<{ user_id: unknown }>(addedFrame).user_id, '42');
  });

  test('pusher-js with a numeric user_id (signed by the pusher SDK) joins', async () => {
    const sdk = serverSdk(server, app);
    const p = clientSdk(server, app, {
      extra: {
        channelAuthorization: {
          endpoint: '/unused',
          transport: 'ajax',
          customHandler: (
            { socketId, channelName }: { socketId: string; channelName: string },
            callback: (e: Error | null, d: unknown) => void,
          ) => {
            callback(
              null,
              sdk.authorizeChannel(socketId, channelName, {
                user_id: 7 as unknown as string,
                user_info: { n: 7 },
              }),
            );
          },
        },
      },
    });
    pushers.push(p);
    await waitForState(p, 'connected');
    const channel = p.subscribe('presence-numeric-js');
    const members = await once<{ count: number; me: { id: unknown } }>(
      channel,
      'pusher:subscription_succeeded',
    );
    assert.equal(members.count, 1);
    assert.equal(String(members.me.id), '7');
  });
});
