import assert from 'node:assert/strict';
import { test } from 'node:test';
import { COUNT_THROTTLE_THRESHOLD, SubscriptionCountThrottle } from './subscription-count-throttle.js';

test('small channels get every count; large ones at most once per interval, with a trailing send', async () => {
  const throttle = new SubscriptionCountThrottle({ now: () => Date.now() }, 100);
  const sends: boolean[] = [];
  const send = (trailing: boolean): void => {
    sends.push(trailing);
  };
  for (let n = 1; n <= 5; n++) throttle.changed('small', n, send);
  assert.deepEqual(sends, [false, false, false, false, false]);

  sends.length = 0;
  const big = COUNT_THROTTLE_THRESHOLD + 1;
  throttle.changed('big', big, send);
  throttle.changed('big', big + 1, send);
  throttle.changed('big', big + 2, send);
  assert.deepEqual(sends, [false], 'the first change goes out at once, the next two are held');
  await new Promise((resolve) => setTimeout(resolve, 160));
  assert.deepEqual(sends, [false, true], 'one trailing send carries the latest count');
  throttle.close();
});
