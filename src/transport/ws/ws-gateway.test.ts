import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import WebSocket from 'ws';
import { startTestServer, type TestServer } from '../../../test/support/server.js';

/** Connects and collects frames until the server closes the socket (or 5 s pass). */
function exchange(
  server: TestServer,
  path: string,
  onOpen?: (ws: WebSocket, first: { event: string; data: unknown }) => void,
): Promise<{ frames: { event: string; data: unknown }[]; code: number }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}${path}`);
    const frames: { event: string; data: unknown }[] = [];
    const timer = setTimeout(() => {
      ws.terminate();
      reject(new Error(`no close within 5 s; frames: ${JSON.stringify(frames)}`));
    }, 5000);
    ws.on('message', (raw: Buffer) => {
      const frame = JSON.parse(raw.toString('utf8')) as { event: string; data: unknown };
      frames.push(frame);
      if (frames.length === 1) onOpen?.(ws, frame);
    });
    ws.on('error', () => undefined);
    ws.on('close', (code) => {
      clearTimeout(timer);
      resolve({ frames, code });
    });
  });
}

async function until(check: () => boolean): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not reached within 5 s');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('WebSocket gateway', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(async () => {
    await server.close();
  });

  test('refusals carry the Pusher error and close code', async () => {
    const cases: [string, number][] = [
      ['/app/no-such-key?protocol=7', 4001],
      [`/app/${server.app.key}`, 4008],
      [`/app/${server.app.key}?protocol=x`, 4006],
      [`/app/${server.app.key}?protocol=1`, 4007],
      ['/app/%E0%A4%A?protocol=7', 4001],
      [`/app/${server.app.key}/extra?protocol=7`, 4005],
    ];
    for (const [path, code] of cases) {
      const { frames, code: closeCode } = await exchange(server, path);
      assert.equal(closeCode, code, path);
      const [first] = frames;
      assert.ok(first, path);
      assert.equal(first.event, 'pusher:error', path);
      assert.equal((first.data as { code: number }).code, code, path);
    }
  });

  test('messages reach the session, and closing the socket ends it', async () => {
    const before = server.engine.sessionCount;
    const { frames, code } = await exchange(server, `/app/${server.app.key}?protocol=7`, (ws) => {
      ws.send(JSON.stringify({ event: 'pusher:ping', data: {} }));
      ws.once('message', () => {
        ws.close(1000);
      });
    });
    assert.equal(code, 1000);
    assert.deepEqual(
      frames.map((f) => f.event),
      ['pusher:connection_established', 'pusher:pong'],
    );
    await until(() => server.engine.sessionCount === before);
  });

  test('a binary frame gets an error frame, the socket stays open', async () => {
    const { frames } = await exchange(server, `/app/${server.app.key}?protocol=7`, (ws) => {
      ws.send(Buffer.from([1, 2, 3]), { binary: true });
      ws.once('message', () => {
        ws.close(1000);
      });
    });
    assert.equal(frames[1]?.event, 'pusher:error');
  });
});
