// Property-based fuzzing of every endpoint that accepts JSON: the Pusher REST API (`/events`,
// `/batch_events`, `/terminate_connections`, signed as the `pusher` SDK signs), the management API
// with a real token (apps, settings, events, secrets, encryption keys, tokens, team, account) and the
// dashboard login. Bodies are random JSON built from the fields these endpoints know plus random
// ones: deep, wide, huge strings, wrong types, unicode, lone surrogates, prototype-pollution keys
// (`__proto__`, `constructor`), invalid text. Every answer must be below 500 and, when it is an
// error, carry a code from the catalogue; nothing may crash, log an unexpected error or pollute
// Object.prototype; memory stays bounded and a normal client is still served.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import type { App } from '../../src/core/app.js';
import { ERRORS } from '../../src/protocol/errors.js';
import { startFullStack, type FullStack } from '../support/full-stack.js';
import { startManagementHarness, type ManagementHarness } from '../support/management-harness.js';
import { signedRequest } from '../support/rest.js';
import { assertClientServed, assertMemoryBounded, errorLogs, fuzz, memoryNow } from './fuzz-support.js';

const KNOWN_KEYS = [
  'name',
  'channel',
  'channels',
  'data',
  'socket_id',
  'info',
  'batch',
  'event',
  'settings',
  'enabled',
  'client_events',
  'encrypted_client_events',
  'user_authentication',
  'subscription_count',
  'authorized_connections',
  'allowed_origins',
  'scopes',
  'expires_in_days',
  'email',
  'password',
  'role',
  'plan',
  'grace_period_seconds',
  'confirm',
  'user_id',
  'user_info',
];
const POLLUTING_KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf'];
const KNOWN_VALUES: readonly unknown[] = [
  'private-a',
  'presence-a',
  'private-encrypted-a',
  'cache-a',
  'a',
  '#server-to-user-1',
  ['a', 'b'],
  'user_count',
  'subscription_count',
  'user_count,subscription_count',
  'cache',
  'owner',
  'admin',
  'developer',
  'viewer',
  'free',
  'startup',
  'business',
  '*',
  'https://*.x.test',
  'apps:read',
  ['apps:read', 'events:write'],
  true,
  false,
  0,
  -1,
  1.5,
  1e308,
  2 ** 53,
  '123.456',
  '',
  ' ',
  '\u0000',
  '\ud800',
  '\u202e',
  'x'.repeat(300),
  { polluted: true },
];

/** Inputs that broke an endpoint once: replayed before every fuzz run. */
const REGRESSIONS: readonly { endpoint: string; body: string }[] = [
  // Issue 8 finding 8: JSON.stringify overflowed on deep `data` and the management API answered 500.
  {
    endpoint: 'management events',
    body: `{"name":"e","channel":"c","data":${'['.repeat(30_000)}${']'.repeat(30_000)}}`,
  },
  // The same overflow in the REST API's error message for a non-string channel.
  {
    endpoint: 'rest events',
    body: `{"name":"e","channels":[${'['.repeat(30_000)}${']'.repeat(30_000)}],"data":"x"}`,
  },
  { endpoint: 'login', body: `{"email":${'{"a":'.repeat(20_000)}1${'}'.repeat(20_000)},"password":"x"}` },
  { endpoint: 'management create app', body: '{"__proto__":{"polluted":true},"name":"p"}' },
];

function checkAnswer(
  crashes: readonly unknown[],
  endpoint: string,
  body: string,
  answer: { status: number; text: string },
): void {
  const shown = `${endpoint} ${body.slice(0, 400)} -> ${answer.status} ${answer.text.slice(0, 300)}`;
  assert.deepEqual(crashes, [], shown);
  assert.ok(answer.status < 500, shown);
  if (answer.status >= 400) {
    const code = (JSON.parse(answer.text) as { error?: { code?: string } }).error?.code;
    assert.ok(code !== undefined && code in ERRORS, `not a catalogue error: ${shown}`);
  }
  assert.equal(({} as Record<string, unknown>).polluted, undefined, `Object.prototype polluted by ${shown}`);
}
const key = (): fc.Arbitrary<string> =>
  fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(...KNOWN_KEYS) },
    { weight: 1, arbitrary: fc.constantFrom(...POLLUTING_KEYS) },
    { weight: 2, arbitrary: fc.string({ maxLength: 12, unit: 'grapheme' }) },
  );

const { value } = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constantFrom(...KNOWN_VALUES),
    fc.string({ maxLength: 40, unit: 'grapheme' }),
    fc.string({ maxLength: 20, unit: 'binary' }),
    fc.integer(),
    fc.double(),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('value'), { maxLength: 6 }),
    fc.dictionary(key(), tie('value'), { maxKeys: 8 }),
  ),
}));

const bodyText = (): fc.Arbitrary<string> =>
  fc.oneof(
    { weight: 8, arbitrary: fc.dictionary(key(), value, { maxKeys: 8 }).map((o) => JSON.stringify(o)) },
    { weight: 2, arbitrary: value.map((v) => JSON.stringify(v)) },
    {
      weight: 1,
      arbitrary: fc
        .tuple(fc.integer({ min: 60, max: 40_000 }), fc.boolean())
        .map(([depth, objects]) =>
          objects
            ? `${'{"data":'.repeat(depth)}1${'}'.repeat(depth)}`
            : `${'['.repeat(depth)}${']'.repeat(depth)}`,
        ),
    },
    {
      weight: 1,
      arbitrary: fc
        .tuple(
          fc.constantFrom('channels', 'batch', 'data', 'name', 'allowed_origins', 'scopes'),
          fc.nat({ max: 30_000 }),
        )
        .map(([field, n]) => `{"${field}":[${Array.from({ length: n }, (_, i) => String(i)).join(',')}]}`),
    },
    {
      weight: 1,
      arbitrary: fc
        .tuple(fc.constantFrom('name', 'data', 'email', 'password', 'channel'), fc.nat({ max: 3_000_000 }))
        .map(([field, n]) => `{"${field}":"${'x'.repeat(n)}","name":"e","channel":"c"}`),
    },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        '',
        ' ',
        '{',
        '{"a":}',
        '[1,]',
        'nul',
        '"\\ud800"',
        '{"name":"\\ud800\\udfff\\u0000"}',
        '1e999',
        '{"a":1,"a":2}',
        '\ufeff{}',
        '{"__proto__":{"polluted":true}}',
        '{"constructor":{"prototype":{"polluted":true}}}',
        '{"batch":[{"__proto__":{"polluted":1}}]}',
      ),
    },
    { weight: 1, arbitrary: fc.string({ maxLength: 200, unit: 'binary' }) },
  );

describe('JSON endpoint fuzz', () => {
  let stack: FullStack;
  /** A second app of the seeded account: the fuzzer may rename, disable or re-key it. */
  let victim: App;
  let memoryBefore: { heap: number; rss: number };

  before(async () => {
    stack = await startFullStack();
    const created = await fetch(`${stack.server.url}/api/v1/apps`, {
      method: 'POST',
      headers: { authorization: `Bearer ${stack.token}`, 'content-type': 'application/json' },
      body: '{"name":"Victim"}',
    });
    const { id } = (await created.json()) as { id: string };
    const found = stack.server.directory.findById(id);
    if (!found) throw new Error('victim app missing');
    victim = found;
    memoryBefore = memoryNow();
  });
  after(async () => {
    await stack.close();
  });

  const ENDPOINTS: Readonly<Record<string, (body: string) => Promise<{ status: number; text: string }>>> = {
    'rest events': (body) => rest(`/apps/${stack.app.id}/events`, body),
    'rest batch_events': (body) => rest(`/apps/${stack.app.id}/batch_events`, body),
    'rest terminate_connections': (body) =>
      rest(`/apps/${stack.app.id}/users/u-1/terminate_connections`, body),
    'management create app': (body) => api('POST', '/apps', body),
    'management update app': (body) => api('PATCH', `/apps/${victim.id}`, body),
    'management events': (body) => api('POST', `/apps/${stack.app.id}/events`, body),
    'management rotate secret': (body) => api('POST', `/apps/${victim.id}/rotate-secret`, body),
    'management encryption key': (body) => api('POST', `/apps/${victim.id}/encryption-key`, body),
    'management tokens': (body) => api('POST', '/tokens', body),
    'management team': (body) => api('POST', '/team', body),
    'management team role': (body) => api('PATCH', '/team/00000000-0000-0000-0000-000000000000', body),
    'management account': (body) => api('PATCH', '/account', body),
    login: (body) => api('POST', '/session', body, false),
  };

  async function rest(path: string, body: string): Promise<{ status: number; text: string }> {
    const response = await signedRequest(stack.server, stack.app, { path, body });
    return { status: response.status, text: response.text };
  }

  async function api(
    method: string,
    path: string,
    body: string,
    auth = true,
  ): Promise<{ status: number; text: string }> {
    const response = await fetch(`${stack.server.url}/api/v1${path}`, {
      method,
      headers: {
        'content-type': 'application/json',
        ...(auth ? { authorization: `Bearer ${stack.token}` } : {}),
      },
      body,
      signal: AbortSignal.timeout(10_000),
    });
    return { status: response.status, text: await response.text() };
  }

  test('regression examples', async () => {
    for (const { endpoint, body } of REGRESSIONS) {
      const send = ENDPOINTS[endpoint];
      assert.ok(send, endpoint);
      checkAnswer(stack.crashes, endpoint, body, await send(body));
    }
  });

  test('random JSON on every JSON endpoint: never 5xx, always a catalogue error', async () => {
    const names = Object.keys(ENDPOINTS);
    await fuzz(
      'JSON endpoints',
      fc.tuple(fc.constantFrom(...names), bodyText()),
      async ([endpoint, body]) => {
        const send = ENDPOINTS[endpoint];
        assert.ok(send);
        checkAnswer(stack.crashes, endpoint, body, await send(body));
      },
      1.5,
    );
  });

  test('afterwards: no unexpected error logged, memory bounded, a normal client is served', async () => {
    assert.deepEqual(stack.crashes, []);
    assert.deepEqual(errorLogs(stack.logs), []);
    assertMemoryBounded(memoryBefore);
    await assertClientServed(stack.server, await stack.newApp());
  });
});

describe('JSON endpoint fuzz, management API on PostgreSQL', () => {
  let harness: ManagementHarness;
  let token: string;
  let appId: string;
  const crashes: unknown[] = [];
  const onCrash = (error: unknown): void => {
    crashes.push(error);
  };
  before(async () => {
    process.on('uncaughtException', onCrash);
    process.on('unhandledRejection', onCrash);
    harness = await startManagementHarness('postgres');
    ({ token } = await harness.account('business'));
    const created = await harness.request('POST', '/api/v1/apps', { token, body: { name: 'Victim' } });
    appId = (created.json as { id: string }).id;
  });
  after(async () => {
    await harness.close();
    process.off('uncaughtException', onCrash);
    process.off('unhandledRejection', onCrash);
  });

  test('regression examples: NUL characters, which PostgreSQL text cannot hold', async () => {
    const cases: [string, string, string | undefined, boolean][] = [
      ['POST', '/apps', '{"name":"a\\u0000b"}', true],
      ['POST', '/session', '{"email":"a\\u0000@b.test","password":"x"}', false],
      [
        'POST',
        '/team',
        '{"email":"a\\u0000@b.test","password":"long enough password","role":"viewer"}',
        true,
      ],
      ['DELETE', '/team/%00', undefined, true],
      ['GET', '/apps/%00', undefined, true],
    ];
    for (const [method, path, body, auth] of cases) {
      const r = await harness.request(method, `/api/v1${path}`, {
        ...(body === undefined ? {} : { rawBody: body, headers: { 'content-type': 'application/json' } }),
        ...(auth ? { token } : {}),
      });
      checkAnswer(crashes, `${method} ${path}`, body ?? '', { status: r.status, text: r.text });
    }
  });

  test('random JSON on the store-backed endpoints: never 5xx, always a catalogue error', async () => {
    const send = async (method: string, path: string, body: string, auth = true) => {
      const r = await harness.request(method, `/api/v1${path}`, {
        rawBody: body,
        headers: { 'content-type': 'application/json' },
        ...(auth ? { token } : {}),
      });
      return { status: r.status, text: r.text };
    };
    const endpoints: Record<string, (body: string) => Promise<{ status: number; text: string }>> = {
      'create app': (body) => send('POST', '/apps', body),
      'update app': (body) => send('PATCH', `/apps/${appId}`, body),
      'rotate secret': (body) => send('POST', `/apps/${appId}/rotate-secret`, body),
      'encryption key': (body) => send('POST', `/apps/${appId}/encryption-key`, body),
      tokens: (body) => send('POST', '/tokens', body),
      team: (body) => send('POST', '/team', body),
      account: (body) => send('PATCH', '/account', body),
      login: (body) => send('POST', '/session', body, false),
    };
    await fuzz(
      'JSON endpoints on PostgreSQL',
      fc.tuple(fc.constantFrom(...Object.keys(endpoints)), bodyText()),
      async ([endpoint, body]) => {
        const post = endpoints[endpoint];
        assert.ok(post);
        checkAnswer(crashes, endpoint, body, await post(body));
      },
      0.5,
    );
    assert.deepEqual(errorLogs(harness.logs), []);
  });
});
