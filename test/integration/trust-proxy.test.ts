// Behind a TLS-terminating proxy (MAWJLY_TRUST_PROXY): the session cookie is Secure when the proxy
// says the browser used https, and the login rate limit counts clients by their forwarded address.
// Without the setting, those headers are ignored (a client could otherwise forge them).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startManagementHarness } from '../support/management-harness.js';

async function withOwner(
  trustProxy: boolean,
  run: (h: Awaited<ReturnType<typeof startManagementHarness>>, email: string) => Promise<void>,
): Promise<void> {
  const h = await startManagementHarness('sqlite', { trustProxy });
  try {
    const { account, token } = await h.account('startup');
    const email = `owner-${account.id.slice(0, 6)}@example.com`;
    const created = await h.request('POST', '/api/v1/team', {
      token,
      body: { email, password: 'owner password 1', role: 'owner' },
    });
    assert.equal(created.status, 201);
    await run(h, email);
  } finally {
    await h.close();
  }
}

const https = { 'x-forwarded-proto': 'https', 'x-forwarded-for': '203.0.113.7' };

test('trusted proxy: Secure cookie for https, rate limit per forwarded client', async () => {
  await withOwner(true, async (h, email) => {
    const login = await h.request('POST', '/api/v1/session', {
      body: { email, password: 'owner password 1' },
      headers: https,
    });
    assert.equal(login.status, 200);
    assert.match(login.headers.get('set-cookie') ?? '', /; Secure/);

    for (let i = 0; i < 5; i++) {
      const bad = await h.request('POST', '/api/v1/session', {
        body: { email, password: 'wrong' },
        headers: { 'x-forwarded-for': '198.51.100.1, 10.0.0.1' },
      });
      assert.equal(bad.status, 401);
    }
    const limited = await h.request('POST', '/api/v1/session', {
      body: { email, password: 'owner password 1' },
      headers: { 'x-forwarded-for': '198.51.100.1' },
    });
    assert.equal(limited.status, 429, 'the client that failed five times is limited');
    const other = await h.request('POST', '/api/v1/session', {
      body: { email, password: 'owner password 1' },
      headers: { 'x-forwarded-for': '198.51.100.2' },
    });
    assert.equal(other.status, 200, 'another client behind the same proxy is not');
  });
});

test('untrusted (default): forwarded headers are ignored', async () => {
  await withOwner(false, async (h, email) => {
    const login = await h.request('POST', '/api/v1/session', {
      body: { email, password: 'owner password 1' },
      headers: https,
    });
    assert.equal(login.status, 200);
    assert.doesNotMatch(login.headers.get('set-cookie') ?? '', /Secure/);
    for (let i = 0; i < 5; i++) {
      await h.request('POST', '/api/v1/session', {
        body: { email, password: 'wrong' },
        headers: { 'x-forwarded-for': `198.51.100.${i}` },
      });
    }
    const limited = await h.request('POST', '/api/v1/session', {
      body: { email, password: 'owner password 1' },
      headers: { 'x-forwarded-for': '198.51.100.99' },
    });
    assert.equal(limited.status, 429, 'a forged X-Forwarded-For does not escape the limit');
  });
});
