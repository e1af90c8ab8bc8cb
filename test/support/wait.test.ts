// waitUntil: resolves once the check holds, fails naming what it waited for, and is not held by a
// check that never settles.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { waitUntil } from './wait.js';

test('waitUntil resolves once the check holds', async () => {
  let calls = 0;
  await waitUntil(() => ++calls >= 3, 'three calls', 2_000, 5);
  assert.equal(calls, 3);
});

test('waitUntil fails naming what it waited for once the time is up', async () => {
  const began = Date.now();
  await assert.rejects(
    waitUntil(() => Promise.resolve(false), 'the sky to fall', 200, 10),
    {
      message: 'timed out after 200 ms waiting until the sky to fall',
    },
  );
  assert.ok(Date.now() - began < 1_000);
});

test('a check that never settles fails the wait within twice its time, saying so', async () => {
  const began = Date.now();
  await assert.rejects(
    waitUntil(() => new Promise<boolean>(() => undefined), 'a hung child', 200, 10),
    { message: 'timed out after 200 ms waiting until a hung child (a check hung)' },
  );
  const took = Date.now() - began;
  assert.ok(took >= 350 && took < 1_500, `took ${String(took)} ms`);
});

test('a slow check begun before the deadline may finish after it', async () => {
  let calls = 0;
  await waitUntil(
    () =>
      new Promise<boolean>((resolve) =>
        setTimeout(() => {
          resolve(++calls === 2);
        }, 150),
      ),
    'the second slow call',
    200,
    10,
  );
  assert.equal(calls, 2);
});
