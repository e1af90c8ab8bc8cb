import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import WebSocket from 'ws';
import { DEFAULT_PLANS } from '../src/core/app.js';
import { ERRORS, type ErrorCode } from '../src/protocol/errors.js';
import { catalogueMessages, docMessage, renderErrorsDoc } from '../scripts/errors-doc.js';
import { anonymous, findErrorMessages } from './support/error-messages.js';
import { startTestServer } from './support/server.js';

const root = new URL('../', import.meta.url);
const read = (path: string): string => readFileSync(new URL(path, root), 'utf8');
const errorsDoc = read('docs/errors.md');
const CODES = Object.keys(ERRORS) as ErrorCode[];

/** Does `message` (a message the server sent) fit the template (`{name}` = any value)? */
function fits(template: string, message: string): boolean {
  const pattern = template
    .split(/\{[a-z_]+\}/)
    .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('.+');
  return new RegExp(`^${pattern}$`, 's').test(message);
}

// Call sites whose message is built at run time from more than literals; each has its template in
// src/protocol/error-details.ts (checked below).
const DYNAMIC_SITES: Record<string, string> = {
  'src/management/validation.ts validation_failed':
    '{field}: {problem} (one per invalid field, joined with "; ")',
  'src/storage/store-errors.ts database_unavailable': 'Cannot connect to PostgreSQL at {target}: {reason}',
};

describe('docs/errors.md', () => {
  test('is generated from the current error catalogue', () => {
    assert.equal(errorsDoc, renderErrorsDoc(), 'docs/errors.md is stale: run `npm run docs:errors`');
  });

  test('shows every message of every catalogue code verbatim', () => {
    for (const code of CODES) {
      const row = errorsDoc.split('\n').find((line) => line.startsWith(`| \`${code}\` |`));
      assert.ok(row, `docs/errors.md has no row for ${code}`);
      for (const message of catalogueMessages(code))
        assert.ok(row.includes(docMessage(message)), `${code}: "${message}" is not in docs/errors.md`);
    }
  });

  test('every message the server source sends with a code is one of that code’s documented messages', () => {
    const { found, unresolved } = findErrorMessages(new URL('src', root).pathname, new Set(CODES));
    assert.ok(found.length > 50, `the scan found only ${String(found.length)} messages`);
    const missing = found
      .filter(
        ({ code, template }) =>
          !catalogueMessages(code as ErrorCode)
            .map(anonymous)
            .includes(template),
      )
      .map(({ code, named, where }) => `${where} ${code}: '${named}'`);
    assert.deepEqual(missing, [], 'add these to src/protocol/error-details.ts, then `npm run docs:errors`');
    const sites = unresolved.map((line) => line.replace(/:\d+ /, ' ').replace(/:.*$/, ''));
    assert.deepEqual(
      sites.filter((site) => !(site in DYNAMIC_SITES)),
      [],
      `messages built at run time: document their template and list them in DYNAMIC_SITES:\n${unresolved.join('\n')}`,
    );
    for (const [site, template] of Object.entries(DYNAMIC_SITES)) {
      const code = site.split(' ')[1] as ErrorCode;
      assert.ok(catalogueMessages(code).includes(template), `${site}: "${template}" is not documented`);
    }
  });

  test('a refused WebSocket (unknown app key, 4001) gets a documented message, verbatim', async () => {
    const server = await startTestServer();
    try {
      const socket = new WebSocket(`ws://${server.host}:${String(server.port)}/app/no-such-key?protocol=7`);
      const [frame, close] = await Promise.all([
        new Promise<{ event: string; data: { code: number; message: string } }>((resolve) =>
          socket.once('message', (data: Buffer) => {
            resolve(
              JSON.parse(data.toString()) as { event: string; data: { code: number; message: string } },
            );
          }),
        ),
        new Promise<{ code: number; reason: string }>((resolve) =>
          socket.once('close', (code, reason) => {
            resolve({ code, reason: reason.toString() });
          }),
        ),
      ]);
      assert.equal(frame.event, 'pusher:error');
      assert.equal(frame.data.code, 4001);
      assert.equal(close.code, 4001);
      assert.equal(close.reason, frame.data.message);
      const documented = catalogueMessages('app_not_found').filter((template) =>
        fits(template, frame.data.message),
      );
      assert.deepEqual(documented, ['App key {app_key} does not exist']);
      assert.ok(errorsDoc.includes(docMessage(documented[0]!)));
    } finally {
      await server.close();
    }
  });
});

test('the error examples of docs/management-api.md are messages the server sends with that code', () => {
  const doc = read('docs/management-api.md');
  const examples = [...doc.matchAll(/"code":\s*"(\w+)",\s*"message":\s*"((?:[^"\\]|\\.)*)"/g)];
  assert.ok(examples.length > 0, 'docs/management-api.md shows an error example');
  for (const [, code, raw] of examples) {
    assert.ok(CODES.includes(code as ErrorCode), `unknown code ${code!}`);
    const message = JSON.parse(`"${raw!}"`) as string;
    assert.ok(
      catalogueMessages(code as ErrorCode).some((template) => fits(template, message)),
      `"${message}" is not a message the server sends with ${code!}: ${catalogueMessages(code as ErrorCode).join(' | ')}`,
    );
  }
});

test('the docs stand alone: no document points to PRODUCT.md', () => {
  const docs = ['README.md', 'examples/README.md', 'packages/client/README.md'].concat(
    readdirSync(new URL('docs', root))
      .filter((name) => name.endsWith('.md'))
      .map((name) => `docs/${name}`),
  );
  const pointing = docs.filter((path) => /PRODUCT\.md/.test(read(path)));
  assert.deepEqual(pointing, []);
});

test('docs/configuration.md lists the default plan table the server uses', () => {
  const doc = read('docs/configuration.md');
  for (const plan of Object.values(DEFAULT_PLANS)) {
    const row = doc.split('\n').find((line) => line.startsWith(`| \`${plan.name}\``));
    assert.ok(row, `no row for the ${plan.name} plan`);
    const cells = row
      .split('|')
      .slice(2, -1)
      .map((cell) => cell.trim());
    const expected = [
      plan.maxConnections,
      plan.maxMessagesPerDay,
      plan.maxApps,
      plan.maxPresenceMembers,
      plan.maxWebhookEndpoints,
      plan.clientEvents,
      plan.encryptedChannels,
      plan.history && `${plan.history.maxEvents} / ${plan.history.maxAgeSeconds} s`,
    ].map((value) => (value === null ? 'null' : String(value)));
    assert.deepEqual(cells, expected, `the ${plan.name} row`);
  }
});
