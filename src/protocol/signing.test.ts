// Signatures against the vectors captured from the real pusher SDKs (test/fixtures/protocol-vectors.json).
import assert from 'node:assert/strict';
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import {
  canonicalQuery,
  channelSharedSecret,
  channelStringToSign,
  hmacSha256Hex,
  md5Hex,
  restStringToSign,
  safeEqual,
  signAuth,
  userStringToSign,
  verifyAuth,
  webhookSignature,
} from './signing.js';

interface ChannelAuthVector {
  socket_id: string;
  channel_name: string;
  string_to_sign: string;
  response: { auth: string; channel_data?: string; shared_secret?: string };
  shared_secret_hex?: string;
  wrong_order_sha256_masterkey_then_channel_base64?: string;
}
interface RestVector {
  method: string;
  path: string;
  raw_query_as_sent: string;
  decoded_query: Record<string, string>;
  body: string | null;
  string_to_sign: string;
  auth_signature: string;
}
interface Vectors {
  inputs: { key: string; secret: string; socket_id: string; encryption_master_key_base64: string };
  channel_auth: Record<'private' | 'presence' | 'private_encrypted', ChannelAuthVector>;
  docs_examples: {
    key: string;
    secret: string;
    socket_id: string;
    private: { channel_name: string; response: { auth: string } };
    presence: {
      channel_name: string;
      presence_data_input: unknown;
      response: { channel_data: string; auth: string };
      response_for_text_as_printed: { channel_data: string; auth: string };
    };
    user_auth: { response: { auth: string; user_data: string } };
    rest: { body: string; query: Record<string, string>; string_to_sign: string; auth_signature: string };
  };
  user_auth: {
    socket_id: string;
    user_data_input: unknown;
    string_to_sign: string;
    response: { auth: string; user_data: string };
  };
  rest: Record<string, RestVector | string>;
  webhook: { body: string; headers: Record<string, string>; signature: string };
  pusher_js_wire: { signin_frame: { data: { auth: string; user_data: string } } };
}

const V = JSON.parse(
  readFileSync(new URL('../../test/fixtures/protocol-vectors.json', import.meta.url), 'utf8'),
) as Vectors;
const { key, secret } = V.inputs;

/** The captured URL's query, decoded the way a server's URL parser decodes it. */
function decodedQuery(raw: string): Map<string, string> {
  return new Map(new URLSearchParams(raw));
}

function flipHexChar(auth: string, index: number): string {
  const c = auth[index]!;
  return auth.slice(0, index) + (c === '0' ? '1' : '0') + auth.slice(index + 1);
}

describe('channel auth vectors', () => {
  for (const [name, v] of Object.entries(V.channel_auth)) {
    describe(name, () => {
      const toSign = channelStringToSign(v.socket_id, v.channel_name, v.response.channel_data);

      test('string_to_sign and signAuth reproduce the SDK', () => {
        assert.equal(toSign, v.string_to_sign);
        assert.equal(signAuth(key, secret, toSign), v.response.auth);
      });

      test('verifyAuth accepts the SDK auth', () => {
        assert.equal(verifyAuth(v.response.auth, key, [secret], v.string_to_sign), true);
      });

      test('verifyAuth rejects a wrong key prefix', () => {
        const sig = v.response.auth.slice(key.length + 1);
        assert.equal(verifyAuth(`other-key:${sig}`, key, [secret], toSign), false);
        assert.equal(verifyAuth(`:${sig}`, key, [secret], toSign), false);
        assert.equal(verifyAuth(sig, '', [secret], toSign), false);
      });

      test('verifyAuth rejects one flipped hex char (first, middle and last)', () => {
        const start = key.length + 1;
        for (const i of [start, start + 31, v.response.auth.length - 1]) {
          const bad = flipHexChar(v.response.auth, i);
          assert.notEqual(bad, v.response.auth);
          assert.equal(verifyAuth(bad, key, [secret], toSign), false, `flipped at ${i}`);
        }
      });

      test('verifyAuth rejects a missing colon', () => {
        assert.equal(verifyAuth(v.response.auth.replace(':', ''), key, [secret], toSign), false);
        assert.equal(verifyAuth(hmacSha256Hex(secret, toSign), key, [secret], toSign), false);
      });

      test('verifyAuth rejects non-strings', () => {
        for (const bad of [undefined, null, 42, {}, [v.response.auth], Buffer.from(v.response.auth)]) {
          assert.equal(verifyAuth(bad, key, [secret], toSign), false);
        }
      });

      test('verifyAuth rejects the wrong secret and an empty secret list', () => {
        assert.equal(verifyAuth(v.response.auth, key, ['not-the-secret'], toSign), false);
        assert.equal(verifyAuth(v.response.auth, key, [], toSign), false);
      });

      test('verifyAuth rejects a signature over another string', () => {
        assert.equal(verifyAuth(v.response.auth, key, [secret], `${toSign}x`), false);
        assert.equal(
          verifyAuth(v.response.auth, key, [secret], channelStringToSign('1.2', v.channel_name)),
          false,
        );
      });

      test('verifyAuth accepts the right secret second in the list (rotation grace)', () => {
        assert.equal(verifyAuth(v.response.auth, key, ['new-secret', secret], toSign), true);
        assert.equal(verifyAuth(v.response.auth, key, [secret, 'new-secret'], toSign), true);
      });

      test('verifyAuth rejects uppercase hex (the SDK sends lowercase)', () => {
        const [k, sig] = v.response.auth.split(':') as [string, string];
        assert.equal(verifyAuth(`${k}:${sig.toUpperCase()}`, key, [secret], toSign), false);
      });
    });
  }

  test('presence signs the exact channel_data string, not a re-serialisation', () => {
    const v = V.channel_auth.presence;
    const reordered = '{"user_info":{"name":"A"},"user_id":"1"}';
    assert.notEqual(channelStringToSign(v.socket_id, v.channel_name, reordered), v.string_to_sign);
    assert.equal(
      verifyAuth(v.response.auth, key, [secret], channelStringToSign(v.socket_id, v.channel_name, reordered)),
      false,
    );
  });

  test('encrypted channels sign like private ones: shared_secret plays no part', () => {
    const v = V.channel_auth.private_encrypted;
    assert.equal(channelStringToSign(v.socket_id, v.channel_name), `${v.socket_id}:${v.channel_name}`);
    assert.equal(signAuth(key, secret, channelStringToSign(v.socket_id, v.channel_name)), v.response.auth);
  });
});

describe('docs examples', () => {
  const d = V.docs_examples;

  test('private channel', () => {
    const toSign = channelStringToSign(d.socket_id, d.private.channel_name);
    assert.equal(toSign, '1234.1234:private-foobar');
    assert.equal(signAuth(d.key, d.secret, toSign), d.private.response.auth);
    assert.equal(verifyAuth(d.private.response.auth, d.key, [d.secret], toSign), true);
  });

  test('presence channel with numeric user_id and "Mr. Pusher"', () => {
    assert.equal(d.presence.response.channel_data, JSON.stringify(d.presence.presence_data_input));
    assert.match(d.presence.response.channel_data, /"name":"Mr\. Pusher"/);
    const toSign = channelStringToSign(
      d.socket_id,
      d.presence.channel_name,
      d.presence.response.channel_data,
    );
    assert.equal(signAuth(d.key, d.secret, toSign), d.presence.response.auth);
    assert.equal(verifyAuth(d.presence.response.auth, d.key, [d.secret], toSign), true);
  });

  test('the signature printed in the docs does not match the "Mr. Channels" text shown next to it', () => {
    const printed = d.presence.response_for_text_as_printed;
    assert.match(printed.channel_data, /"name":"Mr\. Channels"/);
    const toSign = channelStringToSign(d.socket_id, d.presence.channel_name, printed.channel_data);
    assert.equal(verifyAuth(d.presence.response.auth, d.key, [d.secret], toSign), false);
    assert.equal(signAuth(d.key, d.secret, toSign), printed.auth);
    assert.equal(verifyAuth(printed.auth, d.key, [d.secret], toSign), true);
  });

  test('user authentication', () => {
    const toSign = userStringToSign(d.socket_id, d.user_auth.response.user_data);
    assert.equal(toSign, '1234.1234::user::{"id":"12345"}');
    assert.equal(signAuth(d.key, d.secret, toSign), d.user_auth.response.auth);
    assert.equal(verifyAuth(d.user_auth.response.auth, d.key, [d.secret], toSign), true);
  });

  test('REST request: body_md5, string_to_sign and auth_signature', () => {
    assert.equal(md5Hex(d.rest.body), d.rest.query.body_md5);
    const toSign = restStringToSign('post', '/apps/3/events', d.rest.query);
    assert.equal(toSign, d.rest.string_to_sign);
    assert.equal(hmacSha256Hex(d.secret, toSign), d.rest.auth_signature);
  });
});

describe('user auth vector', () => {
  const u = V.user_auth;

  test('user_data is JSON.stringify of the input, string_to_sign and auth reproduce', () => {
    assert.equal(u.response.user_data, JSON.stringify(u.user_data_input));
    const toSign = userStringToSign(u.socket_id, u.response.user_data);
    assert.equal(toSign, u.string_to_sign);
    assert.equal(signAuth(key, secret, toSign), u.response.auth);
    assert.equal(verifyAuth(u.response.auth, key, [secret], toSign), true);
    assert.equal(
      verifyAuth(u.response.auth, key, [secret], channelStringToSign(u.socket_id, u.response.user_data)),
      false,
    );
  });

  test('the captured pusher-js signin frame verifies', () => {
    const { auth, user_data } = V.pusher_js_wire.signin_frame.data;
    assert.equal(verifyAuth(auth, key, [secret], userStringToSign(V.inputs.socket_id, user_data)), true);
  });
});

describe('REST vectors', () => {
  const restVectors = Object.entries(V.rest).filter(
    (e): e is [string, RestVector] => typeof e[1] !== 'string',
  );

  test('all captured requests are covered', () => {
    assert.ok(restVectors.length >= 10, `only ${restVectors.length} REST vectors`);
  });

  for (const [name, v] of restVectors) {
    describe(name, () => {
      const params = decodedQuery(v.raw_query_as_sent);

      test('the decoded URL query equals the captured decoded_query', () => {
        assert.deepEqual(Object.fromEntries(params), v.decoded_query);
      });

      test('string_to_sign rebuilt from method, path and the decoded query', () => {
        assert.ok(params.has('auth_signature'));
        const toSign = restStringToSign(v.method, v.path, params);
        assert.equal(toSign, v.string_to_sign);
        assert.ok(!toSign.includes('auth_signature'));
        assert.equal(hmacSha256Hex(secret, toSign), v.auth_signature);
        assert.equal(params.get('auth_signature'), v.auth_signature);
        assert.ok(safeEqual(hmacSha256Hex(secret, toSign), params.get('auth_signature')!));
      });

      test('the plain-object form of the query signs the same', () => {
        assert.equal(restStringToSign(v.method, v.path, v.decoded_query), v.string_to_sign);
      });

      if (v.body === null) {
        test('no body, no body_md5', () => {
          assert.equal(params.has('body_md5'), false);
        });
      } else {
        const body = v.body;
        test('body_md5 is the MD5 of the captured body (string and bytes)', () => {
          assert.equal(md5Hex(body), params.get('body_md5'));
          assert.equal(md5Hex(Buffer.from(body, 'utf8')), params.get('body_md5'));
        });
      }

      test('a tampered query no longer matches', () => {
        const tampered = new Map(params);
        tampered.set('auth_timestamp', '1700000001');
        assert.notEqual(
          hmacSha256Hex(secret, restStringToSign(v.method, v.path, tampered)),
          v.auth_signature,
        );
        assert.notEqual(
          hmacSha256Hex(secret, restStringToSign(v.method, `${v.path}/`, params)),
          v.auth_signature,
        );
      });
    });
  }

  test('get_channels_with_space signs the decoded "a b", not "a%20b"', () => {
    const v = V.rest.get_channels_with_space as RestVector;
    assert.ok(v.raw_query_as_sent.includes('filter_by_prefix=a%20b'));
    const params = decodedQuery(v.raw_query_as_sent);
    assert.equal(params.get('filter_by_prefix'), 'a b');
    const toSign = restStringToSign(v.method, v.path, params);
    assert.ok(toSign.endsWith('&filter_by_prefix=a b'));
    assert.equal(hmacSha256Hex(secret, toSign), v.auth_signature);
    const raw = new Map(params).set('filter_by_prefix', 'a%20b');
    assert.notEqual(hmacSha256Hex(secret, restStringToSign(v.method, v.path, raw)), v.auth_signature);
  });

  test('canonicalQuery lowercases keys, sorts them, drops auth_signature in any case', () => {
    const q = canonicalQuery({ b: '2', A: '1', AUTH_SIGNATURE: 'x', auth_signature: 'y', c: 'x y,z' });
    assert.equal(q, 'a=1&b=2&c=x y,z');
    assert.equal(
      canonicalQuery(
        new Map([
          ['z', ''],
          ['Auth_Key', 'k'],
        ]),
      ),
      'auth_key=k&z=',
    );
    assert.equal(canonicalQuery({}), '');
  });

  test('method is upper-cased and separators are real newlines', () => {
    assert.equal(
      restStringToSign('get', '/apps/1/channels', { auth_key: 'k' }),
      'GET\n/apps/1/channels\nauth_key=k',
    );
  });
});

describe('webhook vector', () => {
  test('signature is the HMAC of the exact body', () => {
    const w = V.webhook;
    assert.equal(webhookSignature(secret, w.body), w.signature);
    assert.equal(w.headers['X-Pusher-Signature'], w.signature);
    assert.notEqual(webhookSignature(secret, `${w.body} `), w.signature);
    assert.notEqual(webhookSignature('other', w.body), w.signature);
  });
});

describe('channelSharedSecret', () => {
  const v = V.channel_auth.private_encrypted;
  const masterKey = Buffer.from(V.inputs.encryption_master_key_base64, 'base64');

  test('matches the vector: base64 and hex', () => {
    assert.equal(masterKey.length, 32);
    const derived = channelSharedSecret(v.channel_name, masterKey);
    assert.equal(derived.length, 32);
    assert.equal(derived.toString('base64'), v.response.shared_secret);
    assert.equal(derived.toString('hex'), v.shared_secret_hex);
  });

  test('accepts a plain Uint8Array key', () => {
    const derived = channelSharedSecret(v.channel_name, new Uint8Array(masterKey));
    assert.equal(derived.toString('base64'), v.response.shared_secret);
  });

  test('the reversed order (key first) differs and equals the wrong-order vector', () => {
    const reversed = Buffer.concat([masterKey, Buffer.from(v.channel_name, 'utf8')]);
    const wrong = createHash('sha256').update(reversed).digest('base64');
    assert.notEqual(wrong, v.response.shared_secret);
    assert.ok(v.wrong_order_sha256_masterkey_then_channel_base64 !== undefined);
    assert.equal(wrong, v.wrong_order_sha256_masterkey_then_channel_base64);
    assert.notEqual(
      channelSharedSecret(v.channel_name, masterKey).toString('base64'),
      v.wrong_order_sha256_masterkey_then_channel_base64,
    );
  });

  test('differs per channel', () => {
    assert.notEqual(
      channelSharedSecret('private-encrypted-a', masterKey).toString('hex'),
      channelSharedSecret('private-encrypted-b', masterKey).toString('hex'),
    );
  });
});

describe('safeEqual', () => {
  test('basics', () => {
    assert.equal(safeEqual('abc', 'abc'), true);
    assert.equal(safeEqual('', ''), true);
    assert.equal(safeEqual('abc', 'abd'), false);
    assert.equal(safeEqual('abc', 'ab'), false);
    assert.equal(safeEqual('ab', 'abc'), false);
    assert.equal(safeEqual('', 'a'), false);
    assert.equal(safeEqual('é', 'e\u0301'), false);
    assert.equal(safeEqual('ü', 'ü'), true);
  });

  test('non-ASCII input of unequal byte length is false, never a throw', () => {
    // Same UTF-16 length but different UTF-8 lengths, and the reverse: timingSafeEqual throws on
    // buffers of unequal length, so both paths must be handled.
    assert.equal(safeEqual('éa', 'ab'), false);
    assert.equal(safeEqual('é', 'ab'), false);
  });
});

describe('md5Hex', () => {
  test('hashes the UTF-8 bytes: a string and its Buffer give the digest of node:crypto', () => {
    for (const body of ['', '{"name":"é","data":"✓"}', 'x'.repeat(100_000)]) {
      const expected = createHash('md5').update(Buffer.from(body, 'utf8')).digest('hex');
      assert.equal(md5Hex(body), expected);
      assert.equal(md5Hex(Buffer.from(body, 'utf8')), expected);
    }
  });
});

describe('hmacSha256Hex', () => {
  const reference = (secret: string, message: string): string =>
    createHmac('sha256', secret).update(message, 'utf8').digest('hex');

  test('equals node:crypto HMAC at every edge: key and message lengths around the block and the fast-path limit', () => {
    const keys = [
      '',
      'k',
      'x'.repeat(63),
      'x'.repeat(64),
      'x'.repeat(65),
      'é'.repeat(32),
      'é'.repeat(33),
      '🔑'.repeat(40),
    ];
    const messages = [
      '',
      'a',
      'm'.repeat(55),
      'm'.repeat(64),
      'é✓🙂\u0000',
      'x'.repeat(4096),
      'x'.repeat(4097),
      '✓'.repeat(4096),
      'y'.repeat(100_000),
    ];
    for (const secret of keys)
      for (const message of messages)
        assert.equal(
          hmacSha256Hex(secret, message),
          reference(secret, message),
          `key ${secret.length}, message ${message.length}`,
        );
  });

  test('equals node:crypto HMAC on random keys and messages, and one call never leaks into the next', () => {
    for (let i = 0; i < 2000; i++) {
      const secret = randomBytes(i % 90).toString(i % 3 === 0 ? 'latin1' : 'base64');
      const message = randomBytes((i * 37) % 700).toString(i % 2 === 0 ? 'utf8' : 'hex');
      assert.equal(hmacSha256Hex(secret, message), reference(secret, message));
      // A short message after a long one under the same key: no bytes of the long one are hashed.
      assert.equal(hmacSha256Hex(secret, 'short'), reference(secret, 'short'));
    }
  });
});
