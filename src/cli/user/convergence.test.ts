import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { TaskState } from '../../types/index.js';
import type { ApiNode, ApiService, ApiTask } from './api-types.js';
import { assessConvergence, stuckReport } from './convergence.js';
import { LineRenderer, progressLines, TtyRenderer } from './progress-render.js';

const replicated = (replicas: number): ApiService => ({
  ID: 'svc1',
  Version: { Index: 5 },
  CreatedAt: '',
  UpdatedAt: '',
  Spec: { Name: 'web', Mode: { Replicated: { Replicas: replicas } } },
});
const global: ApiService = { ...replicated(1), Spec: { Name: 'agent', Mode: { Global: {} } } };

function node(id: string, state: ApiNode['Status']['State'] = 'ready'): ApiNode {
  return { ID: id, Version: { Index: 1 }, CreatedAt: '', UpdatedAt: '', Spec: {}, Description: { Hostname: id }, Status: { State: state } };
}

let seq = 0;
function task(f: { slot?: number; node?: string; state: TaskState; desired?: TaskState; err?: string; at?: number }): ApiTask {
  seq++;
  return {
    ID: `task${String(seq).padStart(21, '0')}`,
    Version: { Index: seq },
    // Lexically ordered like the store's RFC 3339 timestamps.
    CreatedAt: `2025-01-01T00:00:${String(f.at ?? seq).padStart(2, '0')}.000000000Z`,
    UpdatedAt: '',
    Spec: {},
    ServiceID: 'svc1',
    Slot: f.slot ?? 0,
    NodeID: f.node,
    Status: { Timestamp: '', State: f.state, Message: f.state, ...(f.err && { Err: f.err }) },
    DesiredState: f.desired ?? 'running',
  };
}

const nodes = [node('n1'), node('n2')];

test('replicated: converged when every slot newest task runs and the count is Replicas', () => {
  const tasks = [1, 2, 3].map((slot) => task({ slot, node: 'n1', state: 'running' }));
  const c = assessConvergence(replicated(3), tasks, nodes);
  assert.equal(c.converged, true);
  assert.equal(c.running, 3);
  assert.equal(c.desired, 3);
  assert.deepEqual(c.slots.map((s) => s.label), ['1/3', '2/3', '3/3']);
});

test('replicated: too few slots, a starting task or a missing slot is not converged', () => {
  assert.equal(assessConvergence(replicated(3), [1, 2].map((slot) => task({ slot, state: 'running' })), nodes).converged, false);
  const c = assessConvergence(replicated(2), [task({ slot: 1, state: 'running' }), task({ slot: 2, state: 'starting' })], nodes);
  assert.equal(c.converged, false);
  assert.equal(c.running, 1);
});

test('replicated: the newest task of a slot decides, so a failed-then-restarted slot counts again once running', () => {
  const old = task({ slot: 1, state: 'failed', desired: 'shutdown', err: 'exit 1', at: 1 });
  const starting = task({ slot: 1, state: 'starting', at: 2 });
  assert.equal(assessConvergence(replicated(1), [old, starting], nodes).converged, false);
  const running = task({ slot: 1, state: 'running', at: 2 });
  assert.equal(assessConvergence(replicated(1), [old, running], nodes).converged, true);
  // A running task that is being replaced is newest only until its replacement exists.
  const crashed = task({ slot: 1, state: 'failed', desired: 'shutdown', err: 'task: non-zero exit (1)', at: 9 });
  const c = assessConvergence(replicated(1), [running, crashed], nodes);
  assert.equal(c.converged, false);
  assert.equal(c.slots[0]!.task?.Status.Err, 'task: non-zero exit (1)');
});

test('replicated: tasks being shut down after a scale-down neither count nor show', () => {
  const tasks = [
    task({ slot: 1, state: 'running' }),
    task({ slot: 2, state: 'running', desired: 'shutdown' }),
    task({ slot: 3, state: 'running', desired: 'remove' }),
  ];
  const c = assessConvergence(replicated(1), tasks, nodes);
  assert.equal(c.converged, true);
  assert.equal(c.running, 1);
  assert.deepEqual(c.slots.map((s) => s.task?.Slot), [1]);
  // Scale-down still in progress: a surplus task still meant to run blocks convergence.
  const pending = assessConvergence(replicated(1), [task({ slot: 1, state: 'running' }), task({ slot: 2, state: 'running' })], nodes);
  assert.equal(pending.converged, false);
});

test('replicated: tasks on down nodes are ignored', () => {
  const c = assessConvergence(replicated(1), [task({ slot: 1, node: 'gone', state: 'running' })], [node('gone', 'down')]);
  assert.equal(c.converged, false);
  assert.equal(c.running, 0);
});

test('replicated: zero replicas converges at once', () => {
  assert.equal(assessConvergence(replicated(0), [], nodes).converged, true);
});

test('global: every node with a task meant to run must run it; no tasks yet is not converged', () => {
  assert.equal(assessConvergence(global, [], nodes).converged, false);
  const both = [task({ node: 'n1', state: 'running' }), task({ node: 'n2', state: 'running' })];
  const c = assessConvergence(global, both, nodes);
  assert.equal(c.converged, true);
  assert.equal(c.desired, 2);
  assert.deepEqual(c.slots.map((s) => s.label), ['n1', 'n2']);
  const one = assessConvergence(global, [task({ node: 'n1', state: 'running' }), task({ node: 'n2', state: 'preparing' })], nodes);
  assert.equal(one.converged, false);
  assert.equal(one.running, 1);
  // A drained node's task is being shut down: it is not part of the target.
  const drained = [task({ node: 'n1', state: 'running' }), task({ node: 'n2', state: 'running', desired: 'shutdown' })];
  assert.equal(assessConvergence(global, drained, nodes).converged, true);
  // A down node does not hold the service back.
  const down = assessConvergence(global, both, [node('n1'), node('n2', 'down')]);
  assert.equal(down.converged, true);
  assert.equal(down.desired, 1);
});

test('stuckReport names the slots that do not run and why', () => {
  const tasks = [task({ slot: 1, state: 'running' }), task({ slot: 2, state: 'pending', err: 'no suitable node (1 node not available for new tasks)' })];
  const lines = stuckReport('web', assessConvergence(replicated(3), tasks, nodes));
  assert.equal(lines.length, 2);
  assert.match(lines[0]!, /^web\.2 \(task task0+\d+\): pending: no suitable node \(1 node not available for new tasks\)$/);
  assert.equal(lines[1], '3/3: no task yet');
  assert.deepEqual(stuckReport('agent', assessConvergence(global, [], nodes)), ['no tasks have been created for the current spec yet']);
});

test('progress lines: overall first, then a line per slot with state and bar or the error, then verify', () => {
  const tasks = [task({ slot: 1, state: 'running' }), task({ slot: 2, state: 'pending', err: 'no suitable node' })];
  const lines = progressLines(assessConvergence(replicated(3), tasks, nodes), 'Waiting 5 seconds to verify that tasks are stable...');
  assert.deepEqual(lines, [
    { id: 'overall progress', text: '1 out of 3 tasks' },
    { id: '1/3', text: 'running   [====================]' },
    { id: '2/3', text: 'pending: no suitable node' },
    { id: '3/3', text: '' },
    { id: 'verify', text: 'Waiting 5 seconds to verify that tasks are stable...' },
  ]);
  const starting = progressLines(assessConvergence(replicated(1), [task({ slot: 1, state: 'starting' })], nodes));
  assert.match(starting[1]!.text, /^starting  \[=+> *\]$/);
  assert.equal(starting[1]!.text.length, 'starting  [01234567890123456789]'.length);
});

test('progress lines: more than 20 replicas show only the overall line', () => {
  assert.equal(progressLines(assessConvergence(replicated(21), [], nodes)).length, 1);
});

test('line renderer prints only what changed and skips empty slots', () => {
  const r = new LineRenderer();
  const first = [
    { id: 'overall progress', text: '0 out of 2 tasks' },
    { id: '1/2', text: 'new' },
    { id: '2/2', text: '' },
  ];
  assert.equal(r.render(first), 'overall progress: 0 out of 2 tasks\n1/2: new\n');
  assert.equal(r.render(first), '');
  assert.equal(r.render([{ id: 'overall progress', text: '0 out of 2 tasks' }, { id: '1/2', text: 'running' }]), '1/2: running\n');
});

test('tty renderer redraws the block in place and clears lines it no longer needs', () => {
  // 40 columns: lines are cut to 39 so the cursor never wraps.
  const r = new TtyRenderer(40);
  const a = r.render([
    { id: 'overall progress', text: '0 out of 1 tasks' },
    { id: '1/1', text: 'x'.repeat(60) },
  ]);
  assert.equal(a, `\x1b[2Koverall progress: 0 out of 1 tasks\n\x1b[2K1/1: ${'x'.repeat(33)}…\n`);
  const b = r.render([{ id: 'overall progress', text: '1 out of 1 tasks' }]);
  assert.equal(b, '\x1b[2A\x1b[2Koverall progress: 1 out of 1 tasks\n\x1b[J');
  assert.equal(r.render([{ id: 'overall progress', text: '1 out of 1 tasks' }]), '', 'an unchanged frame is not redrawn');
});
