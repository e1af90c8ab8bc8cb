import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import {
  PING_FRAME,
  encodeCacheMiss,
  encodeChannelEvent,
  encodeConnectionEstablished,
  encodeError,
  encodeMemberAdded,
  encodeMemberRemoved,
  encodePong,
  encodePresenceData,
  encodeRelayedClientEvent,
  encodeSigninSuccess,
  encodeSubscriptionCount,
  encodeSubscriptionError,
  encodeSubscriptionSucceeded,
  encodeWatchlistEvents,
  frameDataObject,
  parseClientFrame,
} from './codec.js';

interface WireFrame {
  event: string;
  channel?: string;
  data: Record<string, unknown>;
}
interface Vectors {
  encryption: { channel_name: string; data_field: string; websocket_frame_received_by_client: string };
  user_auth: { response: { user_data: string } };
  pusher_js_wire: {
    subscribe_frames: Record<string, WireFrame>;
    signin_frame: WireFrame;
    client_event_frame: WireFrame;
    pong_frame: WireFrame;
    server_to_user_subscribe_frame: WireFrame;
    unsubscribe_frame: WireFrame;
    watchlist_events_emitted: { name: 'online' | 'offline'; user_ids: string[] }[];
  };
}
const V = JSON.parse(
  readFileSync(new URL('../../test/fixtures/protocol-vectors.json', import.meta.url), 'utf8'),
) as Vectors;
const W = V.pusher_js_wire;

/** pusher-js serialises frames with JSON.stringify of {event, data, channel?} (PROTOCOL.md §0). */
const wire = (frame: unknown): string => JSON.stringify(frame);

describe('parseClientFrame on captured pusher-js frames', () => {
  const captured: [string, WireFrame][] = [
    ...Object.entries(W.subscribe_frames).map(([k, f]): [string, WireFrame] => [`subscribe ${k}`, f]),
    ['subscribe #server-to-user', W.server_to_user_subscribe_frame],
    ['unsubscribe', W.unsubscribe_frame],
    ['signin', W.signin_frame],
    ['client event', W.client_event_frame],
    ['pong', W.pong_frame],
    ['ping', { event: 'pusher:ping', data: {} }],
  ];
  for (const [name, frame] of captured) {
    test(name, () => {
      const parsed = parseClientFrame(wire(frame));
      assert.ok(parsed);
      assert.equal(parsed.event, frame.event);
      assert.equal(parsed.channel, frame.channel);
      assert.deepEqual(parsed.data, frame.data);
      assert.deepEqual(frameDataObject(parsed.data), frame.data);
    });
  }

  test('the client event keeps its channel and object data', () => {
    const parsed = parseClientFrame(wire(W.client_event_frame));
    assert.deepEqual(parsed, { event: 'client-typing', data: { typing: true }, channel: 'private-foo' });
  });

  test('presence subscribe keeps channel_data as the exact string sent', () => {
    const frame = W.subscribe_frames.presence!;
    const data = frameDataObject(parseClientFrame(wire(frame))!.data)!;
    assert.equal(data.channel_data, frame.data.channel_data);
    assert.equal(typeof data.channel_data, 'string');
  });

  test('a frame whose data is a JSON string (other SDKs) parses too', () => {
    const parsed = parseClientFrame('{"event":"client-x","channel":"private-a","data":"{\\"a\\":1}"}');
    assert.deepEqual(parsed, { event: 'client-x', channel: 'private-a', data: '{"a":1}' });
    assert.deepEqual(frameDataObject(parsed.data), { a: 1 });
  });

  test('a frame without data parses with data undefined', () => {
    const parsed = parseClientFrame('{"event":"pusher:ping"}');
    assert.ok(parsed);
    assert.equal(parsed.event, 'pusher:ping');
    assert.equal(parsed.data, undefined);
  });
});

describe('parseClientFrame rejects garbage', () => {
  const garbage = [
    '',
    ' ',
    'hello',
    '{',
    '{"event":"pusher:ping"',
    "{'event':'pusher:ping'}",
    'null',
    'true',
    '42',
    '"pusher:ping"',
    '[]',
    '[{"event":"pusher:ping"}]',
    '{}',
    '{"data":{}}',
    '{"event":""}',
    '{"event":null}',
    '{"event":42}',
    '{"event":{}}',
    '{"event":["pusher:ping"]}',
    '{"event":"client-x","channel":42}',
    '{"event":"client-x","channel":null}',
    '{"event":"client-x","channel":{}}',
    '{"event":"client-x","channel":["a"]}',
  ];
  for (const text of garbage) {
    test(JSON.stringify(text), () => {
      assert.equal(parseClientFrame(text), undefined);
    });
  }
});

describe('frameDataObject', () => {
  test('object data is returned as is', () => {
    const data = { channel: 'x' };
    assert.equal(frameDataObject(data), data);
  });

  test('JSON-string data is parsed', () => {
    assert.deepEqual(frameDataObject('{"auth":"","channel":"my-public"}'), {
      auth: '',
      channel: 'my-public',
    });
  });

  test('anything else is undefined', () => {
    for (const bad of [undefined, null, 42, true, 'x', '', '[]', '[1]', 'null', '42', '"{}"', [], [{}]]) {
      assert.equal(frameDataObject(bad), undefined, JSON.stringify(bad));
    }
  });
});

describe('encoders produce the byte forms of PROTOCOL.md', () => {
  test('connection_established is double-encoded with socket_id and activity_timeout', () => {
    assert.equal(
      encodeConnectionEstablished('1234.5678', 120),
      '{"event":"pusher:connection_established","data":"{\\"socket_id\\":\\"1234.5678\\",\\"activity_timeout\\":120}"}',
    );
    const outer = JSON.parse(encodeConnectionEstablished('1.2', 30)) as { data: unknown };
    assert.equal(typeof outer.data, 'string');
    assert.deepEqual(JSON.parse(outer.data as string), { socket_id: '1.2', activity_timeout: 30 });
  });

  test('pusher:error carries a plain object, code may be null', () => {
    assert.equal(
      encodeError(4001, 'Application does not exist'),
      '{"event":"pusher:error","data":{"code":4001,"message":"Application does not exist"}}',
    );
    assert.equal(
      encodeError(null, 'Unknown event'),
      '{"event":"pusher:error","data":{"code":null,"message":"Unknown event"}}',
    );
    assert.equal(
      encodeError(null, 'a "quoted"\nmsg'),
      '{"event":"pusher:error","data":{"code":null,"message":"a \\"quoted\\"\\nmsg"}}',
    );
  });

  test('ping and pong', () => {
    assert.equal(encodePong(), '{"event":"pusher:pong","data":"{}"}');
    assert.equal(PING_FRAME, '{"event":"pusher:ping","data":"{}"}');
  });

  test('subscription_succeeded with data "{}"', () => {
    assert.equal(
      encodeSubscriptionSucceeded('private-foo'),
      '{"event":"pusher_internal:subscription_succeeded","channel":"private-foo","data":"{}"}',
    );
  });

  test('presence data with ids, hash and count, wrapped in subscription_succeeded', () => {
    const data = encodePresenceData([
      { userId: '1', userInfoJson: '{"name":"A"}' },
      { userId: '2', userInfoJson: undefined },
    ]);
    assert.equal(data, '{"presence":{"ids":["1","2"],"hash":{"1":{"name":"A"},"2":null},"count":2}}');
    assert.deepEqual(JSON.parse(data), {
      presence: { ids: ['1', '2'], hash: { '1': { name: 'A' }, '2': null }, count: 2 },
    });
    assert.equal(
      encodeSubscriptionSucceeded('presence-bar', data),
      '{"event":"pusher_internal:subscription_succeeded","channel":"presence-bar","data":"{\\"presence\\":{\\"ids\\":[\\"1\\",\\"2\\"],\\"hash\\":{\\"1\\":{\\"name\\":\\"A\\"},\\"2\\":null},\\"count\\":2}}"}',
    );
  });

  test('presence data with no members, and ids that need escaping', () => {
    assert.equal(encodePresenceData([]), '{"presence":{"ids":[],"hash":{},"count":0}}');
    const data = encodePresenceData(new Set([{ userId: 'a"b', userInfoJson: '{}' }]));
    assert.deepEqual(JSON.parse(data), { presence: { ids: ['a"b'], hash: { 'a"b': {} }, count: 1 } });
  });

  test('member_added and member_removed', () => {
    assert.equal(
      encodeMemberAdded('presence-bar', '1', '{"name":"A"}'),
      '{"event":"pusher_internal:member_added","channel":"presence-bar","data":"{\\"user_id\\":\\"1\\",\\"user_info\\":{\\"name\\":\\"A\\"}}"}',
    );
    assert.equal(
      encodeMemberAdded('presence-bar', '2', undefined),
      '{"event":"pusher_internal:member_added","channel":"presence-bar","data":"{\\"user_id\\":\\"2\\",\\"user_info\\":null}"}',
    );
    assert.equal(
      encodeMemberRemoved('presence-bar', '1'),
      '{"event":"pusher_internal:member_removed","channel":"presence-bar","data":"{\\"user_id\\":\\"1\\"}"}',
    );
  });

  test('subscription_count', () => {
    assert.equal(
      encodeSubscriptionCount('my-channel', 3),
      '{"event":"pusher_internal:subscription_count","channel":"my-channel","data":"{\\"subscription_count\\":3}"}',
    );
  });

  test('subscription_error (soketi style, with channel)', () => {
    assert.equal(
      encodeSubscriptionError('private-foo', 'AuthError', 'Invalid signature', 401),
      '{"event":"pusher:subscription_error","channel":"private-foo","data":"{\\"type\\":\\"AuthError\\",\\"error\\":\\"Invalid signature\\",\\"status\\":401}"}',
    );
  });

  test('cache_miss', () => {
    assert.equal(encodeCacheMiss('cache-x'), '{"event":"pusher:cache_miss","channel":"cache-x","data":"{}"}');
  });

  test('signin_success echoes the exact user_data string', () => {
    const userData = V.user_auth.response.user_data;
    const frame = encodeSigninSuccess(userData);
    assert.equal(
      frame,
      '{"event":"pusher:signin_success","data":"{\\"user_data\\":\\"{\\\\\\"id\\\\\\":\\\\\\"1\\\\\\",\\\\\\"user_info\\\\\\":{\\\\\\"name\\\\\\":\\\\\\"A\\\\\\"},\\\\\\"watchlist\\\\\\":[\\\\\\"2\\\\\\",\\\\\\"3\\\\\\"]}\\"}"}',
    );
    const outer = JSON.parse(frame) as { data: string };
    assert.equal((JSON.parse(outer.data) as { user_data: string }).user_data, userData);
  });

  test('watchlist events envelope', () => {
    assert.equal(
      encodeWatchlistEvents([
        { name: 'online', user_ids: ['2'] },
        { name: 'offline', user_ids: ['3'] },
      ]),
      '{"event":"pusher_internal:watchlist_events","data":"{\\"events\\":[{\\"name\\":\\"online\\",\\"user_ids\\":[\\"2\\"]},{\\"name\\":\\"offline\\",\\"user_ids\\":[\\"3\\"]}]}"}',
    );
    const outer = JSON.parse(encodeWatchlistEvents(W.watchlist_events_emitted)) as { data: string };
    assert.deepEqual((JSON.parse(outer.data) as { events: unknown }).events, W.watchlist_events_emitted);
  });
});

describe('channel events', () => {
  test('encodeChannelEvent reproduces the captured encrypted frame byte for byte', () => {
    const e = V.encryption;
    assert.equal(
      encodeChannelEvent('order-updated', e.channel_name, e.data_field),
      e.websocket_frame_received_by_client,
    );
  });

  test('data is relayed byte for byte, JSON or not', () => {
    for (const data of [
      '{"b":1,  "a":2}',
      'plain string',
      '',
      '"quoted"',
      'ünïcødé 😀',
      '{"x":"\\u00e9"}',
      '\n\t\\',
    ]) {
      const frame = encodeChannelEvent('my-event', 'my-channel', data);
      assert.equal((JSON.parse(frame) as { data: string }).data, data);
    }
    assert.equal(
      encodeChannelEvent('e', 'c', '{"b":1,  "a":2}'),
      '{"event":"e","channel":"c","data":"{\\"b\\":1,  \\"a\\":2}"}',
    );
  });

  test('user_id is appended when given', () => {
    assert.equal(
      encodeChannelEvent('e', 'presence-x', '{}', '7'),
      '{"event":"e","channel":"presence-x","data":"{}","user_id":"7"}',
    );
  });

  test('encodeRelayedClientEvent keeps object and string data as the client sent them', () => {
    const f = W.client_event_frame;
    assert.equal(
      encodeRelayedClientEvent(f.event, f.channel!, f.data),
      '{"event":"client-typing","channel":"private-foo","data":{"typing":true}}',
    );
    assert.equal(
      encodeRelayedClientEvent('client-x', 'private-a', '{"a":1}'),
      '{"event":"client-x","channel":"private-a","data":"{\\"a\\":1}"}',
    );
    assert.equal(
      encodeRelayedClientEvent('client-x', 'presence-a', { a: 1 }, '9'),
      '{"event":"client-x","channel":"presence-a","data":{"a":1},"user_id":"9"}',
    );
    assert.equal(
      encodeRelayedClientEvent('client-x', 'private-a', undefined),
      '{"event":"client-x","channel":"private-a","data":null}',
    );
  });
});
