// The published shape of @mawjly/client, as a customer gets it: `npm pack` the workspace package,
// install the tarball into a fresh project in a temporary directory outside the repository, then run
// the package README's snippets there, the Node ones with node (ESM and CommonJS), the browser ones
// in Chromium (the bundler import through esbuild, and the <script> build, served by Mawjly and
// self-hosted from the package), and type-check a TypeScript consumer. All against a real server.
//
// Offline and fast: pusher-js and tweetnacl are packed from this repository's node_modules and
// installed beside the package tarball with `npm install --offline`.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import type { Browser } from 'playwright-core';
import { launchChromium } from '../support/browser.js';
import { spawnLines } from '../support/child-process.js';
import { clientPackageDir, repoRoot } from '../support/client-build.js';
import { channelOccupied, serverSdk, startTestServer, type TestServer } from '../support/server.js';
import { waitUntil } from '../support/wait.js';

const run = promisify(execFile);
const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const CHANNEL = 'private-encrypted-orders.42';
const ORDER = { orderId: '12345', trackingNumber: 'PII_HERE' };

/** The ```lang blocks of a Markdown text. */
function codeBlocks(markdown: string, lang: string): string[] {
  return [...markdown.matchAll(/^```(\w*)\n([\s\S]*?)^```$/gm)]
    .filter((match) => match[1] === lang)
    .map((match) => match[2]!);
}

/** The one block of the README whose first line is `// name…`. */
function snippet(markdown: string, lang: string, firstLine: RegExp): string {
  const found = codeBlocks(markdown, lang).filter((block) => firstLine.test(block.split('\n')[0]!));
  assert.equal(found.length, 1, `the README has one ${lang} block starting with ${String(firstLine)}`);
  return found[0]!;
}

/** A browser snippet pointed at the test server: the README's literal values, substituted. */
function pointAt(code: string, server: TestServer): string {
  const replaced = code
    .replaceAll('YOUR_APP_KEY', server.app.key)
    .replaceAll('http://127.0.0.1:6001', server.url)
    .replaceAll("wsHost: '127.0.0.1'", `wsHost: '${server.host}'`)
    .replaceAll('wsPort: 6001', `wsPort: ${String(server.port)}`)
    .replaceAll('wssPort: 6001', `wssPort: ${String(server.port)}`);
  assert.ok(!/6001|YOUR_/.test(replaced), `a value of the snippet was not substituted:\n${replaced}`);
  return replaced;
}

async function npm(args: string[], cwd: string): Promise<string> {
  try {
    const { stdout } = await run(NPM, args, { cwd, maxBuffer: 16 * 1024 * 1024 });
    return stdout;
  } catch (error) {
    const failure = error as { stderr?: string; stdout?: string };
    throw new Error(`npm ${args.join(' ')} failed:\n${failure.stderr ?? ''}${failure.stdout ?? ''}`, {
      cause: error,
    });
  }
}

/** `npm pack --json` of a directory; prepack scripts print before the JSON. */
async function pack(dir: string, destination: string): Promise<{ filename: string; files: string[] }> {
  const out = await npm(['pack', '--json', '--pack-destination', destination], dir);
  const [result] = JSON.parse(out.slice(out.indexOf('\n[') + 1)) as [
    { filename: string; files: { path: string }[] },
  ];
  return { filename: join(destination, result.filename), files: result.files.map((f) => f.path).sort() };
}

/** Whether the server has a subscriber on CHANNEL, asked over its REST API. */
function occupied(server: TestServer): Promise<boolean> {
  return channelOccupied(serverSdk(server, server.app), CHANNEL);
}

/** Before a client starts: the previous test's client has left CHANNEL. */
async function channelVacated(server: TestServer): Promise<void> {
  await waitUntil(async () => !(await occupied(server)), `${CHANNEL} to be vacated`, 10_000, 100);
}

/**
 * Publishes one encrypted event once the client has subscribed (the server says CHANNEL is
 * occupied, and it was vacant before the client started), then waits until the client printed it.
 * One event, sent after the subscription: a client that misses it fails, rather than being sent
 * another.
 */
async function publishOnceSubscribed(
  server: TestServer,
  masterKey: string,
  received: () => boolean,
): Promise<void> {
  await waitUntil(() => occupied(server), `the client to subscribe to ${CHANNEL}`, 30_000, 100);
  const sdk = serverSdk(server, server.app, { encryptionMasterKeyBase64: masterKey });
  await sdk.trigger(CHANNEL, 'order.shipped', ORDER);
  await waitUntil(received, 'the client to print the decrypted event', 20_000);
}

describe('@mawjly/client installed from its npm pack tarball', { concurrency: false }, () => {
  let project: string;
  let readme: string;
  let packed: string[];
  let server: TestServer;
  let masterKey: string;
  before(async () => {
    project = await mkdtemp(join(tmpdir(), 'mawjly-client-package-'));
    assert.ok(!project.startsWith(repoRoot), 'the fresh project lives outside the repository');
    const tarballs = join(project, 'tarballs');
    const app = join(project, 'app');
    await mkdir(tarballs);
    await mkdir(app);
    const client = await pack(clientPackageDir, tarballs);
    packed = client.files;
    const pusherJs = await pack(`${repoRoot}node_modules/pusher-js`, tarballs);
    const tweetnacl = await pack(`${repoRoot}node_modules/tweetnacl`, tarballs);
    await writeFile(join(app, 'package.json'), '{"name":"customer-app","private":true}\n');
    await npm(
      [
        'install',
        '--offline',
        '--no-audit',
        '--no-fund',
        '--ignore-scripts',
        client.filename,
        pusherJs.filename,
        tweetnacl.filename,
      ],
      app,
    );
    project = app;
    readme = await readFile(join(app, 'node_modules/@mawjly/client/README.md'), 'utf8');
    server = await startTestServer();
    masterKey = randomBytes(32).toString('base64');
  });
  after(async () => {
    await server.close();
    await rm(join(project, '..'), { recursive: true, force: true });
  });

  test('the tarball holds the builds, the types and the README, and nothing else', async () => {
    assert.deepEqual(packed, [
      'README.md',
      'dist/browser.mjs',
      'dist/index.cjs',
      'dist/index.d.cts',
      'dist/index.d.ts',
      'dist/index.mjs',
      'dist/mawjly.js',
      'package.json',
    ]);
    const manifest = JSON.parse(
      await readFile(join(project, 'node_modules/@mawjly/client/package.json'), 'utf8'),
    ) as { version: string; dependencies: Record<string, string> };
    assert.match(manifest.version, /^\d+\.\d+\.\d+(-[\w.]+)?$/, 'a semver version');
    assert.deepEqual(Object.keys(manifest.dependencies), ['pusher-js']);
  });

  const nodeSnippets = [
    { name: 'ESM', file: 'subscriber.mjs', firstLine: /^\/\/ subscriber\.mjs/ },
    { name: 'CommonJS', file: 'subscriber.cjs', firstLine: /^\/\/ subscriber\.cjs/ },
  ];
  for (const { name, file, firstLine } of nodeSnippets) {
    test(`the README's Node ${name} snippet decrypts an encrypted channel`, async () => {
      await writeFile(join(project, file), snippet(readme, 'js', firstLine));
      // The CommonJS snippet uses an auth endpoint that returns only `auth`, as one without the key would.
      const endpoint = createServer((req, res) => {
        let body = '';
        req.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
        req.on('end', () => {
          const form = new URLSearchParams(body);
          const signature = createHmac('sha256', server.app.secrets[0]!)
            .update(`${form.get('socket_id') ?? ''}:${form.get('channel_name') ?? ''}`)
            .digest('hex');
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ auth: `${server.app.key}:${signature}` }));
        });
      });
      await new Promise<void>((resolve) => endpoint.listen(0, '127.0.0.1', resolve));
      await channelVacated(server);
      const child = spawnLines(process.execPath, [file], {
        cwd: project,
        env: {
          PATH: process.env.PATH,
          MAWJLY_HOST: server.host,
          MAWJLY_PORT: String(server.port),
          MAWJLY_APP_KEY: server.app.key,
          MAWJLY_APP_SECRET: server.app.secrets[0],
          MAWJLY_ENCRYPTION_KEY: masterKey,
          AUTH_ENDPOINT: `http://127.0.0.1:${String((endpoint.address() as AddressInfo).port)}/auth`,
        },
      });
      try {
        await publishOnceSubscribed(server, masterKey, () => child.lines.length > 0);
        assert.equal(child.lines[0], `order.shipped ${JSON.stringify(ORDER)}`, child.stderr());
      } finally {
        await child.stop();
        endpoint.close();
      }
    });
  }

  test('TypeScript consumers get the types, with import (ESM) and with require (CommonJS)', async () => {
    await writeFile(
      join(project, 'consumer.mts'),
      `import Pusher, { deriveSharedSecret, type MawjlyOptions } from '@mawjly/client';
const options: MawjlyOptions = { cluster: 'sa', encryptionMasterKeyBase64: 'x' };
const pusher: Pusher = new Pusher('key', options);
pusher.subscribe('private-encrypted-a').bind('e', (data: unknown) => data);
const secret: string = deriveSharedSecret('private-encrypted-a', new Uint8Array(32));
// @ts-expect-error the option is a string
new Pusher('key', { cluster: 'sa', encryptionMasterKeyBase64: 42 });
export { secret };
`,
    );
    await writeFile(
      join(project, 'consumer.cts'),
      `import Pusher = require('@mawjly/client');
const pusher: Pusher.MawjlyPusher = new Pusher('key', { cluster: 'sa', wsPort: 6001, wssPort: 6001 });
const same: Pusher.MawjlyPusher = new Pusher.default('key', { cluster: 'sa' });
const secret: string = Pusher.deriveSharedSecret('private-encrypted-a', new Uint8Array(32));
export = { pusher, same, secret };
`,
    );
    await run(
      process.execPath,
      [
        `${repoRoot}node_modules/typescript/bin/tsc`,
        '--noEmit',
        '--strict',
        '--module',
        'nodenext',
        '--moduleResolution',
        'nodenext',
        '--target',
        'es2022',
        'consumer.mts',
        'consumer.cts',
      ],
      { cwd: project },
    ).catch((error: unknown) => {
      throw new Error(`tsc failed:\n${String((error as { stdout?: string }).stdout)}`, { cause: error });
    });
  });

  describe('in Chromium', { concurrency: false }, () => {
    let browser: Browser;
    let backend: Server;
    let backendUrl: string;
    // What the customer's backend serves: the page, its bundle, the self-hosted script and the auth endpoint.
    const routes = new Map<string, { type: string; body: string | Buffer }>();
    before(async () => {
      browser = await launchChromium();
      const sdk = serverSdk(server, server.app, { encryptionMasterKeyBase64: masterKey });
      backend = createServer((req, res) => {
        if (req.method === 'POST' && req.url === '/broadcasting/auth') {
          let body = '';
          req.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
          req.on('end', () => {
            const form = new URLSearchParams(body);
            const auth = sdk.authorizeChannel(form.get('socket_id') ?? '', form.get('channel_name') ?? '');
            res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(auth));
          });
          return;
        }
        const route = routes.get(req.url ?? '');
        if (route) res.writeHead(200, { 'content-type': route.type }).end(route.body);
        else res.writeHead(404).end();
      });
      await new Promise<void>((resolve) => backend.listen(0, '127.0.0.1', resolve));
      backendUrl = `http://127.0.0.1:${String((backend.address() as AddressInfo).port)}`;
      routes.set('/mawjly.js', {
        type: 'text/javascript',
        body: await readFile(join(project, 'node_modules/@mawjly/client/dist/mawjly.js')),
      });
    });
    after(async () => {
      await browser.close();
      backend.close();
    });

    async function decryptsInPage(html: string): Promise<void> {
      routes.set('/', { type: 'text/html', body: html });
      const page = await browser.newPage();
      const logged: string[] = [];
      page.on('console', (message) => {
        // A missing favicon is the only other console line a page gets.
        if (!message.text().startsWith('Failed to load resource')) logged.push(message.text());
      });
      page.on('pageerror', (error) => logged.push(`pageerror ${error.message}`));
      try {
        await channelVacated(server);
        await page.goto(`${backendUrl}/`);
        await publishOnceSubscribed(server, masterKey, () =>
          logged.some((line) => line.startsWith('order.shipped')),
        );
        // The one event, decrypted, and nothing else (no error, no undecrypted payload).
        assert.deepEqual(logged, [`order.shipped ${JSON.stringify(ORDER)}`], logged.join('\n'));
      } finally {
        await page.close();
      }
    }

    test("the README's bundler snippet, bundled from the installed package", async () => {
      const code = pointAt(snippet(readme, 'js', /^\/\/ main\.js/), server);
      await writeFile(join(project, 'main.js'), code);
      const bundle = await build({
        entryPoints: [join(project, 'main.js')],
        absWorkingDir: project,
        bundle: true,
        platform: 'browser',
        format: 'iife',
        write: false,
        logLevel: 'silent',
        metafile: true,
      });
      const inputs = Object.keys(bundle.metafile.inputs);
      assert.ok(inputs.includes('node_modules/@mawjly/client/dist/browser.mjs'), inputs.join('\n'));
      assert.ok(
        inputs.includes('node_modules/pusher-js/dist/web/pusher-with-encryption.js'),
        inputs.join('\n'),
      );
      routes.set('/main.js', { type: 'text/javascript', body: bundle.outputFiles[0]!.text });
      await decryptsInPage('<!doctype html><script src="/main.js"></script>');
    });

    test("the encrypted-channels doc's bundler snippet: stock pusher-js/with-encryption", async () => {
      const doc = await readFile(`${repoRoot}docs/encrypted-channels.md`, 'utf8');
      await writeFile(join(project, 'stock.js'), pointAt(snippet(doc, 'js', /^\/\/ main\.js/), server));
      const bundle = await build({
        entryPoints: [join(project, 'stock.js')],
        absWorkingDir: project,
        bundle: true,
        platform: 'browser',
        format: 'iife',
        write: false,
        logLevel: 'silent',
      });
      routes.set('/main.js', { type: 'text/javascript', body: bundle.outputFiles[0]!.text });
      await decryptsInPage('<!doctype html><script src="/main.js"></script>');
    });

    test("the encrypted-channels doc's <script> snippet: /js/pusher-with-encryption.min.js served by Mawjly", async () => {
      const doc = await readFile(`${repoRoot}docs/encrypted-channels.md`, 'utf8');
      const html = pointAt(snippet(doc, 'html', /^<script src=/), server);
      assert.match(html, /\/js\/pusher-with-encryption\.min\.js/);
      await decryptsInPage(`<!doctype html>\n${html}`);
    });

    const scriptTags = [
      { name: 'served by Mawjly at /js/mawjly.js', src: (html: string) => html },
      {
        name: 'self-hosted from the package (@mawjly/client/mawjly.js)',
        src: (html: string) => html.replace(`${server.url}/js/mawjly.js`, '/mawjly.js'),
      },
    ];
    for (const { name, src } of scriptTags) {
      test(`the README's <script> snippet, ${name}`, async () => {
        const html = pointAt(snippet(readme, 'html', /^<script src=/), server);
        await decryptsInPage(`<!doctype html>\n${src(html)}`);
      });
    }
  });
});
