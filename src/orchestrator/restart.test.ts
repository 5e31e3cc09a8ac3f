import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RestartSupervisor } from './restart.js';
import type { RestartPolicy, Service, Task, TaskState } from '../types/index.js';

const svc = (policy: RestartPolicy): Service => ({
  ID: 's', Version: { Index: 1 }, CreatedAt: '', UpdatedAt: '', BerthSpecVersion: 1,
  Spec: { Name: 's', TaskTemplate: { RestartPolicy: policy } },
});
const task = (state: TaskState): Task => ({
  ID: 't', Version: { Index: 1 }, CreatedAt: '', UpdatedAt: '', Spec: {}, ServiceID: 's', Slot: 1, NodeID: 'n',
  Status: { State: state, Message: '', Timestamp: '' }, DesiredState: 'running', BerthService: { Name: 's', Labels: {} },
});

test('conditions: none never, on-failure only after failure, any always (the default)', () => {
  const r = new RestartSupervisor();
  assert.equal(r.shouldRestart(task('failed'), svc({ Condition: 'none' })), false);
  assert.equal(r.shouldRestart(task('complete'), svc({ Condition: 'on-failure' })), false);
  assert.equal(r.shouldRestart(task('failed'), svc({ Condition: 'on-failure' })), true);
  assert.equal(r.shouldRestart(task('rejected'), svc({ Condition: 'on-failure' })), true);
  assert.equal(r.shouldRestart(task('complete'), svc({})), true);
  assert.equal(r.delayMs(svc({})), 5000, "Swarm's default delay");
  assert.equal(r.delayMs(svc({ Delay: 250e6 })), 250);
});

test('MaxAttempts counts restarts within Window only', () => {
  const r = new RestartSupervisor();
  const policy = svc({ Condition: 'any', MaxAttempts: 2, Window: 10_000e6 });
  const t0 = 1_000_000;
  assert.ok(r.shouldRestart(task('failed'), policy, t0));
  r.record(task('failed'), t0);
  r.record(task('failed'), t0 + 1000);
  assert.equal(r.shouldRestart(task('failed'), policy, t0 + 2000), false, 'two restarts inside the window');
  assert.equal(r.shouldRestart(task('failed'), policy, t0 + 10_500), true, 'the first restart has left the window');
  const fresh = new RestartSupervisor();
  fresh.record(task('failed'), t0);
  fresh.record(task('failed'), t0 + 1000);
  const noWindow = svc({ Condition: 'any', MaxAttempts: 2 });
  assert.equal(fresh.shouldRestart(task('failed'), noWindow, t0 + 1e9), false, 'without a window every restart counts');
});
