// REST request signatures exactly as PROTOCOL.md §7.2, checked against the requests the real
// `pusher` SDK produced (test/fixtures/protocol-vectors.json, `rest.*`, auth_timestamp 1700000000).
import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import type { App } from '../../src/core/app.js';
import { errorOf, rawRequest, signedRequest, type ApiResponse } from '../support/rest.js';
import { makeApp, startTestServer, type TestServer } from '../support/server.js';

interface RestVector {
  method: string;
  path: string;
  raw_query_as_sent: string;
  decoded_query: Record<string, string>;
  body: string;
}

const fixtures = JSON.parse(
  readFileSync(new URL('../fixtures/protocol-vectors.json', import.meta.url), 'utf8'),
) as { rest: Record<string, unknown> };
const vectors = Object.entries(fixtures.rest).filter(
  (entry): entry is [string, RestVector] =>
    typeof (entry[1] as Partial<RestVector>).method === 'string' &&
    typeof (entry[1] as Partial<RestVector>).raw_query_as_sent === 'string',
);
const VECTOR_TIME_S = 1_700_000_000;
const AUTH_PARAMS = new Set(['auth_key', 'auth_timestamp', 'auth_version', 'auth_signature', 'body_md5']);

/** What the server answers to a correctly authenticated replay of each vector. */
function expectAccepted(name: string, response: ApiResponse): void {
  if (name === 'get_channel') {
    // The SDK asked for subscription_count on a presence channel: authenticated, then refused.
    assert.equal(response.status, 400, `${name}: ${response.text}`);
    assert.equal(errorOf(response)?.code, 'info_not_applicable');
  } else {
    assert.equal(response.status, 200, `${name}: ${response.text}`);
  }
}

const vectorApp = (): App => makeApp({ id: 'app-id', key: 'app-key', secret: 'app-secret' });

/** An independent implementation of the string to sign, written from PROTOCOL.md §7.2. */
function manualSignature(secret: string, method: string, path: string, pairs: [string, string][]): string {
  const canonical = pairs
    .map(([k, v]): [string, string] => [k.toLowerCase(), v])
    .filter(([k]) => k !== 'auth_signature')
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  return createHmac('sha256', secret).update(`${method}\n${path}\n${canonical}`).digest('hex');
}

describe('REST auth: SDK-captured vectors', () => {
  let live: TestServer;
  let frozen: TestServer;
  before(async () => {
    assert.ok(vectors.length >= 10, `expected the rest.* request vectors, found ${vectors.length}`);
    live = await startTestServer({ apps: [vectorApp()] });
    // A server whose clock reads the vectors' timestamp: the captured requests are fresh there.
    frozen = await startTestServer({ apps: [vectorApp()], clock: { now: () => VECTOR_TIME_S * 1000 + 500 } });
  });
  after(async () => {
    await live.close();
    await frozen.close();
  });

  test('each captured request, replayed verbatim today, is refused as stale (401 naming the timestamp)', async () => {
    for (const [name, v] of vectors) {
      const response = await rawRequest(
        live,
        v.method,
        `${v.path}?${v.raw_query_as_sent}`,
        v.body || undefined,
      );
      assert.equal(response.status, 401, `${name}: ${response.text}`);
      const error = errorOf(response);
      assert.equal(error?.code, 'auth_timestamp_expired', name);
      assert.match(error.message, /1700000000/, `${name}: message should name the timestamp`);
    }
  });

  test('each captured request verifies byte-exactly when the server clock is at its timestamp', async () => {
    for (const [name, v] of vectors) {
      const response = await rawRequest(
        frozen,
        v.method,
        `${v.path}?${v.raw_query_as_sent}`,
        v.body || undefined,
      );
      expectAccepted(name, response);
    }
  });

  test('the same requests re-signed with a current timestamp are accepted', async () => {
    for (const [name, v] of vectors) {
      const query: Record<string, string> = {};
      for (const [k, value] of Object.entries(v.decoded_query)) if (!AUTH_PARAMS.has(k)) query[k] = value;
      const response = await signedRequest(live, live.app, {
        method: v.method,
        path: v.path,
        query,
        ...(v.body ? { body: v.body } : {}),
      });
      expectAccepted(name, response);
    }
  });
});

describe('REST auth: signature, timestamp, body_md5, keys', () => {
  let server: TestServer;
  let rotating: App;
  let other: App;
  const NOW_S = Math.floor(Date.now() / 1000);
  const body = { name: 'e', channel: 'auth-test', data: 'x' };
  let path: string;
  before(async () => {
    rotating = { ...makeApp(), secrets: ['new-secret-value', 'old-secret-value'] };
    other = makeApp();
    server = await startTestServer({
      apps: [makeApp(), rotating, other],
      clock: { now: () => NOW_S * 1000 + 500 },
    });
    path = `/apps/${server.app.id}/events`;
  });
  after(async () => {
    await server.close();
  });

  test('a bad signature is 401', async () => {
    const bad = await signedRequest(server, server.app, { path, body, signature: '0'.repeat(64) });
    assert.equal(bad.status, 401);
    assert.equal(errorOf(bad)?.code, 'auth_signature_invalid');
    const wrongSecret = await signedRequest(server, server.app, { path, body, secret: 'not-the-secret' });
    assert.equal(wrongSecret.status, 401);
    const good = await signedRequest(server, server.app, { path, body });
    assert.equal(good.status, 200, good.text);
  });

  test('timestamps: ±601 s is 401, ±599 s is accepted', async () => {
    for (const offset of [601, -601, 10_000]) {
      const response = await signedRequest(server, server.app, { path, body, timestamp: NOW_S + offset });
      assert.equal(response.status, 401, `offset ${offset}`);
      assert.equal(errorOf(response)?.code, 'auth_timestamp_expired');
      assert.match(errorOf(response)?.message ?? '', new RegExp(String(NOW_S + offset)));
    }
    for (const offset of [599, -599, 0]) {
      const response = await signedRequest(server, server.app, { path, body, timestamp: NOW_S + offset });
      assert.equal(response.status, 200, `offset ${offset}: ${response.text}`);
    }
  });

  test('auth_timestamp is decimal digits only: the right instant written any other way is 401', async () => {
    const forms = [
      `${NOW_S}.0`,
      `+${NOW_S}`,
      ` ${NOW_S}`,
      `${NOW_S} `,
      `${NOW_S / 1e9}e9`,
      `0x${NOW_S.toString(16)}`,
      `${NOW_S}`.replace('1', '１'),
      '',
    ];
    for (const timestamp of forms) {
      const response = await signedRequest(server, server.app, { path, body, timestamp });
      assert.equal(response.status, 401, `${JSON.stringify(timestamp)}: ${response.text}`);
      assert.equal(errorOf(response)?.code, 'auth_timestamp_expired', JSON.stringify(timestamp));
    }
    // Leading zeros are still digits, and the same instant.
    const padded = await signedRequest(server, server.app, { path, body, timestamp: `00${NOW_S}` });
    assert.equal(padded.status, 200, padded.text);
  });

  test('body_md5 missing or wrong on a non-empty body is 401; GET needs none', async () => {
    const missing = await signedRequest(server, server.app, { path, body, bodyMd5: false });
    assert.equal(missing.status, 401);
    assert.equal(errorOf(missing)?.code, 'auth_body_md5');
    // Signed correctly over the wrong md5: only the md5 check can refuse it.
    const wrong = await signedRequest(server, server.app, {
      path,
      body,
      bodyMd5: 'd41d8cd98f00b204e9800998ecf8427e',
    });
    assert.equal(wrong.status, 401);
    assert.equal(errorOf(wrong)?.code, 'auth_body_md5');
    const get = await signedRequest(server, server.app, {
      method: 'GET',
      path: `/apps/${server.app.id}/channels`,
    });
    assert.equal(get.status, 200, get.text);
    // The md5 is over the raw bytes: extra whitespace in the body changes it.
    const text = JSON.stringify(body, null, 2);
    const md5 = createHash('md5').update(text).digest('hex');
    const spaced = await signedRequest(server, server.app, { path, body: text, bodyMd5: md5 });
    assert.equal(spaced.status, 200, spaced.text);
  });

  test('query keys are lowercased and values signed decoded (independent signer)', async () => {
    const channelsPath = `/apps/${server.app.id}/channels`;
    const send = (pairs: [string, string][], encode: (v: string) => string) => {
      const signature = manualSignature(server.app.secrets[0] ?? '', 'GET', channelsPath, pairs);
      const query = [...pairs, ['auth_signature', signature] as [string, string]]
        .map(([k, v]) => `${k}=${encode(v)}`)
        .join('&');
      return rawRequest(server, 'GET', `${channelsPath}?${query}`);
    };
    const base: [string, string][] = [
      ['auth_key', server.app.key],
      ['auth_timestamp', String(NOW_S)],
      ['auth_version', '1.0'],
    ];
    const upper = await send(
      [...base, ['FILTER_BY_PREFIX', 'x'], ['Info', 'subscription_count']],
      encodeURIComponent,
    );
    assert.equal(upper.status, 200, upper.text);
    const upperAuth = await send(
      [
        ['AUTH_KEY', server.app.key],
        ['Auth_Timestamp', String(NOW_S)],
        ['auth_version', '1.0'],
      ],
      encodeURIComponent,
    );
    assert.equal(upperAuth.status, 200, upperAuth.text);
    const spaced = await send([...base, ['filter_by_prefix', 'a b']], encodeURIComponent);
    assert.equal(spaced.status, 200, spaced.text);
    const plus = await send([...base, ['filter_by_prefix', 'a b']], (v) => v.replace(/ /g, '+'));
    assert.equal(plus.status, 200, plus.text);
    // Signing the escaped form is wrong: the server must not accept `a%20b` as the signed value.
    const signature = manualSignature(server.app.secrets[0] ?? '', 'GET', channelsPath, [
      ...base,
      ['filter_by_prefix', 'a%20b'],
    ]);
    const escapedSigned = await rawRequest(
      server,
      'GET',
      `${channelsPath}?${base.map(([k, v]) => `${k}=${v}`).join('&')}&filter_by_prefix=a%20b&auth_signature=${signature}`,
    );
    assert.equal(escapedSigned.status, 401);
  });

  test('a wrong auth_key, or an app id the key does not own, is 401', async () => {
    const wrongKey = await signedRequest(server, server.app, { path, body, key: 'no-such-key' });
    assert.equal(wrongKey.status, 401);
    assert.equal(errorOf(wrongKey)?.code, 'auth_key_mismatch');
    // Valid key and secret of another app, pointed at this app's id.
    const foreign = await signedRequest(server, other, { path, body });
    assert.equal(foreign.status, 401);
    const unknownApp = await signedRequest(server, server.app, { path: '/apps/999/events', body });
    assert.equal(unknownApp.status, 401);
    const missing = await rawRequest(server, 'POST', path, JSON.stringify(body));
    assert.equal(missing.status, 401);
    assert.equal(errorOf(missing)?.code, 'auth_missing');
  });

  test('during secret rotation both the new and the old secret verify', async () => {
    const rotPath = `/apps/${rotating.id}/events`;
    for (const secret of rotating.secrets) {
      const response = await signedRequest(server, rotating, { path: rotPath, body, secret });
      assert.equal(response.status, 200, `${secret}: ${response.text}`);
    }
    const retired = await signedRequest(server, rotating, { path: rotPath, body, secret: 'retired-secret' });
    assert.equal(retired.status, 401);
  });
});
