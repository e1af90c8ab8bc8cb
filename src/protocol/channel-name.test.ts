import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { inspect } from 'node:util';
import {
  checkChannelName,
  classifyChannel,
  isEncryptedChannel,
  isPresenceChannel,
  requiresAuth,
  serverToUserChannel,
  serverToUserId,
  type ChannelKind,
} from './channel-name.js';
import { MAX_CHANNEL_NAME_LENGTH } from './limits.js';

describe('classifyChannel (PROTOCOL.md §2.5)', () => {
  const table: readonly (readonly [string, ChannelKind, boolean])[] = [
    ['private-encrypted-cache-x', 'encrypted', true],
    ['private-encrypted-x', 'encrypted', false],
    ['private-encrypted-orders.42', 'encrypted', false],
    ['private-cache-x', 'private', true],
    ['private-x', 'private', false],
    ['presence-cache-x', 'presence', true],
    ['presence-x', 'presence', false],
    ['cache-x', 'public', true],
    ['#server-to-user-1', 'server-to-user', false],
    ['my-channel', 'public', false],
    // Pitfalls of unanchored or split-based matchers in other servers.
    ['foo-private-x', 'public', false],
    ['my-cache-x', 'public', false],
    ['foo-presence-x', 'public', false],
    ['x#server-to-user-1', 'public', false],
    // A bare prefix without its trailing dash is not the prefix.
    ['private', 'public', false],
    ['privateX', 'public', false],
    ['presence', 'public', false],
    ['cache', 'public', false],
    ['private-encrypted', 'private', false],
    ['presence-encrypted-x', 'presence', false],
    ['Private-x', 'public', false],
  ];
  for (const [name, kind, cache] of table) {
    test(`${name} → ${kind}${cache ? ' + cache' : ''}`, () => {
      assert.deepEqual(classifyChannel(name), { kind, cache });
    });
  }

  test('requiresAuth: private, encrypted and presence only', () => {
    assert.equal(requiresAuth('private'), true);
    assert.equal(requiresAuth('encrypted'), true);
    assert.equal(requiresAuth('presence'), true);
    assert.equal(requiresAuth('public'), false);
    assert.equal(requiresAuth('server-to-user'), false);
  });

  test('isEncryptedChannel and isPresenceChannel are anchored', () => {
    assert.equal(isEncryptedChannel('private-encrypted-x'), true);
    assert.equal(isEncryptedChannel('private-encrypted-cache-x'), true);
    assert.equal(isEncryptedChannel('private-x'), false);
    assert.equal(isEncryptedChannel('foo-private-encrypted-x'), false);
    assert.equal(isPresenceChannel('presence-x'), true);
    assert.equal(isPresenceChannel('presence-cache-x'), true);
    assert.equal(isPresenceChannel('my-presence-x'), false);
  });
});

describe('checkChannelName', () => {
  test('every allowed character is accepted', () => {
    const all = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-=@,.;';
    assert.equal(checkChannelName(all), undefined);
    for (const c of all) assert.equal(checkChannelName(`a${c}b`), undefined, JSON.stringify(c));
  });

  test('any other character is invalid_channel_name', () => {
    for (const c of [
      ' ',
      '#',
      ':',
      '/',
      '\\',
      '?',
      '&',
      '%',
      '+',
      '*',
      '!',
      '"',
      "'",
      '\n',
      '\t',
      '\0',
      'é',
      'ü',
      '😀',
      '\u00a0',
    ]) {
      assert.equal(checkChannelName(`private-a${c}b`), 'invalid_channel_name', JSON.stringify(c));
    }
  });

  test('200 characters pass, 201 are channel_name_too_long', () => {
    assert.equal(MAX_CHANNEL_NAME_LENGTH, 200);
    assert.equal(checkChannelName('a'.repeat(200)), undefined);
    assert.equal(checkChannelName('private-' + 'a'.repeat(192)), undefined);
    assert.equal(checkChannelName('a'.repeat(201)), 'channel_name_too_long');
    assert.equal(checkChannelName('#server-to-user-' + 'a'.repeat(185)), 'channel_name_too_long');
  });

  test('empty and non-string names are invalid_channel_name', () => {
    for (const bad of ['', undefined, null, 42, {}, ['x'], true]) {
      assert.equal(checkChannelName(bad), 'invalid_channel_name', inspect(bad));
    }
  });

  test('# is legal only in #server-to-user-{id}', () => {
    assert.equal(checkChannelName('#server-to-user-1'), undefined);
    assert.equal(checkChannelName('#server-to-user-user@example.com'), undefined);
    assert.equal(checkChannelName('#server-to-user-'), 'invalid_channel_name');
    assert.equal(checkChannelName('#server-to-user-a#b'), 'invalid_channel_name');
    assert.equal(checkChannelName('#server-to-user-a b'), 'invalid_channel_name');
    assert.equal(checkChannelName('#foo'), 'invalid_channel_name');
    assert.equal(checkChannelName('#'), 'invalid_channel_name');
    assert.equal(checkChannelName('private-#server-to-user-1'), 'invalid_channel_name');
    assert.equal(checkChannelName('#server-to-users-1'), 'invalid_channel_name');
  });

  test('#server-to-user-{id} only when allowed', () => {
    assert.equal(checkChannelName('#server-to-user-1', true), undefined);
    assert.equal(checkChannelName('#server-to-user-1', false), 'invalid_channel_name');
    assert.equal(checkChannelName('private-x', false), undefined);
  });
});

describe('serverToUserId', () => {
  test('extracts the id of #server-to-user-{id} only', () => {
    assert.equal(serverToUserId('#server-to-user-1'), '1');
    assert.equal(serverToUserId('#server-to-user-a-b'), 'a-b');
    assert.equal(serverToUserId('#server-to-user-'), '');
    assert.equal(serverToUserId('private-1'), undefined);
    assert.equal(serverToUserId('server-to-user-1'), undefined);
    assert.equal(serverToUserId('x#server-to-user-1'), undefined);
  });

  test('serverToUserChannel is its inverse', () => {
    assert.equal(serverToUserChannel('1'), '#server-to-user-1');
    assert.equal(serverToUserId(serverToUserChannel('user-42')), 'user-42');
  });
});
