// allowed_origins over a real WebSocket: a browser Origin outside the list gets pusher:error 4009 and
// a 4009 close; listed origins, wildcard matches and non-browser clients (no Origin) connect.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import WebSocket from 'ws';
import { makeApp, startTestServer, type TestServer } from '../support/server.js';

let server: TestServer;
before(async () => {
  server = await startTestServer({
    apps: [makeApp({ settings: { allowedOrigins: ['https://app.example.com', 'https://*.example.org'] } })],
  });
});
after(async () => {
  await server.close();
});

function connect(
  origin: string | undefined,
): Promise<{ first: { event: string; data: unknown }; close?: number }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://${server.host}:${server.port}/app/${server.app.key}?protocol=7`, {
      ...(origin === undefined ? {} : { origin }),
    });
    const timer = setTimeout(() => {
      ws.terminate();
      reject(new Error('no answer'));
    }, 5000);
    let first: { event: string; data: unknown } | undefined;
    ws.on('message', (data: Buffer) => {
      first ??= JSON.parse(data.toString()) as { event: string; data: unknown };
      if (first.event === 'pusher:connection_established') {
        clearTimeout(timer);
        ws.close();
        resolve({ first });
      }
    });
    ws.on('close', (code) => {
      clearTimeout(timer);
      if (first) resolve({ first, close: code });
      else reject(new Error(`closed with ${code} before any frame`));
    });
    ws.on('error', () => undefined);
  });
}

test('listed and wildcard origins connect; others are refused with 4009; no Origin is not a browser', async () => {
  for (const origin of ['https://app.example.com', 'https://shop.example.org', undefined]) {
    const { first } = await connect(origin);
    assert.equal(first.event, 'pusher:connection_established', `origin ${String(origin)}`);
  }
  for (const origin of ['https://evil.example.net', 'https://example.org', 'http://app.example.com']) {
    const { first, close } = await connect(origin);
    assert.equal(first.event, 'pusher:error', `origin ${origin}`);
    assert.equal((first.data as { code: number }).code, 4009);
    assert.equal(close, 4009);
  }
});
