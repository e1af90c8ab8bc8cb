import assert from 'node:assert/strict';
import { test } from 'node:test';
import { apiTargetOf, parseQuery, plainApiTarget, queryValue } from './api-target.js';

const viaUrl = (raw: string) => apiTargetOf(new URL(raw, 'http://localhost'));
/** plainApiTarget of a raw target, split at its first `?` as HttpRequest's path and query are. */
const plain = (raw: string) => {
  const q = raw.indexOf('?');
  return q === -1 ? plainApiTarget(raw, '') : plainApiTarget(raw.slice(0, q), raw.slice(q + 1));
};

test('a plain target splits exactly as new URL parses it', () => {
  for (const raw of [
    '/apps/1/events',
    '/apps/1/events?',
    '/apps/1/events?auth_key=k&auth_timestamp=1&auth_version=1.0&body_md5=abc&auth_signature=f0',
    '/apps/1/channels?filter_by_prefix=presence-&info=user_count',
    '/apps/1/channels?a&&b=&=c&a=2',
    '/apps/1/channels?x=a%20b&y=c+d&z=%E2%82%AC&bad=%zz&k=%41',
    '/apps/my-app/channels/private-chat%3Aroom',
    "/apps/1/channels?q=it's,a;b:c@d/e",
  ]) {
    const target = plain(raw);
    assert.ok(target, raw);
    const url = viaUrl(raw);
    assert.deepEqual({ path: target.path, query: target.query }, { path: url.path, query: url.query }, raw);
    // The text itself is kept only where decoding leaves it as it is.
    const q = raw.indexOf('?');
    const text = q === -1 ? '' : raw.slice(q + 1);
    assert.equal(target.plainQuery, /[%+]/.test(text) ? undefined : text, raw);
  }
});

test('targets the URL parser would rewrite are left to it', () => {
  for (const raw of [
    '/apps/../api/v1/apps',
    '/apps/1/%2e%2E/events',
    '/apps/1/./events',
    '/apps\\1/events',
    '/apps/1/events#frag',
    '/apps/1/events?a=b c',
    '/apps/1/events??a=b',
    '/apps/1/é',
    '/apps/1/events?a=\tb',
    '/api/v1/apps',
    '/app/key',
  ]) {
    assert.equal(plain(raw), undefined, raw);
  }
});

test('queryValue returns the first value of a name, case-sensitively', () => {
  const query = parseQuery('info=a&INFO=b&info=c');
  assert.equal(queryValue(query, 'info'), 'a');
  assert.equal(queryValue(query, 'Info'), undefined);
});
