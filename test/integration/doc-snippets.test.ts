// Every JavaScript (and HTML) snippet of the README and the docs runs in the tests. A block that
// follows a `<!-- snippet: file -->` marker is a copy of an example or test that runs as such
// (test/integration/examples.test.ts keeps the copies exact); the package README's blocks and the
// page snippets of docs/encrypted-channels.md run in test/integration/client-package.test.ts; every
// other block runs here, as written, with only its placeholder values (key, host, port) replaced:
// browser snippets bundled by esbuild or loaded in a page in Chromium, Node snippets with node.
import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { build } from 'esbuild';
import type { Browser } from 'playwright-core';
import { launchChromium } from '../support/browser.js';
import { spawnLines } from '../support/child-process.js';
import { ensureClientBuilt, repoRoot } from '../support/client-build.js';
import { clientSdk, serverSdk, startTestServer, type TestServer } from '../support/server.js';
import { makeSelfSignedCertificate } from '../support/tls.js';

const CHANNEL = 'private-encrypted-orders.42';
const ORDER = { orderId: '12345', trackingNumber: 'PII_HERE' };
const SCRIPT_LANGS = new Set(['js', 'javascript', 'mjs', 'cjs', 'ts', 'typescript', 'jsx', 'tsx', 'html']);

interface Block {
  readonly doc: string;
  readonly code: string;
  /** `doc: first line`, how the tables below name a block. */
  readonly id: string;
}

async function docsWithSnippets(): Promise<string[]> {
  const docs = (await readdir(`${repoRoot}docs`)).filter((n) => n.endsWith('.md')).map((n) => `docs/${n}`);
  const packages = (await readdir(`${repoRoot}packages`)).map((name) => `packages/${name}/README.md`);
  return ['README.md', 'examples/README.md', ...packages, ...docs];
}

/** The script blocks of the docs that are not marked copies of an executed file. */
async function unmarkedBlocks(): Promise<Block[]> {
  const blocks: Block[] = [];
  for (const doc of await docsWithSnippets()) {
    const text = await readFile(`${repoRoot}${doc}`, 'utf8');
    for (const match of text.matchAll(/^```(\w*)\n([\s\S]*?)^```$/gm)) {
      if (!SCRIPT_LANGS.has(match[1]!)) continue;
      const before = text.slice(0, match.index).trimEnd().split('\n').at(-1) ?? '';
      if (before.startsWith('<!-- snippet: ')) continue;
      const code = match[2]!;
      blocks.push({ doc, code, id: `${doc}: ${code.split('\n')[0]!}` });
    }
  }
  return blocks;
}

// Blocks another test file runs; that file must read the doc.
const RUN_ELSEWHERE: Record<string, string> = {
  'packages/client/README.md: // subscriber.mjs: node subscriber.mjs':
    'test/integration/client-package.test.ts',
  'packages/client/README.md: // subscriber.cjs: node subscriber.cjs':
    'test/integration/client-package.test.ts',
  'packages/client/README.md: // main.js, bundled for the browser (Vite, webpack, esbuild …)':
    'test/integration/client-package.test.ts',
  'packages/client/README.md: <script src="http://127.0.0.1:6001/js/mawjly.js"></script>':
    'test/integration/client-package.test.ts',
  'docs/encrypted-channels.md: // main.js': 'test/integration/client-package.test.ts',
  "docs/encrypted-channels.md: <!-- support.html: the helper's bundle sets the global Pusher -->":
    'test/integration/encrypted-client-events-browser.test.ts',
  "docs/encrypted-channels.md: const channel = window.Echo.encryptedPrivate('support.42');":
    'test/integration/encrypted-client-events-browser.test.ts',
  'docs/encrypted-channels.md: <script src="http://127.0.0.1:6001/js/pusher-with-encryption.min.js"></script>':
    'test/integration/client-package.test.ts',
};

const README_CONNECT =
  "README.md: import Pusher from 'pusher-js/with-encryption'; // in a browser bundle; in Node: import Pusher from 'pusher-js'";
const README_PUBLISH = "README.md: import Pusher from 'pusher';";
const HELPER_PRODUCT_SNIPPET = "docs/client-helper.md: const pusher = new Pusher('YOUR_KEY', {";
const MIGRATING_PUSHER_JS = "docs/migrating-from-pusher.md: const pusher = new Pusher('YOUR_MAWJLY_KEY', {";
const MIGRATING_SDK = 'docs/migrating-from-pusher.md: const pusher = new Pusher({';
const RUN_HERE = [README_CONNECT, README_PUBLISH, HELPER_PRODUCT_SNIPPET, MIGRATING_PUSHER_JS, MIGRATING_SDK];

/** The snippet with its placeholders pointed at a test server; nothing documented is left over. */
function pointAt(code: string, server: TestServer, masterKey: string): string {
  const port = String(server.port);
  const replaced = code
    .replace(/'YOUR_(?:MAWJLY_)?(?:APP_)?KEY'/g, `'${server.app.key}'`)
    .replace(/'YOUR_(?:MAWJLY_)?APP_ID'/g, `'${server.app.id}'`)
    .replace(/'YOUR_(?:MAWJLY_)?(?:APP_)?SECRET'/g, `'${server.app.secrets[0]!}'`)
    .replaceAll('YOUR_BASE64_ENCODED_32_BYTE_KEY', masterKey)
    .replaceAll('ws-sa.mawjly.com', server.host)
    .replaceAll("'127.0.0.1'", `'${server.host}'`)
    .replace(/\b(wsPort|wssPort): (?:6001|443)\b/g, `$1: ${port}`)
    .replace(/\bport: '(?:6001|443)'/g, `port: '${port}'`);
  assert.ok(!/YOUR_|\b6001\b|\b443\b/.test(replaced.replace(/\/\/.*$/gm, '')), `left over:\n${replaced}`);
  return replaced;
}

describe('every script snippet of the README and the docs runs', { concurrency: false }, () => {
  let blocks: Block[];
  let server: TestServer;
  let masterKey: string;
  let browser: Browser;
  let backend: Server;
  let backendUrl: string;
  let scratch: string;
  // The customer's backend: the page, its bundle, and an auth endpoint (full, or `auth` only).
  const routes = new Map<string, { type: string; body: string }>();
  let authOnly = false;

  before(async () => {
    ensureClientBuilt();
    blocks = await unmarkedBlocks();
    server = await startTestServer();
    masterKey = randomBytes(32).toString('base64');
    browser = await launchChromium();
    // Inside the repository, so that the Node snippets' imports resolve to its node_modules.
    scratch = `${repoRoot}test-results/doc-snippets-${randomBytes(4).toString('hex')}/`;
    await mkdir(scratch, { recursive: true });
    const sdk = serverSdk(server, server.app, { encryptionMasterKeyBase64: masterKey });
    backend = createServer((req, res) => {
      if (req.method === 'POST' && req.url === '/broadcasting/auth') {
        let body = '';
        req.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
        req.on('end', () => {
          const form = new URLSearchParams(body);
          const socketId = form.get('socket_id') ?? '';
          const channel = form.get('channel_name') ?? '';
          const signature = createHmac('sha256', server.app.secrets[0]!)
            .update(`${socketId}:${channel}`)
            .digest('hex');
          const answer = authOnly
            ? { auth: `${server.app.key}:${signature}` }
            : sdk.authorizeChannel(socketId, channel);
          res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
        });
        return;
      }
      const route = routes.get(req.url ?? '');
      if (route) res.writeHead(200, { 'content-type': route.type }).end(route.body);
      else res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => backend.listen(0, '127.0.0.1', resolve));
    backendUrl = `http://127.0.0.1:${String((backend.address() as AddressInfo).port)}`;
  });
  after(async () => {
    await browser.close();
    backend.close();
    await server.close();
    await rm(scratch, { recursive: true, force: true });
  });

  function block(id: string): Block {
    const found = blocks.filter((b) => b.id === id);
    assert.equal(found.length, 1, `expected one block "${id}"`);
    return found[0]!;
  }

  test('each one is a marked copy of an executed file, run here, or run by a named test', async () => {
    const unknown = blocks.map((b) => b.id).filter((id) => !RUN_HERE.includes(id) && !(id in RUN_ELSEWHERE));
    assert.deepEqual(unknown, [], 'a new snippet: run it here (RUN_HERE) or in a test that reads its doc');
    for (const [id, testFile] of Object.entries(RUN_ELSEWHERE)) {
      assert.ok(
        blocks.some((b) => b.id === id),
        `"${id}" is no longer in the docs`,
      );
      const source = await readFile(`${repoRoot}${testFile}`, 'utf8');
      assert.ok(
        source.includes(id.split(':')[0]!.replace(/^packages\/client\/README\.md$/, 'README.md')),
        testFile,
      );
    }
  });

  test('every snippet that sets wsPort sets wssPort too (pusher-js otherwise falls back to wss on 443)', async () => {
    const all: Block[] = [];
    for (const doc of await docsWithSnippets()) {
      const text = await readFile(`${repoRoot}${doc}`, 'utf8');
      for (const match of text.matchAll(/^```(\w*)\n([\s\S]*?)^```$/gm))
        if (SCRIPT_LANGS.has(match[1]!)) all.push({ doc, code: match[2]!, id: doc });
    }
    const missing = all
      .filter((b) => /\bwsPort:/.test(b.code) && !/\bwssPort:/.test(b.code))
      .map((b) => b.id);
    assert.deepEqual(missing, []);
  });

  /** Loads a page and publishes until it logs the decrypted order (console.log(data)). */
  async function pageDecrypts(html: string): Promise<void> {
    routes.set('/', { type: 'text/html', body: html });
    const page = await browser.newPage();
    const logged: unknown[][] = [];
    const errors: string[] = [];
    page.on('console', (message) => {
      void Promise.all(message.args().map((arg) => arg.jsonValue())).then((values) => logged.push(values));
    });
    page.on('pageerror', (error) => errors.push(error.message));
    try {
      await page.goto(`${backendUrl}/`);
      const sdk = serverSdk(server, server.app, { encryptionMasterKeyBase64: masterKey });
      const deadline = Date.now() + 30_000;
      while (!logged.some((values) => values.some((v) => JSON.stringify(v) === JSON.stringify(ORDER)))) {
        assert.ok(Date.now() < deadline && errors.length === 0, `nothing decrypted; ${errors.join('; ')}`);
        await sdk.trigger(CHANNEL, 'order.shipped', ORDER);
        await new Promise((resolve) => setTimeout(resolve, 300));
      }
    } finally {
      await page.close();
    }
  }

  test("README: the pusher-js snippet, bundled for a page, decrypts through the backend's auth endpoint", async () => {
    const code = pointAt(block(README_CONNECT).code, server, masterKey);
    const bundle = await build({
      stdin: { contents: code, resolveDir: repoRoot, loader: 'js' },
      bundle: true,
      platform: 'browser',
      format: 'iife',
      write: false,
      logLevel: 'silent',
    });
    routes.set('/main.js', { type: 'text/javascript', body: bundle.outputFiles[0]!.text });
    authOnly = false;
    await pageDecrypts('<!doctype html><script src="/main.js"></script>');
  });

  test("client-helper.md: the product page's snippet with /js/mawjly.js, the endpoint returning only auth", async () => {
    const code = pointAt(block(HELPER_PRODUCT_SNIPPET).code, server, masterKey);
    authOnly = true;
    try {
      await pageDecrypts(
        `<!doctype html><script src="${server.url}/js/mawjly.js"></script><script>${code}</script>`,
      );
    } finally {
      authOnly = false;
    }
  });

  async function runNode(
    name: string,
    code: string,
    env: NodeJS.ProcessEnv,
  ): Promise<{ code: number | null; out: string; err: string }> {
    await writeFile(`${scratch}${name}`, code);
    const child = spawnLines(process.execPath, [`${scratch}${name}`], {
      cwd: scratch,
      env: { PATH: process.env.PATH, ...env },
    });
    const exit = await child.exited;
    return { code: exit, out: child.lines.join('\n'), err: child.stderr() };
  }

  test('README: the pusher SDK snippet publishes an encrypted event a subscriber decrypts', async () => {
    const code = pointAt(block(README_PUBLISH).code, server, masterKey);
    const subscriber = clientSdk(server, server.app, { masterKeyBase64: masterKey });
    try {
      const received: unknown[] = [];
      const channel = subscriber.subscribe(CHANNEL);
      await new Promise<void>((resolve, reject) => {
        channel.bind('pusher:subscription_succeeded', () => {
          resolve();
        });
        channel.bind('pusher:subscription_error', (error: unknown) => {
          reject(new Error(JSON.stringify(error)));
        });
      });
      channel.bind('order.shipped', (data: unknown) => received.push(data));
      const run = await runNode('publish.mjs', code, { MAWJLY_ENCRYPTION_KEY: masterKey });
      assert.equal(run.code, 0, run.err);
      const deadline = Date.now() + 10_000;
      while (received.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      assert.deepEqual(received, [ORDER]);
    } finally {
      subscriber.disconnect();
    }
  });

  test('README: MAWJLY_ENCRYPTION_KEY unset or empty gives the documented refusal, not a key-length error', async () => {
    const readme = await readFile(`${repoRoot}README.md`, 'utf8');
    const documented = 'Set encryptionMasterKey before triggering events on encrypted channels';
    assert.ok(readme.includes(documented));
    const code = pointAt(block(README_PUBLISH).code, server, masterKey);
    for (const env of [{}, { MAWJLY_ENCRYPTION_KEY: '' }]) {
      const run = await runNode('publish-without-key.mjs', code, env);
      assert.notEqual(run.code, 0);
      assert.ok(run.err.includes(documented), `${JSON.stringify(env)}: ${run.err}`);
      assert.doesNotMatch(run.err, /decodes to 0 bytes/);
    }
  });

  describe('docs/migrating-from-pusher.md, against a server with TLS', () => {
    let tlsServer: TestServer;
    const certificate = makeSelfSignedCertificate();
    before(async () => {
      tlsServer = await startTestServer({
        config: { tlsCert: certificate.certFile, tlsKey: certificate.keyFile },
      });
    });
    after(async () => {
      await tlsServer.close();
      certificate.remove();
    });
    const trust = (): NodeJS.ProcessEnv => ({ NODE_EXTRA_CA_CERTS: certificate.certFile });

    test('the pusher-js options connect over wss', async () => {
      const code = `import Pusher from 'pusher-js';\n${pointAt(block(MIGRATING_PUSHER_JS).code, tlsServer, masterKey)}
pusher.connection.bind('connected', () => { console.log('connected'); pusher.disconnect(); });
pusher.connection.bind('failed', () => { console.log('failed'); process.exit(1); });\n`;
      const run = await runNode('migrating-pusher-js.mjs', code, trust());
      assert.equal(run.out, 'connected', run.err);
    });

    test('the pusher SDK options publish over https', async () => {
      const code = `import Pusher from 'pusher';\n${pointAt(block(MIGRATING_SDK).code, tlsServer, masterKey)}
const response = await pusher.trigger('orders', 'order.shipped', { orderId: '12345' });
console.log(response.status);\n`;
      const run = await runNode('migrating-sdk.mjs', code, trust());
      assert.equal(run.out, '200', run.err);
    });
  });
});
