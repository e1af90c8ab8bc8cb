// Every example of examples/ runs as documented against the real server: the Node ones as child
// processes, the pages in headless Chromium. The docs' copies of their code are checked too.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { launchChromium } from '../support/browser.js';
import { spawnLines } from '../support/child-process.js';
import { ensureClientBuilt, repoRoot } from '../support/client-build.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { makeSelfSignedCertificate } from '../support/tls.js';

const ORDER_TEXT = 'order 12345 shipped, tracking number PII_HERE';
// Made once for this file; the TLS tests trust it through NODE_EXTRA_CA_CERTS.
const certificate = makeSelfSignedCertificate();
process.on('exit', () => {
  certificate.remove();
});
const TLS_CERT = certificate.certFile;
const TLS_KEY = certificate.keyFile;

interface ExampleConfig {
  host: string;
  port: number;
  useTLS: boolean;
  cluster: string;
  appId: string;
  key: string;
  secret: string;
  encryptionMasterKeyBase64: string;
}
interface ExampleApp {
  url: string;
  close(): Promise<void>;
}
interface ExampleModule {
  start: (options: { port: number; config: ExampleConfig }) => Promise<ExampleApp>;
}

/** Imports an example module (plain JavaScript, so through a computed specifier). */
async function importExample<T>(path: string): Promise<T> {
  return (await import(new URL(`../../${path}`, import.meta.url).href)) as T;
}

function exampleConfig(server: TestServer, masterKey: string): ExampleConfig {
  return {
    host: server.host,
    port: server.port,
    useTLS: server.tls,
    cluster: 'sa',
    appId: server.app.id,
    key: server.app.key,
    secret: server.app.secrets[0]!,
    encryptionMasterKeyBase64: masterKey,
  };
}

/** The environment examples/README.md tells users to set. */
function exampleEnv(server: TestServer, masterKey: string): NodeJS.ProcessEnv {
  return {
    ...process.env,
    MAWJLY_HOST: server.host,
    MAWJLY_PORT: String(server.port),
    MAWJLY_USE_TLS: String(server.tls),
    MAWJLY_APP_ID: server.app.id,
    MAWJLY_APP_KEY: server.app.key,
    MAWJLY_APP_SECRET: server.app.secrets[0],
    MAWJLY_ENCRYPTION_KEY: masterKey,
    ...(server.tls ? { NODE_EXTRA_CA_CERTS: TLS_CERT } : {}),
  };
}

async function runTrigger(env: NodeJS.ProcessEnv): Promise<void> {
  const trigger = spawnLines(process.execPath, ['examples/auth-endpoint/trigger.mjs'], {
    cwd: repoRoot,
    env,
  });
  const code = await trigger.exited;
  assert.equal(code, 0, `trigger.mjs failed: ${trigger.stderr()}`);
  assert.match(trigger.lines.join('\n'), /order\.shipped sent/);
}

async function interServiceRoundTrip(server: TestServer): Promise<void> {
  const env = exampleEnv(server, randomBytes(32).toString('base64'));
  const subscriber = spawnLines(process.execPath, ['examples/inter-service/subscriber.mjs'], {
    cwd: repoRoot,
    env,
  });
  try {
    await subscriber.waitForLine(/"subscribed":"private-encrypted-orders\.42"/);
    await runTrigger(env);
    const line = await subscriber.waitForLine(/"event":"order\.shipped"/);
    assert.deepEqual(JSON.parse(line), {
      channel: 'private-encrypted-orders.42',
      event: 'order.shipped',
      data: { orderId: '12345', trackingNumber: 'PII_HERE' },
    });
  } finally {
    await subscriber.stop();
  }
}

describe('examples against the real server', () => {
  let server: TestServer;
  let browser: Browser;
  before(async () => {
    ensureClientBuilt();
    server = await startTestServer();
    browser = await launchChromium();
  });
  after(async () => {
    await browser.close();
    await server.close();
  });

  const pages = [
    { example: 'auth-endpoint', authFields: ['auth', 'shared_secret'] },
    { example: 'master-key-client', authFields: ['auth'] },
  ];
  for (const { example, authFields } of pages) {
    test(`${example}: the page shows the order.shipped event sent by trigger.mjs`, async () => {
      const masterKey = randomBytes(32).toString('base64');
      const { start } = await importExample<ExampleModule>(`examples/${example}/server.mjs`);
      const app = await start({ port: 0, config: exampleConfig(server, masterKey) });
      const page = await browser.newPage();
      const authResponses: unknown[] = [];
      page.on('response', (response) => {
        if (response.url().endsWith('/broadcasting/auth')) {
          authResponses.push(response.json());
        }
      });
      try {
        await page.goto(app.url);
        await page.waitForFunction(
          () => document.getElementById('state')?.textContent === 'subscribed',
          null,
          {
            timeout: 10_000,
          },
        );
        await runTrigger(exampleEnv(server, masterKey));
        const shipped = page.locator('li.order-shipped');
        await shipped.first().waitFor({ timeout: 10_000 });
        assert.deepEqual(await shipped.allTextContents(), [ORDER_TEXT]);

        const bodies = (await Promise.all(authResponses)) as Record<string, unknown>[];
        assert.equal(bodies.length, 1);
        assert.deepEqual(Object.keys(bodies[0]!).sort(), authFields);
        // The master key only ever reaches a page that is meant to hold it.
        const html = await page.content();
        assert.equal(html.includes(masterKey), example === 'master-key-client');
      } finally {
        await page.close();
        await app.close();
      }
    });
  }

  test('inter-service: the subscriber prints the decrypted event', async () => {
    await interServiceRoundTrip(server);
  });

  test('the examples explain which environment variables are missing', async () => {
    const env = { ...process.env };
    delete env.MAWJLY_APP_ID;
    delete env.MAWJLY_APP_KEY;
    delete env.MAWJLY_APP_SECRET;
    const trigger = spawnLines(process.execPath, ['examples/auth-endpoint/trigger.mjs'], {
      cwd: repoRoot,
      env,
    });
    assert.equal(await trigger.exited, 2);
    assert.match(trigger.stderr(), /set MAWJLY_APP_ID, MAWJLY_APP_KEY, MAWJLY_APP_SECRET/);
  });

  test("the docs' code blocks are exact copies of the examples", async () => {
    const { DOCS_WITH_SNIPPETS, checkSnippets } = await importExample<{
      DOCS_WITH_SNIPPETS: string[];
      checkSnippets: (doc: string) => Promise<{ doc: string; source: string; upToDate: boolean }[]>;
    }>('examples/sync-doc-snippets.mjs');
    for (const doc of DOCS_WITH_SNIPPETS) {
      const snippets = await checkSnippets(doc);
      assert.ok(snippets.length > 0, `${doc} includes no example code`);
      const stale = snippets.filter((s) => !s.upToDate).map((s) => s.source);
      assert.deepEqual(stale, [], `${doc} has stale copies; run node examples/sync-doc-snippets.mjs`);
    }
  });
});

describe('examples against the real server over TLS', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ config: { tlsCert: TLS_CERT, tlsKey: TLS_KEY } });
  });
  after(async () => {
    await server.close();
  });

  test('inter-service subscriber and trigger.mjs with MAWJLY_USE_TLS=true', async () => {
    assert.equal(server.tls, true);
    ensureClientBuilt();
    await interServiceRoundTrip(server);
  });
});
