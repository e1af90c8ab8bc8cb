import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import { test } from 'node:test';
import fc from 'fast-check';
import type { App } from '../../../core/app.js';
import type { AppDirectory } from '../../../core/ports/app-directory.js';
import { MawjlyError } from '../../../protocol/errors.js';
import { parseQuery } from './api-target.js';
import { authenticateRequest } from './authenticate.js';

// authenticateRequest reads a query already in canonical form straight from its text, and any
// other query pair by pair. Both readings must agree on every query: the same app, or the same
// error. The queries are built to land on both sides: canonical ones as the SDKs send them, and
// every way of leaving that form (capitals, repeats, disorder, empty parts, names without `=`).

const APP = { id: '42', key: 'the-key', secrets: ['s1', 's2'] } as unknown as App;
const directory = { findById: (id: string) => (id === APP.id ? APP : undefined) } as AppDirectory;
const NOW_MS = 1_700_000_000_000;
const PATH = '/apps/42/events';
const BODY = Buffer.from('{"name":"e","channel":"c","data":"d"}');
const BODY_MD5 = createHash('md5').update(BODY).digest('hex');

/** The outcome of one reading: the app's id, or the error code. */
function outcome(query: string, plain: boolean): string {
  try {
    const target = { query: parseQuery(query), plainQuery: plain ? query : undefined };
    return `app ${authenticateRequest(directory, APP.id, { method: 'POST', path: PATH, target, body: BODY }, NOW_MS).id}`;
  } catch (error) {
    if (error instanceof MawjlyError) return `error ${error.code}`;
    throw error;
  }
}

/** The signature of the pairs as PROTOCOL.md §7.2 canonicalises them (the test's own reading). */
function signatureOf(pairs: readonly (readonly [string, string])[], secret: string): string {
  const byName = new Map<string, string>();
  for (const [name, value] of pairs) byName.set(name.toLowerCase(), value);
  byName.delete('auth_signature');
  const canonical = [...byName.keys()]
    .sort()
    .map((name) => `${name}=${byName.get(name) ?? ''}`)
    .join('&');
  return createHmac('sha256', secret).update(`POST\n${PATH}\n${canonical}`).digest('hex');
}

const names = fc.constantFrom(
  'auth_key',
  'auth_timestamp',
  'auth_version',
  'body_md5',
  'auth_signature',
  'info',
  'a',
  'zz',
  'AUTH_KEY',
  'Body_md5',
  'auth_Signature',
);

const value = fc.oneof(
  fc.constantFrom('the-key', String(NOW_MS / 1000), '1.0', BODY_MD5, 'x', '', 'a=b', 'THE-KEY'),
  fc.string({ unit: fc.constantFrom('a', '0', '-', '.', '='), maxLength: 6 }),
);

const query = fc
  .record({
    extra: fc.array(fc.tuple(names, value), { maxLength: 3 }),
    keep: fc.oneof(
      { weight: 3, arbitrary: fc.constant(['auth_key', 'auth_timestamp', 'auth_version', 'body_md5']) },
      { weight: 1, arbitrary: fc.subarray(['auth_key', 'auth_timestamp', 'auth_version', 'body_md5']) },
    ),
    sort: fc.boolean(),
    signature: fc.constantFrom('right', 'wrong', 'second-secret', 'none', 'twice'),
    signatureAt: fc.nat(8),
    oddPart: fc.constantFrom(undefined, undefined, undefined, '', 'flag', '=v', 'auth_version'),
  })
  .map(({ extra, keep, sort, signature, signatureAt, oddPart }) => {
    const base: Record<string, string> = {
      auth_key: 'the-key',
      auth_timestamp: String(NOW_MS / 1000),
      auth_version: '1.0',
      body_md5: BODY_MD5,
    };
    const pairs = (keep as string[]).map((name): [string, string] => [name, base[name] ?? '']);
    for (const [name, v] of extra) pairs.push([name, v]);
    if (sort) pairs.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    const secret = signature === 'second-secret' ? 's2' : 's1';
    const given = signature === 'wrong' ? '0'.repeat(64) : signatureOf(pairs, secret);
    if (signature !== 'none') pairs.splice(Math.min(signatureAt, pairs.length), 0, ['auth_signature', given]);
    if (signature === 'twice') pairs.push(['auth_signature', given]);
    let text = pairs.map(([name, v]) => `${name}=${v}`).join('&');
    if (oddPart !== undefined) text = signatureAt % 2 === 0 ? `${oddPart}&${text}` : `${text}&${oddPart}`;
    return text;
  });

test('a query read from its text and read pair by pair gives the same app or the same error', () => {
  let accepted = 0;
  fc.assert(
    fc.property(query, (text) => {
      const general = outcome(text, false);
      assert.equal(outcome(text, true), general, text);
      if (general.startsWith('app')) accepted++;
    }),
    { numRuns: 20_000 },
  );
  // The property is only worth something if signed queries, not just refusals, were compared.
  assert.ok(accepted > 1000, `only ${accepted} accepted queries`);
});

test('an SDK-shaped query, the signature last, first or between, is accepted either way', () => {
  const pairs: [string, string][] = [
    ['auth_key', 'the-key'],
    ['auth_timestamp', String(NOW_MS / 1000)],
    ['auth_version', '1.0'],
    ['body_md5', BODY_MD5],
  ];
  const signature = ['auth_signature', signatureOf(pairs, 's1')] as const;
  for (let at = 0; at <= pairs.length; at++) {
    const withSignature = [...pairs];
    withSignature.splice(at, 0, [...signature]);
    const text = withSignature.map(([name, v]) => `${name}=${v}`).join('&');
    assert.equal(outcome(text, true), 'app 42', text);
    assert.equal(outcome(text, false), 'app 42', text);
  }
  const tampered = `auth_key=the-key&auth_timestamp=${String(NOW_MS / 1000)}&auth_version=1.1&body_md5=${BODY_MD5}&auth_signature=${signature[1]}`;
  assert.equal(outcome(tampered, true), 'error auth_signature_invalid');
});
