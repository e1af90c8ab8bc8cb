import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { generateSocketId, isSocketId } from './socket-id.js';

// The shape pusher-http-node's validateSocketId requires (PROTOCOL.md §1.2).
const SDK_SHAPE = /^\d+\.\d+$/;

describe('generateSocketId', () => {
  test('always has the \\d+.\\d+ shape and passes isSocketId', () => {
    for (let i = 0; i < 5000; i++) {
      const id = generateSocketId();
      assert.match(id, SDK_SHAPE);
      assert.equal(isSocketId(id), true, id);
    }
  });

  test('ids do not repeat', () => {
    const ids = new Set(Array.from({ length: 5000 }, generateSocketId));
    assert.equal(ids.size, 5000);
  });

  test('both parts are safe integers without leading zeros', () => {
    for (let i = 0; i < 1000; i++) {
      for (const part of generateSocketId().split('.')) {
        assert.ok(Number.isSafeInteger(Number(part)), part);
        assert.equal(String(Number(part)), part);
      }
    }
  });
});

describe('isSocketId', () => {
  test('accepts the shapes seen on the wire', () => {
    for (const ok of ['1234.5678', '1234.1234', '1677674.4468990', '0.0', '1.2'])
      assert.equal(isSocketId(ok), true, ok);
  });

  test('rejects every other shape', () => {
    const bad = [
      '',
      '1234',
      '1234.',
      '.5678',
      '.',
      '1.2.3',
      '1234,5678',
      '1234-5678',
      'a.b',
      '12a4.5678',
      '-1.2',
      '+1.2',
      '1.2e3',
      ' 1.2',
      '1.2 ',
      '1.2\n',
      '\n1.2',
      '１.２', // full-width digits
      '٣.٤', // Arabic-Indic digits
      `${'1'.repeat(40)}.${'1'.repeat(40)}`, // longer than 64
    ];
    for (const value of bad) assert.equal(isSocketId(value), false, JSON.stringify(value));
  });

  test('rejects non-strings', () => {
    for (const value of [undefined, null, 1.2, 12, {}, ['1.2'], true]) assert.equal(isSocketId(value), false);
  });
});
