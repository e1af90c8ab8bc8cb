import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import { describe, it } from 'node:test';
import PusherModule from 'pusher-js';
import type { ChannelAuthorizationCallback } from 'pusher-js';
import { MawjlyPusher, type MawjlyOptions } from './mawjly-pusher.js';

// pusher-js is CommonJS typed as `export default`: under Node's ESM loader the default is the class.
const Pusher = PusherModule as unknown as typeof PusherModule.default;
type AuthData = Parameters<ChannelAuthorizationCallback>[1];

const KEY_BASE64 = 'AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=';
const CHANNEL = 'private-encrypted-orders.42';
const DERIVED = '1p2xOYUKMFi7esECwtVrgbYWw5p/Jyo0M/uighBM4/Y=';
const AUTH = 'app-key:7187172c63c5ba12e565bb79faf263c56572b26f293994106dacc0f7c0eb25d4';

// Nothing listens on port 1: the client never gets a connection, and is disconnected right away.
const offline = {
  cluster: 'sa',
  wsHost: '127.0.0.1',
  wsPort: 1,
  forceTLS: false,
  enabledTransports: ['ws' as const],
};

function withClient<T>(options: MawjlyOptions, use: (client: MawjlyPusher) => T): T {
  const client = new MawjlyPusher('app-key', options);
  try {
    return use(client);
  } finally {
    client.disconnect();
  }
}

function authorize(client: MawjlyPusher, channelName: string): Promise<AuthData> {
  return new Promise((resolve, reject) => {
    client.config.channelAuthorizer({ socketId: '1234.5678', channelName }, (error, data) => {
      if (error) reject(error);
      else resolve(data);
    });
  });
}

const authOnly = {
  customHandler: (_params: unknown, callback: ChannelAuthorizationCallback) => {
    callback(null, { auth: AUTH });
  },
};

describe('MawjlyPusher', () => {
  it('is a pusher-js Pusher', () => {
    withClient(offline, (client) => {
      assert.ok(client instanceof Pusher);
      assert.equal(typeof client.subscribe, 'function');
    });
  });

  it('derives the shared_secret for encrypted channels when the authorizer returns only auth', async () => {
    const client = new MawjlyPusher('app-key', {
      ...offline,
      channelAuthorization: authOnly,
      encryptionMasterKeyBase64: KEY_BASE64,
    });
    try {
      assert.deepEqual(await authorize(client, CHANNEL), { auth: AUTH, shared_secret: DERIVED });
      assert.deepEqual(await authorize(client, 'private-orders'), { auth: AUTH });
    } finally {
      client.disconnect();
    }
  });

  it('behaves as stock pusher-js without a master key', async () => {
    const client = new MawjlyPusher('app-key', { ...offline, channelAuthorization: authOnly });
    try {
      assert.deepEqual(await authorize(client, CHANNEL), { auth: AUTH });
    } finally {
      client.disconnect();
    }
  });

  it('keeps deriving after switchCluster rebuilds the config', async () => {
    const client = new MawjlyPusher('app-key', {
      ...offline,
      channelAuthorization: authOnly,
      encryptionMasterKeyBase64: KEY_BASE64,
    });
    try {
      client.switchCluster({ appKey: 'app-key', cluster: 'eu' });
      assert.deepEqual(await authorize(client, CHANNEL), { auth: AUTH, shared_secret: DERIVED });
    } finally {
      client.disconnect();
    }
  });

  it('never hands the master key to pusher-js nor shows it on the instance', () => {
    const options: MawjlyOptions = {
      ...offline,
      channelAuthorization: authOnly,
      encryptionMasterKeyBase64: KEY_BASE64,
    };
    withClient(options, (client) => {
      assert.ok(!('encryptionMasterKeyBase64' in client.options));
      const shown = inspect(client, { depth: 8, showHidden: true });
      assert.ok(!shown.includes(KEY_BASE64));
      assert.ok(!JSON.stringify(client.options).includes(KEY_BASE64));
    });
    // The caller's object is not modified.
    assert.equal(options.encryptionMasterKeyBase64, KEY_BASE64);
  });

  it('throws a clear error at construction for a bad key, without quoting it', () => {
    const bad = 'AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8'; // padding missing
    assert.throws(
      () => new MawjlyPusher('app-key', { ...offline, encryptionMasterKeyBase64: bad }),
      (error: unknown) =>
        error instanceof Error &&
        /standard base64 with padding/.test(error.message) &&
        !error.message.includes(bad),
    );
    const short = Buffer.alloc(24, 9).toString('base64');
    assert.throws(
      () => new MawjlyPusher('app-key', { ...offline, encryptionMasterKeyBase64: short }),
      (error: unknown) =>
        error instanceof Error && /decodes to 24 bytes/.test(error.message) && !error.message.includes(short),
    );
  });

  it('leaves missing options to pusher-js', () => {
    for (const options of [undefined, null]) {
      assert.throws(
        () => new MawjlyPusher('app-key', options as unknown as MawjlyOptions),
        (error: unknown) => error === 'You must pass an options object',
      );
    }
  });

  it('forwards logToConsole and log to pusher-js', () => {
    const base = Pusher as unknown as { logToConsole: boolean; log: unknown };
    const before = { logToConsole: base.logToConsole, log: base.log };
    try {
      MawjlyPusher.logToConsole = true;
      assert.equal(base.logToConsole, true);
      const log = (): void => undefined;
      MawjlyPusher.log = log;
      assert.equal(base.log, log);
    } finally {
      base.logToConsole = before.logToConsole;
      base.log = before.log;
    }
  });
});
