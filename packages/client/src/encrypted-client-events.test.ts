import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import nacl from 'tweetnacl';
import type { Channel } from 'pusher-js';
import { encryptClientEvents, sealClientEvent } from './encrypted-client-events.js';
import { MawjlyPusher } from './mawjly-pusher.js';

const KEY = new Uint8Array(32).map((_, i) => i);

function open(envelope: { nonce: string; ciphertext: string }, key = KEY): unknown {
  const bytes = nacl.secretbox.open(
    Buffer.from(envelope.ciphertext, 'base64'),
    Buffer.from(envelope.nonce, 'base64'),
    key,
  );
  return bytes === null ? null : JSON.parse(Buffer.from(bytes).toString('utf8'));
}

/** A stand-in with the fields of pusher-js's EncryptedChannel that the module uses. */
function fakeChannel(name: string, key: Uint8Array | null) {
  const sent: [string, unknown, string | undefined][] = [];
  const channel = {
    name,
    key,
    nacl,
    pusher: {
      send_event: (event: string, data: unknown, ch?: string) => {
        sent.push([event, data, ch]);
        return true;
      },
    },
    trigger: (): boolean => {
      throw new Error('stock trigger');
    },
  };
  return { channel: channel as unknown as Channel, sent };
}

describe('sealClientEvent', () => {
  it('makes a {nonce, ciphertext} envelope of JSON(data) that secretbox opens', () => {
    const envelope = sealClientEvent({ text: 'hi ✓' }, KEY, nacl);
    assert.deepEqual(Object.keys(envelope), ['nonce', 'ciphertext']);
    assert.equal(Buffer.from(envelope.nonce, 'base64').length, 24);
    assert.deepEqual(open(envelope), { text: 'hi ✓' });
    assert.equal(open(sealClientEvent(undefined, KEY, nacl)), null);
    assert.equal(open(sealClientEvent('text', KEY, nacl)), 'text');
  });

  it('uses a fresh nonce every time', () => {
    const a = sealClientEvent(1, KEY, nacl);
    const b = sealClientEvent(1, KEY, nacl);
    assert.notEqual(a.nonce, b.nonce);
    assert.notEqual(a.ciphertext, b.ciphertext);
  });
});

describe('encryptClientEvents', () => {
  it('sends the envelope under the channel key instead of the data', () => {
    const { channel, sent } = fakeChannel('private-encrypted-x', KEY);
    assert.equal(encryptClientEvents(channel), channel);
    assert.equal(channel.trigger('client-typing', { on: true }), true);
    assert.equal(sent.length, 1);
    const [event, data, name] = sent[0]!;
    assert.equal(event, 'client-typing');
    assert.equal(name, 'private-encrypted-x');
    assert.doesNotMatch(JSON.stringify(data), /"on"/);
    assert.deepEqual(open(data as { nonce: string; ciphertext: string }), { on: true });
  });

  it('refuses before the key is known, and non-client- event names', () => {
    const { channel, sent } = fakeChannel('private-encrypted-x', null);
    encryptClientEvents(channel);
    assert.throws(() => channel.trigger('client-a', 1), /key is not known yet/);
    (channel as unknown as { key: Uint8Array }).key = KEY;
    assert.throws(() => channel.trigger('typing', 1), /does not start with 'client-'/);
    assert.deepEqual(sent, []);
  });

  it('leaves other channels alone', () => {
    const { channel } = fakeChannel('private-chat', KEY);
    encryptClientEvents(channel);
    assert.throws(() => channel.trigger('client-a', 1), /stock trigger/);
  });

  it('is applied by MawjlyPusher.subscribe to encrypted channels', () => {
    const client = new MawjlyPusher('app-key', {
      cluster: 'sa',
      wsHost: '127.0.0.1',
      wsPort: 1,
      forceTLS: false,
      enabledTransports: ['ws'],
    });
    try {
      const encrypted = client.subscribe('private-encrypted-x');
      // The stock EncryptedChannel throws UnsupportedFeature; the helper's asks for the key instead.
      assert.throws(() => encrypted.trigger('client-a', 1), /key is not known yet/);
      const plain = client.subscribe('private-y');
      assert.equal(plain.trigger('client-a', 1), false, 'stock behaviour: not connected, not sent');
    } finally {
      client.disconnect();
    }
  });
});
