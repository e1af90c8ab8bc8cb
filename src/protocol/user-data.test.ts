import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { inspect } from 'node:util';
import { MAX_USER_ID_LENGTH, MAX_USER_INFO_BYTES } from './limits.js';
import { parseChannelData, parseUserData } from './user-data.js';

const cd = (value: unknown): string => JSON.stringify(value);

describe('parseChannelData', () => {
  test('string user id with user_info (the SDK vector)', () => {
    assert.deepEqual(parseChannelData('{"user_id":"1","user_info":{"name":"A"}}'), {
      userId: '1',
      userInfoJson: '{"name":"A"}',
    });
  });

  test('numeric user id is stringified (docs use user_id: 10)', () => {
    assert.deepEqual(parseChannelData('{"user_id":10,"user_info":{"name":"Mr. Pusher"}}'), {
      userId: '10',
      userInfoJson: '{"name":"Mr. Pusher"}',
    });
    assert.equal((parseChannelData(cd({ user_id: 0 })) as { userId: string }).userId, '0');
  });

  test('user_info is optional; null counts as absent', () => {
    assert.deepEqual(parseChannelData(cd({ user_id: 'u' })), { userId: 'u', userInfoJson: undefined });
    assert.deepEqual(parseChannelData(cd({ user_id: 'u', user_info: null })), {
      userId: 'u',
      userInfoJson: undefined,
    });
    assert.deepEqual(parseChannelData(cd({ user_id: 'u', user_info: {} })), {
      userId: 'u',
      userInfoJson: '{}',
    });
  });

  test('user_info is re-serialised compactly', () => {
    const parsed = parseChannelData('{"user_id":"u","user_info":{ "a" : [1, 2] }}');
    assert.deepEqual(parsed, { userId: 'u', userInfoJson: '{"a":[1,2]}' });
  });

  test('missing, empty or non-string/number user id is invalid_channel_data', () => {
    for (const bad of [
      {},
      { user_info: {} },
      { user_id: '' },
      { user_id: null },
      { user_id: true },
      { user_id: {} },
      { user_id: ['1'] },
    ]) {
      assert.equal(parseChannelData(cd(bad)), 'invalid_channel_data', cd(bad));
    }
  });

  test('128-character user id passes, 129 is user_id_too_long', () => {
    assert.equal(MAX_USER_ID_LENGTH, 128);
    const ok = 'a'.repeat(128);
    assert.deepEqual(parseChannelData(cd({ user_id: ok })), { userId: ok, userInfoJson: undefined });
    assert.equal(parseChannelData(cd({ user_id: 'a'.repeat(129) })), 'user_id_too_long');
  });

  test('user_info that is not an object is invalid_channel_data', () => {
    for (const info of ['A', 42, true, [], [{ name: 'A' }]]) {
      assert.equal(parseChannelData(cd({ user_id: '1', user_info: info })), 'invalid_channel_data', cd(info));
    }
  });

  test('user_info over 10 KB (UTF-8 bytes of its JSON) is user_info_too_large', () => {
    assert.equal(MAX_USER_INFO_BYTES, 10 * 1024);
    const overhead = '{"n":""}'.length;
    const atLimit = { n: 'x'.repeat(MAX_USER_INFO_BYTES - overhead) };
    assert.equal(JSON.stringify(atLimit).length, MAX_USER_INFO_BYTES);
    assert.equal(typeof parseChannelData(cd({ user_id: '1', user_info: atLimit })), 'object');
    const over = { n: 'x'.repeat(MAX_USER_INFO_BYTES - overhead + 1) };
    assert.equal(parseChannelData(cd({ user_id: '1', user_info: over })), 'user_info_too_large');
    // Counted in bytes, not characters: 'é' is 2 bytes.
    const multiByte = { n: 'é'.repeat((MAX_USER_INFO_BYTES - overhead) / 2 + 1) };
    assert.ok(JSON.stringify(multiByte).length < MAX_USER_INFO_BYTES);
    assert.equal(parseChannelData(cd({ user_id: '1', user_info: multiByte })), 'user_info_too_large');
  });

  test('invalid JSON, non-object JSON and non-strings are invalid_channel_data', () => {
    for (const bad of ['', '{', 'user_id=1', '[]', '[{"user_id":"1"}]', 'null', '"1"', '1']) {
      assert.equal(parseChannelData(bad), 'invalid_channel_data', bad);
    }
    for (const bad of [undefined, null, 1, { user_id: '1' }]) {
      assert.equal(parseChannelData(bad), 'invalid_channel_data');
    }
  });
});

describe('parseUserData', () => {
  test('the SDK vector with user_info and watchlist', () => {
    assert.deepEqual(parseUserData('{"id":"1","user_info":{"name":"A"},"watchlist":["2","3"]}'), {
      id: '1',
      watchlist: ['2', '3'],
    });
  });

  test('watchlist defaults to empty', () => {
    assert.deepEqual(parseUserData('{"id":"12345"}'), { id: '12345', watchlist: [] });
  });

  test('watchlist drops non-string and empty entries', () => {
    assert.deepEqual(parseUserData(cd({ id: '1', watchlist: ['2', 3, '', null, '4'] })), {
      id: '1',
      watchlist: ['2', '4'],
    });
  });

  test('a watchlist that is not an array is rejected', () => {
    assert.equal(parseUserData(cd({ id: '1', watchlist: '2' })), undefined);
    assert.equal(parseUserData(cd({ id: '1', watchlist: { 0: '2' } })), undefined);
  });

  test('id must be a non-empty string of at most 128 characters', () => {
    for (const bad of [{}, { id: '' }, { id: 1 }, { id: null }, { id: ['1'] }, { id: 'a'.repeat(129) }]) {
      assert.equal(parseUserData(cd(bad)), undefined, cd(bad));
    }
    assert.deepEqual(parseUserData(cd({ id: 'a'.repeat(128) })), { id: 'a'.repeat(128), watchlist: [] });
  });

  test('invalid JSON, non-object JSON and non-strings are rejected', () => {
    for (const bad of ['', '{', '[]', 'null', '"1"', undefined, null, 1, { id: '1' }]) {
      assert.equal(parseUserData(bad), undefined, inspect(bad));
    }
  });
});
