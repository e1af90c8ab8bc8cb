// `serve` with MAWJLY_APPS_FILE and MAWJLY_PLANS_FILE: the file's apps are live at start with the
// operator's plan table, and a bad file stops the start with an error naming the entry.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { loadConfig } from '../../src/config/config.js';
import { silentLogger } from '../../src/core/ports/logger.js';
import { startServer } from '../../src/server/server.js';
import { serverSdk } from '../support/server.js';

test('apps file and plans file are applied at start; the apps serve the Pusher API', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'mawjly-appsfile-'));
  try {
    const appsFile = join(dir, 'apps.json');
    const plansFile = join(dir, 'plans.json');
    await writeFile(
      appsFile,
      JSON.stringify([
        {
          id: '6855671',
          key: 'seed-key',
          secret: 'seed-secret-1',
          plan: 'free',
          account: 'acme',
          name: 'Acme web',
        },
      ]),
    );
    await writeFile(plansFile, JSON.stringify({ free: { max_connections: null, encrypted_channels: true } }));
    const config = loadConfig(
      {},
      { port: 0, metricsPort: 0, host: '127.0.0.1', dataDir: join(dir, 'data'), appsFile, plansFile },
    );
    let printed = '';
    const stdout = new Writable({
      write(chunk: Buffer, _encoding, done) {
        printed += chunk.toString('utf8');
        done();
      },
    });
    const server = await startServer({ config, logger: silentLogger, stdout });
    try {
      // No development app or user was created: the hint names the account that exists.
      assert.doesNotMatch(printed, /admin@mawjly\.local|--account development/);
      assert.match(printed, /No dashboard user yet: `npx mawjly users create --account acme /);
      const app = server.directory.findByKey('seed-key');
      assert.ok(app);
      assert.equal(app.id, '6855671');
      assert.equal(app.plan.maxConnections, null, 'the plans file applies');
      assert.equal(app.plan.encryptedChannels, true);
      const account = await server.management!.accounts.getByName('acme');
      assert.equal(account.plan, 'free');
      await serverSdk(server, app).trigger('orders', 'created', { id: 1 });
    } finally {
      await server.close();
    }

    await writeFile(
      appsFile,
      JSON.stringify([{ id: '1', key: 'k', secret: 'long-enough', plan: 'free' }, { id: 'x' }]),
    );
    await assert.rejects(
      startServer({ config: loadConfig({}, { ...config, appsFile }), logger: silentLogger }),
      /entry 1\.id[\s\S]*entry 1\.key/,
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
