import assert from 'node:assert/strict';
import { test } from 'node:test';
import { originAllowed } from './origin.js';

test('origin rules: *, exact entries, host wildcards, non-browser clients', () => {
  assert.equal(originAllowed(['*'], 'https://evil.example'), true);
  assert.equal(originAllowed(['https://app.example.com'], 'https://app.example.com'), true);
  assert.equal(originAllowed(['https://app.example.com'], 'https://app.example.com.evil.io'), false);
  assert.equal(originAllowed(['https://*.example.com'], 'https://shop.example.com'), true);
  assert.equal(originAllowed(['https://*.example.com'], 'https://example.com'), false);
  assert.equal(originAllowed(['https://*.example.com'], 'https://a.b/c.example.com'), false);
  assert.equal(originAllowed(['https://*.example.com'], 'http://shop.example.com'), false);
  assert.equal(originAllowed([], 'https://app.example.com'), false);
  assert.equal(originAllowed([], undefined), true, 'no Origin header: not a browser');
});
