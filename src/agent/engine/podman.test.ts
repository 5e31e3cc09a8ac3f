import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { zombieChildren } from './podman.js';

test('zombieChildren counts the exited children a process has not reaped', async () => {
  // The shell starts three short children and becomes `sleep`, which never reaps them.
  const parent = spawn('sh', ['-c', 'true & true & true & exec sleep 30'], { stdio: 'ignore' });
  try {
    let count = 0;
    for (let i = 0; i < 50 && count < 3; i++) {
      await sleep(50);
      count = await zombieChildren(parent.pid!);
    }
    assert.equal(count, 3);
    assert.equal(await zombieChildren(process.pid), 0, 'node reaps its children');
  } finally {
    parent.kill('SIGKILL');
  }
});
