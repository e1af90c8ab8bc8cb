// The first run of `serve` on an empty store creates a development app and dashboard owner and
// prints their secret and password once. A start that fails (port taken) must not use that once up.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { loadConfig } from '../../src/config/config.js';
import { silentLogger } from '../../src/core/ports/logger.js';
import { startServer } from '../../src/server/server.js';

function collector(): { stream: Writable; text: () => string } {
  let text = '';
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      text += chunk.toString('utf8');
      done();
    },
  });
  return { stream, text: () => text };
}

test('a first run that cannot listen leaves the credentials for the next start to print', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'mawjly-first-run-'));
  const taken = createServer();
  await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
  try {
    const busyPort = (taken.address() as AddressInfo).port;
    const base = { metricsPort: 0, host: '127.0.0.1', dataDir: join(dir, 'data') };
    const failed = collector();
    await assert.rejects(
      startServer({
        config: loadConfig({}, { ...base, port: busyPort }),
        logger: silentLogger,
        stdout: failed.stream,
      }),
      new RegExp(`PORT=${String(busyPort)}: 127\\.0\\.0\\.1:${String(busyPort)} is already in use`),
    );
    assert.equal(failed.text(), '');

    const out = collector();
    const server = await startServer({
      config: loadConfig({}, { ...base, port: 0 }),
      logger: silentLogger,
      stdout: out.stream,
    });
    try {
      assert.match(out.text(), /^ {2}secret: [0-9a-f]{32}$/m);
      assert.match(out.text(), /^Dashboard sign-in: admin@mawjly\.local \/ \S+ \(shown once/m);
      const key = /^ {2}key: +(\S+)$/m.exec(out.text())?.[1] ?? '';
      assert.ok(server.directory.findByKey(key), 'the development app is served');
    } finally {
      await server.close();
    }
  } finally {
    await new Promise<void>((resolve) => {
      taken.close(() => {
        resolve();
      });
    });
    await rm(dir, { recursive: true, force: true });
  }
});
