// The management API endpoints backed by the live engine (RealtimeView), on the real server.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import WebSocket from 'ws';
import { loadConfig } from '../../src/config/config.js';
import { silentLogger } from '../../src/core/ports/logger.js';
import type { Management } from '../../src/management/management.js';
import { startServer, type RunningServer } from '../../src/server/server.js';
import { clientSdk, once, rawClient, waitForState } from '../support/server.js';
import { managementRequest } from '../support/management-api.js';

/** Reads server-sent events until one matches, with a timeout. */
async function nextSseEvent(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  predicate: (event: Record<string, unknown>) => boolean,
  timeoutMs = 5000,
): Promise<Record<string, unknown>> {
  const decoder = new TextDecoder();
  let buffer = '';
  const deadline = setTimeout(() => {
    void reader.cancel();
  }, timeoutMs);
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) throw new Error('debug stream ended before the expected event');
      buffer += decoder.decode(value, { stream: true });
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const line = block.split('\n').find((l) => l.startsWith('data: '));
        if (line === undefined) continue;
        const event = JSON.parse(line.slice(6)) as Record<string, unknown>;
        const id = block.split('\n').find((l) => l.startsWith('id: '));
        if (id !== undefined) event.sse_id = Number(id.slice(4));
        if (predicate(event)) return event;
      }
    }
  } finally {
    clearTimeout(deadline);
  }
}

describe('management API with the live engine', () => {
  let dataDir: string;
  let server: RunningServer;
  let management: Management;
  let token: string;

  const api = (method: string, path: string, body?: unknown) =>
    managementRequest(server.url, token, method, path, body);

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'mawjly-live-'));
    const plansFile = join(dataDir, 'plans.json');
    await writeFile(plansFile, JSON.stringify({ startup: { max_connections: 5 } }));
    const config = loadConfig({}, { port: 0, metricsPort: 0, host: '127.0.0.1', dataDir, plansFile });
    server = await startServer({ config, logger: silentLogger });
    management = server.management!;
    const account = await management.accounts.create({ name: 'live', plan: 'pro' }, 'test');
    token = (await management.tokens.create(account.id, { name: 't' }, 'test')).token;
  });
  after(async () => {
    await server.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  test('channels, presence users, usage, the event creator and the debug stream', async () => {
    const created = await api('POST', '/apps', { name: 'live app' });
    assert.equal(created.status, 201);
    const appId = created.json.id as string;
    const app = server.directory.findById(appId)!;

    const debug = await fetch(`${server.url}/api/v1/apps/${appId}/debug`, {
      headers: { authorization: `Bearer ${token}` },
    });
    assert.equal(debug.status, 200);
    assert.match(debug.headers.get('content-type') ?? '', /^text\/event-stream/);
    const reader = debug.body!.getReader();

    const client = clientSdk(server, app, { userId: 'u-1', userInfo: { name: 'Ada' } });
    try {
      await waitForState(client, 'connected');
      const channel = client.subscribe('presence-room');
      await once(channel, 'pusher:subscription_succeeded');
      const subscribed = await nextSseEvent(reader, (e) => e.type === 'subscribed');
      assert.equal(subscribed.channel, 'presence-room');
      assert.match(String(subscribed.socket_id), /^\d+\.\d+$/);

      const channels = await api('GET', `/apps/${appId}/channels`);
      assert.equal(channels.status, 200);
      assert.deepEqual(channels.json.channels, [
        { name: 'presence-room', type: 'presence', cache: false, subscription_count: 1, user_count: 1 },
      ]);
      const users = await api('GET', `/apps/${appId}/channels/presence-room/users`);
      assert.deepEqual(users.json.users, [{ id: 'u-1', user_info: { name: 'Ada' } }]);
      assert.equal((await api('GET', `/apps/${appId}/usage`)).json.connections, 1);
      assert.equal((await api('GET', '/usage')).json.connections, 1);

      const received = once<{ hello: string }>(channel, 'greet');
      const sent = await api('POST', `/apps/${appId}/events`, {
        name: 'greet',
        channel: 'presence-room',
        data: { hello: 'world' },
      });
      assert.equal(sent.status, 200);
      assert.deepEqual(sent.json, {});
      assert.deepEqual(await received, { hello: 'world' });
      const message = await nextSseEvent(reader, (e) => e.type === 'api_message');
      assert.equal(message.event, 'greet');
      assert.equal(message.channel, 'presence-room');

      const plaintext = await api('POST', `/apps/${appId}/events`, {
        name: 'x',
        channel: 'private-encrypted-orders',
        data: { card: '4111111111111111' },
      });
      assert.equal(plaintext.status, 400);
      assert.equal(plaintext.json.error.code, 'encrypted_envelope_invalid');

      const usage = await api('GET', `/apps/${appId}/usage`);
      assert.ok(usage.json.messages_today >= 2, 'the publish and its delivery are counted');
      assert.equal(management.usage.messagesToday(app.accountId), usage.json.account_messages_today);
    } finally {
      client.disconnect();
      await waitForState(client, 'disconnected');
      await reader.cancel();
    }
  });

  test("a new debug stream first replays the app's last 100 events, within tenancy and scopes", async () => {
    const created = await api('POST', '/apps', { name: 'backlog app' });
    const appId = created.json.id as string;
    // Nobody watches while these happen.
    for (let i = 0; i < 120; i++) {
      const sent = await api('POST', `/apps/${appId}/events`, {
        name: `e${i}`,
        channel: 'backlog',
        data: { i },
      });
      assert.equal(sent.status, 200);
    }
    const open = (bearer: string) =>
      fetch(`${server.url}/api/v1/apps/${appId}/debug`, { headers: { authorization: `Bearer ${bearer}` } });
    const debug = await open(token);
    assert.equal(debug.status, 200);
    const reader = debug.body!.getReader();
    try {
      const replayed: string[] = [];
      const ids: number[] = [];
      await nextSseEvent(reader, (e) => {
        replayed.push(String(e.event));
        ids.push(Number(e.sse_id));
        return e.event === 'e119';
      });
      // Each carries an increasing SSE id, so a reconnecting console can skip what it has seen.
      assert.ok(
        ids.every((id, i) => Number.isSafeInteger(id) && (i === 0 || id > ids[i - 1]!)),
        String(ids),
      );
      assert.deepEqual(
        replayed,
        Array.from({ length: 100 }, (_, i) => `e${i + 20}`),
      );
      // Then live events follow, once each.
      await api('POST', `/apps/${appId}/events`, { name: 'live', channel: 'backlog', data: {} });
      const next = await nextSseEvent(reader, () => true);
      assert.equal(next.event, 'live');
    } finally {
      await reader.cancel();
    }

    // Another account's token cannot read it; a token without debug:read neither.
    const other = await management.accounts.create({ name: 'other', plan: 'pro' }, 'test');
    const otherToken = (await management.tokens.create(other.id, { name: 'o' }, 'test')).token;
    const foreign = await open(otherToken);
    assert.equal(foreign.status, 404);
    await foreign.body?.cancel();
    const account = server.directory.findById(appId)!.accountId;
    const narrow = (await management.tokens.create(account, { name: 'n', scopes: ['apps:read'] }, 'test'))
      .token;
    const refused = await open(narrow);
    assert.equal(refused.status, 403);
    const refusedText = await refused.text();
    assert.ok(!refusedText.includes('e119'), 'a refused request saw the backlog');
  });

  test('settings changed through the API apply to the running engine at once', async () => {
    const created = await api('POST', '/apps', {});
    const app = server.directory.findById(created.json.id as string)!;
    assert.equal((await api('PATCH', `/apps/${app.id}`, { settings: { enabled: false } })).status, 200);
    // A plain WebSocket: rawClient would keep a 5 s timer waiting for a handshake that never comes.
    const socket = new WebSocket(
      `ws://${server.host}:${server.port}/app/${app.key}?protocol=7&client=js&version=8.6.0`,
    );
    const code = await new Promise<number>((resolve) =>
      socket.on('close', (c) => {
        resolve(c);
      }),
    );
    assert.equal(code, 4003);
    assert.equal((await api('PATCH', `/apps/${app.id}`, { settings: { enabled: true } })).status, 200);
    const again = rawClient(server, app.key);
    try {
      await again.socketId;
    } finally {
      again.close();
      await again.closed;
    }
  });

  test('80 % of the connection quota writes one usage.warning per day', async () => {
    const account = await management.accounts.create({ name: 'busy', plan: 'startup' }, 'test');
    const record = await management.apps.create(account, {}, 'test');
    const sockets = [1, 2, 3].map(() => rawClient(server, record.key));
    try {
      await Promise.all(sockets.map((s) => s.socketId));
      await management.connectionQuota.check();
      const warnings = async () =>
        (await management.audit.list(account.id)).filter((e) => e.action === 'usage.warning');
      assert.equal((await warnings()).length, 0, '3 of 5 is below 80 %');
      const fourth = rawClient(server, record.key);
      sockets.push(fourth);
      await fourth.socketId;
      await management.connectionQuota.check();
      await management.connectionQuota.check();
      const written = await warnings();
      assert.equal(written.length, 1);
      assert.equal(written[0]!.details.quota, 'connections');
      assert.equal(written[0]!.details.limit, 5);
      const usage = await fetch(`${server.url}/api/v1/usage`, {
        headers: {
          authorization: `Bearer ${(await management.tokens.create(account.id, { name: 'u' }, 'test')).token}`,
        },
      });
      const body = (await usage.json()) as { connections: number; warnings: { quota: string }[] };
      assert.equal(body.connections, 4);
      assert.deepEqual(
        body.warnings.map((w) => w.quota),
        ['connections'],
      );
    } finally {
      for (const s of sockets) s.close();
      await Promise.all(sockets.map((s) => s.closed));
    }
  });
});
