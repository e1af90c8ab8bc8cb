// warmUp's promise to `serve`: a rehearsal that fails or hangs is logged as a warning and abandoned,
// its temporary store removed, and the node's start goes on (warmUp never throws). The rehearsal
// is the real startServer; the faults are real ones (a closed port, a port that never answers).
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { makeSelfSignedCertificate } from '../../test/support/tls.js';
import { loadConfig } from '../config/config.js';
import { createLogger } from './logger.js';
import { startServer, type RunningServer, type StartOptions } from './server.js';
import { warmUp } from './warm-up.js';

const LOAD = { publishes: 20 };

/** A logger writing JSON lines into `lines`. */
function recordingLogger(): { logger: ReturnType<typeof createLogger>; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const out = new PassThrough();
  out.on('data', (chunk: Buffer) => {
    for (const line of chunk.toString().split('\n'))
      if (line.trim() !== '') lines.push(JSON.parse(line) as Record<string, unknown>);
  });
  return { logger: createLogger('info', out), lines };
}

/** What a rehearsal left in TMPDIR (tsx, which runs the client from source here, keeps its cache there). */
function leftovers(dir: string): string[] {
  return readdirSync(dir).filter((name) => name.startsWith('mawjly-'));
}

async function flushed(): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 50));
}

describe('warmUp', () => {
  let temp = '';
  const savedTmp = process.env.TMPDIR;
  beforeEach(() => {
    temp = mkdtempSync(join(tmpdir(), 'mawjly-warm-up-unit-'));
    process.env.TMPDIR = temp;
  });
  afterEach(() => {
    if (savedTmp === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = savedTmp;
    rmSync(temp, { recursive: true, force: true });
  });

  const options = (): StartOptions => ({
    config: loadConfig({}, { port: 0, metricsPort: 0, host: '127.0.0.1', transport: 'uws' }),
  });

  test('a rehearsal that works is logged with what it sent and received', async () => {
    const { logger, lines } = recordingLogger();
    await warmUp(startServer, options(), logger, { load: LOAD });
    await flushed();
    const line = lines.find((l) => l.msg === 'warmed up');
    assert.ok(line, JSON.stringify(lines));
    assert.equal(line.publishes, LOAD.publishes);
    assert.equal(line.tls, false);
    assert.equal(line.transport, 'uws');
    assert.deepEqual(leftovers(temp), []);
  });

  test('a node with TLS rehearses over TLS', async () => {
    const certificate = makeSelfSignedCertificate();
    try {
      const { logger, lines } = recordingLogger();
      const config = loadConfig(
        {},
        {
          port: 0,
          metricsPort: 0,
          host: '127.0.0.1',
          transport: 'uws',
          tlsCert: certificate.certFile,
          tlsKey: certificate.keyFile,
        },
      );
      await warmUp(startServer, { config }, logger, { load: LOAD });
      await flushed();
      const line = lines.find((l) => l.msg === 'warmed up');
      assert.ok(line, JSON.stringify(lines));
      assert.equal(line.publishes, LOAD.publishes);
      assert.equal(line.tls, true);
    } finally {
      certificate.remove();
    }
  });

  test('a rehearsal its client cannot reach is a warning, and warmUp still resolves', async () => {
    const { logger, lines } = recordingLogger();
    // The rehearsal closes before the client connects: every connection is refused.
    const closedAtOnce = async (o: StartOptions) => {
      const server = await startServer(o);
      await server.close();
      return server;
    };
    await warmUp(closedAtOnce, options(), logger, { load: LOAD });
    await flushed();
    const warning = lines.find((l) => String(l.msg).startsWith('warm-up failed'));
    assert.ok(warning, JSON.stringify(lines));
    assert.equal(warning.level, 40);
    assert.match(JSON.stringify(warning.err), /ECONNREFUSED/);
    assert.ok(!lines.some((l) => l.msg === 'warmed up'));
    assert.deepEqual(leftovers(temp), []);
  });

  test('a rehearsal that does not start in time is abandoned, and nothing of it stays', async () => {
    const { logger, lines } = recordingLogger();
    // The real startServer, begun 1.5 s late (a slow disk under TMPDIR): past the 300 ms limit.
    // By then its files are gone, so it fails, or, had it started, it is closed at once.
    const state: { outcome: 'pending' | 'failed' | RunningServer } = { outcome: 'pending' };
    const slowStart = async (o: StartOptions) => {
      await new Promise((resolve) => setTimeout(resolve, 1500));
      try {
        const server = await startServer(o);
        state.outcome = server;
        return server;
      } catch (error) {
        state.outcome = 'failed';
        throw error;
      }
    };
    const began = Date.now();
    await warmUp(slowStart, options(), logger, { load: LOAD, timeoutMs: 300 });
    assert.ok(Date.now() - began < 1500, 'the node goes on at the limit, not when the rehearsal starts');
    await flushed();
    const warning = lines.find((l) => String(l.msg).startsWith('warm-up failed'));
    assert.ok(warning, JSON.stringify(lines));
    assert.match(JSON.stringify(warning.err), /longer than 300 ms/);
    const deadline = Date.now() + 15_000;
    for (;;) {
      const late = state.outcome;
      const settled =
        late === 'failed' ||
        (late !== 'pending' &&
          (await fetch(`http://127.0.0.1:${String(late.port)}/health`).then(
            () => false,
            () => true,
          )));
      if (settled && leftovers(temp).length === 0) break;
      assert.ok(
        Date.now() < deadline,
        `the late rehearsal is ${late === 'pending' ? 'pending' : 'open'}, or left ${leftovers(temp).join()}`,
      );
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  });

  test('a rehearsal that never answers is abandoned after its time limit', async () => {
    // A port that accepts connections and never answers: the client's first request hangs.
    const held: Socket[] = [];
    const silent: Server = createServer((socket) => held.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const silentPort = (silent.address() as { port: number }).port;
    try {
      const { logger, lines } = recordingLogger();
      const unanswered = async (o: StartOptions) => ({ ...(await startServer(o)), port: silentPort });
      const began = Date.now();
      await warmUp(unanswered, options(), logger, { load: LOAD, timeoutMs: 4000 });
      await flushed();
      assert.ok(Date.now() - began < 15_000, 'abandoned near its limit, not at the client’s own timeouts');
      const warning = lines.find((l) => String(l.msg).startsWith('warm-up failed'));
      assert.ok(warning, JSON.stringify(lines));
      assert.match(JSON.stringify(warning.err), /longer than 4000 ms/);
      assert.ok(held.length > 0, 'the client did try the port');
      assert.deepEqual(leftovers(temp), []);
    } finally {
      for (const socket of held) socket.destroy();
      silent.close();
    }
  });
});
