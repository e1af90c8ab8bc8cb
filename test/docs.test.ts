import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { renderErrorsDoc } from '../scripts/errors-doc.js';

test('docs/errors.md is generated from the current error catalogue', () => {
  const committed = readFileSync(new URL('../docs/errors.md', import.meta.url), 'utf8');
  assert.equal(committed, renderErrorsDoc(), 'docs/errors.md is stale: run `npm run docs:errors`');
});
