import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Store } from '../store/index.js';
import { openTestStore } from '../../test/helpers/store.js';
import { Allocator } from '../allocator/index.js';
import { ReplicatedOrchestrator, GlobalOrchestrator, TaskReaper } from './index.js';
import { addNode, addService, replicated, report, updateService } from '../../test/helpers/objects.js';
import { waitFor } from '../../test/helpers/wait.js';
import type { Task } from '../types/index.js';

/** Runs the manager loops (no scheduler: tests assign nodes by hand) for one test. */
async function cluster(t: { after: (fn: () => void) => void }): Promise<Store> {
  const store = await openTestStore();
  const ac = new AbortController();
  for (const loop of [new Allocator(store), new ReplicatedOrchestrator(store), new GlobalOrchestrator(store), new TaskReaper(store)]) {
    void loop.run(ac.signal);
  }
  t.after(() => {
    ac.abort();
    setTimeout(() => store.close(), 50);
  });
  return store;
}

const runnable = (tasks: Task[]): Task[] => tasks.filter((t) => t.DesiredState === 'running' || t.DesiredState === 'ready');

function assign(store: Store, taskId: string, nodeId: string): void {
  store.update((tx) => {
    const t = tx.tasks.get(taskId)!;
    tx.tasks.update({ ...t, NodeID: nodeId, Status: { ...t.Status, State: 'assigned' } });
  });
}

test('replicated: creates one task per slot, moves them to pending, scales up and down', async (t) => {
  const store = await cluster(t);
  const svc = addService(store, replicated('web', 3));
  const tasks = await waitFor(store, (tx) => {
    const l = tx.tasks.byService(svc.ID);
    return l.length === 3 && l.every((x) => x.Status.State === 'pending') && l;
  }, 2000, '3 pending tasks');
  assert.deepEqual(tasks.map((x) => x.Slot).sort(), [1, 2, 3]);
  assert.ok(tasks.every((x) => x.DesiredState === 'running' && x.SpecVersion?.Index === svc.BerthSpecVersion));

  updateService(store, svc.ID, (s) => ({ ...s, Mode: { Replicated: { Replicas: 5 } } }));
  const five = await waitFor(store, (tx) => runnable(tx.tasks.byService(svc.ID)).length === 5 && tx.tasks.byService(svc.ID), 2000, '5 tasks');
  assert.deepEqual(five.map((x) => x.Slot).sort(), [1, 2, 3, 4, 5]);
  assert.equal(five.length, 5, 'scaling must not replace tasks whose template did not change');
  assert.ok(five.every((x) => x.SpecVersion?.Index === store.view((tx) => tx.services.get(svc.ID)!.BerthSpecVersion)), 'all marked current');

  updateService(store, svc.ID, (s) => ({ ...s, Mode: { Replicated: { Replicas: 2 } } }));
  await waitFor(store, (tx) => runnable(tx.tasks.byService(svc.ID)).length === 2, 2000, 'scale down to 2');
  // Never-assigned tasks desired REMOVE are reaped at once.
  await waitFor(store, (tx) => tx.tasks.byService(svc.ID).length === 2, 2000, 'surplus tasks reaped');
});

test('restart policy: a failed task is replaced in its slot after the delay; condition none leaves it', async (t) => {
  const store = await cluster(t);
  const node = addNode(store);
  const svc = addService(store, replicated('api', 1, { RestartPolicy: { Condition: 'any', Delay: 300e6 } }));
  const [first] = await waitFor(store, (tx) => tx.tasks.byService(svc.ID).length === 1 && tx.tasks.byService(svc.ID), 2000, 'task');
  assign(store, first!.ID, node.ID);
  report(store, first!.ID, 'running');
  report(store, first!.ID, 'failed', { Err: 'task: non-zero exit (1)' });
  const replacement = await waitFor(store, (tx) => tx.tasks.byService(svc.ID).find((x) => x.ID !== first!.ID), 2000, 'replacement');
  assert.equal(replacement.Slot, first!.Slot);
  assert.equal(replacement.DesiredState, 'ready', 'held at READY during the restart delay');
  assert.equal(store.view((tx) => tx.tasks.get(first!.ID)!.DesiredState), 'shutdown');
  const started = Date.now();
  await waitFor(store, (tx) => tx.tasks.get(replacement.ID)?.DesiredState === 'running', 3000, 'promotion after delay');
  assert.ok(Date.now() - started >= 150, 'promoted only after the delay');

  const none = addService(store, replicated('oneshot', 1, { RestartPolicy: { Condition: 'none' } }));
  const [only] = await waitFor(store, (tx) => tx.tasks.byService(none.ID).length === 1 && tx.tasks.byService(none.ID), 2000, 'task');
  assign(store, only!.ID, node.ID);
  report(store, only!.ID, 'complete');
  await new Promise((r) => setTimeout(r, 200));
  const after = store.view((tx) => tx.tasks.byService(none.ID));
  assert.equal(after.length, 1, 'no replacement with condition none');
  assert.equal(after[0]!.DesiredState, 'running', 'the finished task keeps its slot');
});

test('restart policy: on-failure ignores success and MaxAttempts caps restarts', async (t) => {
  const store = await cluster(t);
  const node = addNode(store);
  const svc = addService(store, replicated('flaky', 1, { RestartPolicy: { Condition: 'on-failure', Delay: 0, MaxAttempts: 2 } }));
  for (let attempt = 0; attempt < 3; attempt++) {
    const current = await waitFor(store, (tx) => tx.tasks.byService(svc.ID).find((x) => x.DesiredState === 'running' && x.Status.State === 'pending'), 2000, `attempt ${attempt}`);
    assign(store, current.ID, node.ID);
    report(store, current.ID, 'failed', { Err: 'task: non-zero exit (2)' });
  }
  await new Promise((r) => setTimeout(r, 200));
  const all = store.view((tx) => tx.tasks.byService(svc.ID));
  assert.equal(all.length, 3, 'initial task + 2 restarts');
  assert.equal(all.filter((x) => x.DesiredState === 'running').length, 1, 'the last failure keeps its slot');
});

test('a task on a node that goes down is replaced at once; the lost one is shut down', async (t) => {
  const store = await cluster(t);
  const node = addNode(store);
  const svc = addService(store, replicated('web', 1));
  const [task] = await waitFor(store, (tx) => tx.tasks.byService(svc.ID).length === 1 && tx.tasks.byService(svc.ID), 2000, 'task');
  assign(store, task!.ID, node.ID);
  report(store, task!.ID, 'running');
  store.update((tx) => tx.nodes.update({ ...tx.nodes.get(node.ID)!, Status: { State: 'down', Message: 'heartbeat failure' } }));
  const repl = await waitFor(store, (tx) => tx.tasks.byService(svc.ID).find((x) => x.ID !== task!.ID), 2000, 'replacement');
  assert.equal(repl.Slot, task!.Slot);
  assert.equal(repl.DesiredState, 'running', 'node loss replaces without the restart delay');
  assert.equal(store.view((tx) => tx.tasks.get(task!.ID)?.DesiredState), 'shutdown');
});

test('two-phase delete: removing a service marks tasks REMOVE; running ones are reaped after they stop', async (t) => {
  const store = await cluster(t);
  const node = addNode(store);
  const svc = addService(store, replicated('web', 2));
  const tasks = await waitFor(store, (tx) => tx.tasks.byService(svc.ID).length === 2 && tx.tasks.byService(svc.ID), 2000, 'tasks');
  for (const x of tasks) {
    assign(store, x.ID, node.ID);
    report(store, x.ID, 'running');
  }
  store.update((tx) => tx.services.delete(svc.ID));
  await waitFor(store, (tx) => tx.tasks.byService(svc.ID).every((x) => x.DesiredState === 'remove'), 2000, 'desired remove');
  assert.equal(store.view((tx) => tx.tasks.byService(svc.ID).length), 2, 'running tasks are kept until the agent stops them');
  report(store, tasks[0]!.ID, 'shutdown');
  await waitFor(store, (tx) => tx.tasks.byService(svc.ID).length === 1, 2000, 'stopped task reaped');
});

test('reaper keeps the configured number of ended tasks per slot', async (t) => {
  const store = await cluster(t);
  store.update((tx) =>
    tx.clusters.create({
      ID: 'c', Version: { Index: 0 }, CreatedAt: '', UpdatedAt: '',
      Spec: { Name: 'default', Orchestration: { TaskHistoryRetentionLimit: 2 }, Dispatcher: { HeartbeatPeriod: 5e9 } },
      JoinTokens: { Worker: 'w', Manager: 'm' },
    }),
  );
  const node = addNode(store);
  const svc = addService(store, replicated('crashy', 1, { RestartPolicy: { Condition: 'any', Delay: 0 } }));
  for (let i = 0; i < 5; i++) {
    const cur = await waitFor(store, (tx) => tx.tasks.byService(svc.ID).find((x) => x.DesiredState === 'running' && x.Status.State === 'pending'), 2000, `task ${i}`);
    assign(store, cur.ID, node.ID);
    report(store, cur.ID, 'failed');
  }
  await waitFor(store, (tx) => tx.tasks.byService(svc.ID).filter((x) => x.DesiredState === 'shutdown').length === 2, 2000, 'history trimmed to 2');
});

test('global: one task per eligible node; drained node loses it; a new node gains one', async (t) => {
  const store = await cluster(t);
  const a = addNode(store, { hostname: 'a' });
  const b = addNode(store, { hostname: 'b', labels: { tier: 'edge' } });
  const svc = addService(store, { Name: 'agent', Mode: { Global: {} }, TaskTemplate: { ContainerSpec: { Image: 'x' } } });
  const tasks = await waitFor(store, (tx) => tx.tasks.byService(svc.ID).length === 2 && tx.tasks.byService(svc.ID), 2000, 'two global tasks');
  assert.deepEqual(tasks.map((x) => x.NodeID).sort(), [a.ID, b.ID].sort());
  assert.ok(tasks.every((x) => x.Slot === 0));

  store.update((tx) => tx.nodes.update({ ...tx.nodes.get(a.ID)!, Spec: { ...tx.nodes.get(a.ID)!.Spec, Availability: 'drain' } }));
  await waitFor(store, (tx) => tx.tasks.byNode(a.ID).every((x) => x.DesiredState !== 'running'), 2000, 'drained task shut down');

  const c = addNode(store, { hostname: 'c' });
  await waitFor(store, (tx) => runnable(tx.tasks.byNode(c.ID)).length === 1, 2000, 'task on new node');

  const edge = addService(store, { Name: 'edge', Mode: { Global: {} }, TaskTemplate: { ContainerSpec: { Image: 'x' }, Placement: { Constraints: ['node.labels.tier==edge'] } } });
  const edgeTasks = await waitFor(store, (tx) => tx.tasks.byService(edge.ID).length > 0 && tx.tasks.byService(edge.ID), 2000, 'edge tasks');
  await new Promise((r) => setTimeout(r, 100));
  assert.deepEqual(store.view((tx) => tx.tasks.byService(edge.ID).map((x) => x.NodeID)), [b.ID], `only the labelled node (${edgeTasks.length})`);
});

test('rolling update is stop-first, one at a time (parallelism 1); label-only changes restart nothing', async (t) => {
  const store = await cluster(t);
  const node = addNode(store);
  const svc = addService(store, replicated('web', 3));
  const tasks = await waitFor(store, (tx) => tx.tasks.byService(svc.ID).length === 3 && tx.tasks.byService(svc.ID), 2000, 'tasks');
  for (const x of tasks) {
    assign(store, x.ID, node.ID);
    report(store, x.ID, 'running');
  }
  updateService(store, svc.ID, (s) => ({ ...s, Labels: { team: 'a' } }));
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(store.view((tx) => tx.tasks.byService(svc.ID).length), 3, 'a service label change replaces nothing');

  updateService(store, svc.ID, (s) => ({ ...s, TaskTemplate: { ...s.TaskTemplate, ContainerSpec: { Image: 'localhost/berth-demo:2' } } }));
  for (let i = 0; i < 3; i++) {
    const fresh = await waitFor(store, (tx) => tx.tasks.byService(svc.ID).find((x) => x.Spec.ContainerSpec?.Image === 'localhost/berth-demo:2' && x.Status.State === 'pending'), 2000, `new task ${i}`);
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(store.view((tx) => tx.tasks.byService(svc.ID).filter((x) => x.Status.State === 'pending').length), 1, 'only one in flight at a time');
    assert.equal(fresh.DesiredState, 'ready', 'the replacement waits for the old task to stop');
    const old = store.view((tx) => tx.tasks.get(fresh.BerthStartAfter!))!;
    assert.equal(old.DesiredState, 'shutdown');
    assign(store, fresh.ID, node.ID);
    report(store, old.ID, 'shutdown');
    await waitFor(store, (tx) => tx.tasks.get(fresh.ID)?.DesiredState === 'running', 2000, 'promoted once the old task stopped');
    report(store, fresh.ID, 'running');
  }
  const final = store.view((tx) => runnable(tx.tasks.byService(svc.ID)));
  assert.equal(final.length, 3);
  assert.ok(final.every((x) => x.Spec.ContainerSpec?.Image === 'localhost/berth-demo:2' && x.BerthService.Labels.team === 'a'));
});

test('a task the restart policy gives up on keeps its slot across orchestrator restarts', async (t) => {
  const store = await openTestStore();
  const node = addNode(store);
  const svc = addService(store, replicated('once', 1, { RestartPolicy: { Condition: 'on-failure', MaxAttempts: 1, Delay: 0 } }));
  let ac = new AbortController();
  void new ReplicatedOrchestrator(store).run(ac.signal);
  void new Allocator(store).run(ac.signal);
  t.after(() => ac.abort());
  for (let i = 0; i < 2; i++) {
    const cur = await waitFor(store, (tx) => tx.tasks.byService(svc.ID).find((x) => x.DesiredState === 'running' && x.Status.State === 'pending'), 2000, `task ${i}`);
    assign(store, cur.ID, node.ID);
    report(store, cur.ID, 'failed');
  }
  await waitFor(store, (tx) => tx.tasks.byService(svc.ID).some((x) => x.BerthNoRestart), 2000, 'decision recorded');
  ac.abort();
  ac = new AbortController();
  void new ReplicatedOrchestrator(store).run(ac.signal);
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(store.view((tx) => tx.tasks.byService(svc.ID).length), 2, 'a new orchestrator (empty history) does not restart it');
  ac.abort();
});

test('a spec round-tripped with zero values filled in is the same spec', async () => {
  const { sameValue } = await import('./tasks.js');
  assert.ok(sameValue({ ContainerSpec: { Image: 'x', Args: ['a'] } }, { ContainerSpec: { Image: 'x', Args: ['a'], Env: [], TTY: false }, ForceUpdate: 0, Resources: {}, Placement: null }));
  assert.ok(!sameValue({ ContainerSpec: { Image: 'x' } }, { ContainerSpec: { Image: 'y' } }));
  assert.ok(!sameValue({ ForceUpdate: 0 }, { ForceUpdate: 1 }), 'docker service update --force bumps ForceUpdate');
  assert.ok(!sameValue({ ContainerSpec: { Args: ['a', 'b'] } }, { ContainerSpec: { Args: ['a'] } }));
});
