import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ChannelAuthorizationCallback, ChannelAuthorizationHandler } from 'pusher-js';
import { withDerivedSharedSecret } from './derived-secret-authorizer.js';

type ChannelAuthorizationData = NonNullable<Parameters<ChannelAuthorizationCallback>[1]>;

const KEY = Uint8Array.from({ length: 32 }, (_, i) => i);
const CHANNEL = 'private-encrypted-orders.42';
const DERIVED = '1p2xOYUKMFi7esECwtVrgbYWw5p/Jyo0M/uighBM4/Y=';
const AUTH = 'app-key:7187172c63c5ba12e565bb79faf263c56572b26f293994106dacc0f7c0eb25d4';

/** An app's authorizer that answers with a fixed result, like an auth endpoint would. */
function answering(error: Error | null, data: ChannelAuthorizationData | null): ChannelAuthorizationHandler {
  return (_params, callback) => {
    callback(error, data);
  };
}

function authorize(
  handler: ChannelAuthorizationHandler,
  channelName: string,
): Promise<{ error: Error | null; data: ChannelAuthorizationData | null }> {
  return new Promise((resolve) => {
    handler({ socketId: '1234.5678', channelName }, (error, data) => {
      resolve({ error, data });
    });
  });
}

describe('withDerivedSharedSecret', () => {
  it('derives the shared_secret when the authorization returns only auth', async () => {
    const { error, data } = await authorize(
      withDerivedSharedSecret(answering(null, { auth: AUTH }), KEY),
      CHANNEL,
    );
    assert.equal(error, null);
    assert.deepEqual(data, { auth: AUTH, shared_secret: DERIVED });
  });

  it('keeps a shared_secret that the authorization returns (it wins over the derived one)', async () => {
    const fromEndpoint = 'q83vEjRWeJCrze8SNFZ4kKvN7xI0VniQq83vEjRWeJA=';
    const { data } = await authorize(
      withDerivedSharedSecret(answering(null, { auth: AUTH, shared_secret: fromEndpoint }), KEY),
      CHANNEL,
    );
    assert.deepEqual(data, { auth: AUTH, shared_secret: fromEndpoint });
  });

  it('fills in an empty shared_secret (pusher-js would reject it as missing)', async () => {
    const { data } = await authorize(
      withDerivedSharedSecret(answering(null, { auth: AUTH, shared_secret: '' }), KEY),
      CHANNEL,
    );
    assert.equal(data?.shared_secret, DERIVED);
  });

  it('leaves private and presence channels untouched', async () => {
    for (const channel of ['private-orders', 'presence-room', 'private-encryptedx']) {
      const answer = { auth: AUTH };
      const { data } = await authorize(withDerivedSharedSecret(answering(null, answer), KEY), channel);
      assert.equal(data, answer);
      assert.deepEqual(data, { auth: AUTH });
    }
  });

  it('passes authorization errors through without deriving anything', async () => {
    const failure = new Error('403 from the auth endpoint');
    const { error, data } = await authorize(withDerivedSharedSecret(answering(failure, null), KEY), CHANNEL);
    assert.equal(error, failure);
    assert.equal(data, null);
  });

  it('does not modify the object the inner authorizer returned', async () => {
    const answer: ChannelAuthorizationData = { auth: AUTH };
    await authorize(withDerivedSharedSecret(answering(null, answer), KEY), CHANNEL);
    assert.deepEqual(answer, { auth: AUTH });
  });

  it('forwards the request parameters to the inner authorizer unchanged', async () => {
    const seen: unknown[] = [];
    const inner: ChannelAuthorizationHandler = (params, callback) => {
      seen.push(params);
      callback(null, { auth: AUTH });
    };
    await authorize(withDerivedSharedSecret(inner, KEY), CHANNEL);
    assert.deepEqual(seen, [{ socketId: '1234.5678', channelName: CHANNEL }]);
  });
});
