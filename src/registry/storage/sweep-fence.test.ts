// The fence between the collector and pushes: skips, waits, held uploads, bounded memory.

import { mock, test } from 'node:test';
import assert from 'node:assert/strict';
import { SweepFence } from './sweep-fence.js';

test('a digest used since the cutoff is not deleted; one unused is, and a push relying on it meanwhile waits for the deletion', async () => {
  const fence = new SweepFence();
  const cutoff = Date.now() - 1000;
  await fence.use(['sha256:used']);
  assert.equal(await fence.deleteUnused('sha256:used', cutoff, async () => assert.fail('must not delete') as boolean), false);

  const order: string[] = [];
  let finish!: () => void;
  const deleting = fence.deleteUnused('sha256:unused', cutoff, () => new Promise<void>((r) => (finish = r)).then(() => order.push('deleted') > 0));
  const using = fence.use(['sha256:unused']).then(() => void order.push('used'));
  await new Promise((r) => setTimeout(r, 20));
  assert.deepEqual(order, []);
  finish();
  assert.equal(await deleting, true);
  await using;
  assert.deepEqual(order, ['deleted', 'used']);
});

test('an upload is held by one side at a time', () => {
  const fence = new SweepFence();
  assert.equal(fence.holdUpload('u'), true);
  assert.equal(fence.holdUpload('u'), false);
  fence.releaseUpload('u');
  assert.equal(fence.holdUpload('u'), true);
});

test('old uses are dropped as pushes go on, except those a sweep in progress still looks at', async () => {
  mock.timers.enable({ apis: ['Date'], now: 1_000_000 });
  try {
    const fence = new SweepFence();
    fence.retainFor(1000);
    await fence.use(['sha256:old']);
    fence.beginSweep(1_000_000 - 500);
    mock.timers.tick(5000);
    for (let i = 0; i < 1024; i++) await fence.use([`sha256:${i}`]);
    assert.equal(fence.usedSince('sha256:old', 0), true, 'kept while the sweep that may skip it runs');
    fence.endSweep();
    for (let i = 0; i < 1024; i++) await fence.use([`sha256:${i}`]);
    assert.equal(fence.usedSince('sha256:old', 0), false, 'dropped once nothing looks at it');
    assert.equal(fence.usedSince('sha256:5', 0), true);
  } finally {
    mock.timers.reset();
  }
});
