// Property-based fuzzing of the WebSocket endpoint /app/{key}: random frames written by hand over
// raw TCP (valid and invalid opcodes, reserved bits, unmasked, fragmented, control frames, invalid
// UTF-8, oversized) and random Pusher protocol messages over a real `ws` client (subscribe,
// unsubscribe, sign-in and client events with random channels, signatures that are valid or not,
// random channel_data and payloads). The server must never crash, never answer with an internal
// error, never log an unexpected one, stay within a memory bound, and still serve pusher-js after.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import WebSocket from 'ws';
import { channelStringToSign, hmacSha256Hex, signAuth } from '../../src/protocol/signing.js';
import { startFullStack, type FullStack } from '../support/full-stack.js';
import { assertClientServed, assertMemoryBounded, errorLogs, fuzz, memoryNow } from './fuzz-support.js';

interface Frame {
  readonly opcode: number;
  readonly fin: boolean;
  readonly rsv: number;
  readonly masked: boolean;
  readonly payload: Buffer;
  /** How the length is written: the shortest form, or a 16/64-bit form for a short payload. */
  readonly width: 'min' | '16' | '64';
}

function encodeFrame(frame: Frame): Buffer {
  const { payload } = frame;
  const len = payload.length;
  const width = frame.width === 'min' ? (len < 126 ? '7' : len < 65536 ? '16' : '64') : frame.width;
  const head: number[] = [(frame.fin ? 0x80 : 0) | ((frame.rsv & 7) << 4) | (frame.opcode & 0x0f)];
  const maskBit = frame.masked ? 0x80 : 0;
  if (width === '7') head.push(maskBit | len);
  else if (width === '16' && len < 65536) head.push(maskBit | 126, len >> 8, len & 0xff);
  else {
    head.push(maskBit | 127, 0, 0, 0, 0);
    head.push((len >>> 24) & 0xff, (len >>> 16) & 0xff, (len >>> 8) & 0xff, len & 0xff);
  }
  if (!frame.masked) return Buffer.concat([Buffer.from(head), payload]);
  const mask = randomBytes(4);
  const masked = Buffer.alloc(len);
  for (let i = 0; i < len; i++) masked[i] = (payload[i] ?? 0) ^ (mask[i % 4] ?? 0);
  return Buffer.concat([Buffer.from(head), mask, masked]);
}

/** Text and close frames the server sent (server frames are never masked). */
function decodeServerFrames(data: Buffer): { texts: string[]; closed: boolean } {
  const texts: string[] = [];
  let closed = false;
  let at = 0;
  while (at + 2 <= data.length) {
    const opcode = (data[at] ?? 0) & 0x0f;
    let len = (data[at + 1] ?? 0) & 0x7f;
    let offset = at + 2;
    if (len === 126) {
      len = data.readUInt16BE(offset);
      offset += 2;
    } else if (len === 127) {
      len = Number(data.readBigUInt64BE(offset));
      offset += 8;
    }
    if (offset + len > data.length) break;
    if (opcode === 1) texts.push(data.subarray(offset, offset + len).toString('utf8'));
    if (opcode === 8) closed = true;
    at = offset + len;
  }
  return { texts, closed };
}

const PING_TEXT = Buffer.from('{"event":"pusher:ping","data":{}}');

describe('WebSocket fuzz', () => {
  let stack: FullStack;
  let memoryBefore: { heap: number; rss: number };
  before(async () => {
    stack = await startFullStack();
    memoryBefore = memoryNow();
  });
  after(async () => {
    await stack.close();
  });

  /** Opens a raw socket and completes the handshake; resolves once connection_established arrived. */
  function handshake(): Promise<{ socket: Socket; received: () => Buffer }> {
    return new Promise((resolve, reject) => {
      const socket = connect(stack.server.port, '127.0.0.1');
      let buffer = Buffer.alloc(0);
      let upgraded = false;
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error('no handshake within 5 s'));
      }, 5000);
      socket.on('error', () => undefined);
      socket.on('data', (chunk: Buffer) => {
        buffer = Buffer.concat([buffer, chunk]);
        if (upgraded) return;
        const end = buffer.indexOf('\r\n\r\n');
        if (end === -1) return;
        if (!buffer.subarray(0, 12).toString().includes('101')) {
          clearTimeout(timer);
          reject(new Error(`handshake refused: ${buffer.toString('latin1').slice(0, 200)}`));
          return;
        }
        const rest = buffer.subarray(end + 4);
        if (decodeServerFrames(rest).texts.length === 0) return;
        upgraded = true;
        buffer = Buffer.alloc(0);
        clearTimeout(timer);
        resolve({ socket, received: () => buffer });
      });
      socket.write(
        `GET /app/${stack.app.key}?protocol=7&client=fuzz&version=1 HTTP/1.1\r\nHost: a\r\n` +
          'Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n' +
          `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\n\r\n`,
      );
    });
  }

  const pusherMessage = (): fc.Arbitrary<string> =>
    fc.oneof(
      fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)),
      fc
        .record({
          event: fc.constantFrom('pusher:subscribe', 'pusher:unsubscribe', 'pusher:ping', 'client-x', 'x'),
          channel: fc.constantFrom('a', 'private-a', 'presence-a', 'cache-a', 'private-encrypted-a'),
          data: fc.jsonValue({ maxDepth: 3 }),
        })
        .map((v) => JSON.stringify(v)),
      fc.string({ maxLength: 100 }),
    );

  const frame = (): fc.Arbitrary<Frame> =>
    fc.record({
      opcode: fc.oneof(
        { weight: 6, arbitrary: fc.constantFrom(0x1, 0x2, 0x0, 0x8, 0x9, 0xa) },
        { weight: 1, arbitrary: fc.integer({ min: 0, max: 15 }) },
      ),
      fin: fc.oneof(
        { weight: 4, arbitrary: fc.constant(true) },
        { weight: 1, arbitrary: fc.constant(false) },
      ),
      rsv: fc.oneof(
        { weight: 8, arbitrary: fc.constant(0) },
        { weight: 1, arbitrary: fc.integer({ min: 1, max: 7 }) },
      ),
      masked: fc.oneof(
        { weight: 10, arbitrary: fc.constant(true) },
        { weight: 1, arbitrary: fc.constant(false) },
      ),
      payload: fc.oneof(
        { weight: 5, arbitrary: pusherMessage().map((t) => Buffer.from(t, 'utf8')) },
        { weight: 2, arbitrary: fc.uint8Array({ maxLength: 200 }).map((a) => Buffer.from(a)) },
        { weight: 1, arbitrary: fc.constantFrom(Buffer.from([0xc3, 0x28]), Buffer.from([0xed, 0xa0, 0x80])) },
        {
          weight: 1,
          arbitrary: fc.integer({ min: 100_000, max: 140_000 }).map((n) => Buffer.alloc(n, 0x61)),
        },
      ),
      width: fc.constantFrom('min' as const, 'min' as const, '16' as const, '64' as const),
    });

  test('random frames over raw TCP: no crash, no internal error', async () => {
    await fuzz('raw WebSocket frames', fc.array(frame(), { minLength: 1, maxLength: 6 }), async (frames) => {
      const { socket, received } = await handshake();
      try {
        for (const f of frames) socket.write(encodeFrame(f));
        // Then a plain ping: the answer (a pong, or the close the bad frames earned) shows the
        // server has dealt with everything before it.
        socket.write(
          encodeFrame({ opcode: 1, fin: true, rsv: 0, masked: true, payload: PING_TEXT, width: 'min' }),
        );
        const deadline = Date.now() + 5000;
        for (;;) {
          const { texts, closed } = decodeServerFrames(received());
          for (const text of texts) assert.doesNotMatch(text, /Internal server error/, text);
          if (closed || socket.destroyed || texts.some((t) => t.includes('pusher:pong'))) break;
          if (Date.now() > deadline) throw new Error('no pong and no close within 5 s');
          await new Promise((resolve) => setTimeout(resolve, 5));
        }
        assert.deepEqual(stack.crashes, []);
      } finally {
        socket.destroy();
      }
    });
  });

  const channelName = (): fc.Arbitrary<string> =>
    fc.oneof(
      fc
        .tuple(
          fc.constantFrom(
            '',
            'private-',
            'presence-',
            'private-encrypted-',
            'cache-',
            'presence-cache-',
            '#server-to-user-',
          ),
          fc.oneof(fc.constantFrom('room', 'a', 'x'.repeat(210)), fc.string({ maxLength: 30 })),
        )
        .map(([p, n]) => p + n),
      fc.string({ maxLength: 20, unit: 'grapheme' }),
    );

  type Step =
    | { kind: 'subscribe'; channel: string; sign: boolean; channelData: string | undefined }
    | { kind: 'unsubscribe'; channel: string }
    | { kind: 'signin'; userData: string; sign: boolean }
    | { kind: 'client'; channel: string; event: string; data: unknown }
    | { kind: 'raw'; text: string };

  const step = (): fc.Arbitrary<Step> =>
    fc.oneof(
      fc.record({
        kind: fc.constant('subscribe' as const),
        channel: channelName(),
        sign: fc.boolean(),
        channelData: fc.option(
          fc.oneof(
            fc
              .record({
                user_id: fc.oneof(fc.string(), fc.integer()),
                user_info: fc.jsonValue({ maxDepth: 3 }),
              })
              .map((v) => JSON.stringify(v)),
            fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)),
            fc.string(),
          ),
          { nil: undefined },
        ),
      }),
      fc.record({ kind: fc.constant('unsubscribe' as const), channel: channelName() }),
      fc.record({
        kind: fc.constant('signin' as const),
        userData: fc.oneof(
          fc
            .record({
              id: fc.string(),
              watchlist: fc.array(fc.jsonValue({ maxDepth: 1 }), { maxLength: 120 }),
            })
            .map((v) => JSON.stringify(v)),
          fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)),
        ),
        sign: fc.boolean(),
      }),
      fc.record({
        kind: fc.constant('client' as const),
        channel: channelName(),
        event: fc.oneof(
          fc.constant('client-x'),
          fc.string({ maxLength: 30 }).map((s) => `client-${s}`),
        ),
        data: fc.jsonValue({ maxDepth: 4 }),
      }),
      fc.record({
        kind: fc.constant('raw' as const),
        text: fc.oneof(
          fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)),
          fc.string({ maxLength: 200, unit: 'binary' }),
          fc.constantFrom(
            '{"event":"pusher:subscribe"}',
            '{"event":"pusher:subscribe","data":"x"}',
            '{"event":"","data":{}}',
            '{"__proto__":{"event":"x"},"event":"pusher:ping"}',
            '{"constructor":{"prototype":{"polluted":1}},"event":"pusher:subscribe","data":{"channel":"a"}}',
          ),
        ),
      }),
    );

  function frameFor(s: Step, socketId: string): string {
    const { key } = stack.app;
    const secret = stack.app.secrets[0] ?? '';
    switch (s.kind) {
      case 'subscribe': {
        const toSign = channelStringToSign(socketId, s.channel, s.channelData);
        const auth = s.sign ? signAuth(key, secret, toSign) : `${key}:${'0'.repeat(64)}`;
        return JSON.stringify({
          event: 'pusher:subscribe',
          data: {
            channel: s.channel,
            auth,
            ...(s.channelData !== undefined ? { channel_data: s.channelData } : {}),
          },
        });
      }
      case 'unsubscribe':
        return JSON.stringify({ event: 'pusher:unsubscribe', data: { channel: s.channel } });
      case 'signin': {
        const signature = hmacSha256Hex(secret, `${socketId}::user::${s.userData}`);
        return JSON.stringify({
          event: 'pusher:signin',
          data: { auth: `${key}:${s.sign ? signature : 'bad'}`, user_data: s.userData },
        });
      }
      case 'client':
        return JSON.stringify({ event: s.event, channel: s.channel, data: s.data });
      case 'raw':
        return s.text;
    }
  }

  test('random Pusher protocol messages over a real ws client: no crash, no internal error', async () => {
    await fuzz('Pusher messages', fc.array(step(), { minLength: 1, maxLength: 8 }), async (steps) => {
      const ws = new WebSocket(`ws://127.0.0.1:${stack.server.port}/app/${stack.app.key}?protocol=7`);
      const texts: string[] = [];
      const state = { closed: false };
      ws.on('error', () => undefined);
      ws.on('close', () => {
        state.closed = true;
      });
      try {
        const socketId = await new Promise<string>((resolve, reject) => {
          const timer = setTimeout(() => {
            reject(new Error('no connection_established within 5 s'));
          }, 5000);
          ws.on('message', (data: Buffer) => {
            const text = data.toString('utf8');
            texts.push(text);
            const parsed = JSON.parse(text) as { event: string; data: string };
            if (parsed.event === 'pusher:connection_established') {
              clearTimeout(timer);
              resolve((JSON.parse(parsed.data) as { socket_id: string }).socket_id);
            }
          });
        });
        for (const s of steps) ws.send(frameFor(s, socketId));
        ws.send(PING_TEXT.toString('utf8'));
        const deadline = Date.now() + 5000;
        while (!state.closed && !texts.some((t) => t.includes('pusher:pong'))) {
          if (Date.now() > deadline) throw new Error('no pong and no close within 5 s');
          await new Promise((resolve) => setTimeout(resolve, 5));
        }
        for (const text of texts) assert.doesNotMatch(text, /Internal server error/, text);
        assert.deepEqual(stack.crashes, []);
        assert.equal(({} as Record<string, unknown>).polluted, undefined, 'Object.prototype was polluted');
      } finally {
        ws.terminate();
      }
    });
  });

  test('afterwards: no unexpected error logged, memory bounded, a normal client is served', async () => {
    assert.deepEqual(stack.crashes, []);
    assert.deepEqual(errorLogs(stack.logs), []);
    assertMemoryBounded(memoryBefore);
    await assertClientServed(stack.server, await stack.newApp());
  });
});
