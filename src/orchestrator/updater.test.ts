// Rolling updates over the real store and manager loops; a scripted node stands in for the
// agent (assigns, starts, stops, and fails tasks of a "bad" image) — real agents are in e2e.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Store } from '../store/index.js';
import { openTestStore } from '../../test/helpers/store.js';
import { Allocator } from '../allocator/index.js';
import { ReplicatedOrchestrator, TaskReaper } from './index.js';
import { addNode, addService, replicated, updateService } from '../../test/helpers/objects.js';
import { waitFor } from '../../test/helpers/wait.js';
import { now } from '../common/time.js';
import { isTerminal, type ServiceSpec, type TaskState } from '../types/index.js';

async function cluster(t: { after: (fn: () => void) => void }): Promise<Store> {
  const store = await openTestStore();
  const ac = new AbortController();
  for (const loop of [new Allocator(store), new ReplicatedOrchestrator(store), new TaskReaper(store)]) void loop.run(ac.signal);
  const node = addNode(store);
  // The scripted node: place pending tasks, start the wanted ones, stop the unwanted ones.
  const timer = setInterval(() => {
    store.update((tx) => {
      for (const task of tx.tasks.list()) {
        const set = (State: TaskState, Err?: string): void => {
          tx.tasks.update({ ...task, NodeID: node.ID, Status: { State, Message: State, Timestamp: now(), ...(Err ? { Err } : {}) } });
        };
        if (isTerminal(task.Status.State)) continue;
        if (task.DesiredState === 'shutdown' || task.DesiredState === 'remove') set('shutdown');
        // Like a real agent: the pull fails while preparing, before the task is even allowed to start.
        else if (task.Spec.ContainerSpec?.Image === 'bad' && task.Status.State !== 'pending') set('rejected', 'No such image: bad');
        else if (task.DesiredState === 'running' && task.Status.State !== 'running') set('running');
        else if (task.Status.State === 'pending') set('assigned');
      }
    });
  }, 10);
  t.after(() => {
    clearInterval(timer);
    ac.abort();
    setTimeout(() => store.close(), 50);
  });
  return store;
}

const fast = (extra: Partial<ServiceSpec> = {}): ServiceSpec => ({
  ...replicated('web', 3, { RestartPolicy: { Condition: 'any', Delay: 300e6 } }),
  UpdateConfig: { Parallelism: 1, Monitor: 200e6 },
  RollbackConfig: { Parallelism: 0, Monitor: 100e6 },
  ...extra,
});
const image = (img: string) => (s: ServiceSpec): ServiceSpec => ({ ...s, TaskTemplate: { ...s.TaskTemplate, ContainerSpec: { Image: img } } });
const running = (store: Store, id: string, img: string): boolean =>
  store.view((tx) => tx.tasks.byService(id).filter((x) => x.DesiredState === 'running' && x.Status.State === 'running' && x.Spec.ContainerSpec?.Image === img).length === 3);

test('an update goes updating → completed after the monitor period', async (t) => {
  const store = await cluster(t);
  const svc = addService(store, fast());
  await waitFor(store, () => running(store, svc.ID, 'localhost/berth-demo:1'), 15_000, 'initial tasks');
  updateService(store, svc.ID, image('v2'));
  const started = await waitFor(store, (tx) => tx.services.get(svc.ID)?.UpdateStatus?.State === 'updating' && tx.services.get(svc.ID)!.UpdateStatus, 10_000, 'updating');
  assert.equal(started.Message, 'update in progress');
  const done = await waitFor(store, (tx) => tx.services.get(svc.ID)?.UpdateStatus?.State === 'completed' && tx.services.get(svc.ID)!.UpdateStatus, 20_000, 'completed');
  assert.ok(done.CompletedAt && done.StartedAt);
  assert.ok(running(store, svc.ID, 'v2'));
});

test('a failing update pauses (failure action pause) and replaces nothing more', async (t) => {
  const store = await cluster(t);
  const svc = addService(store, fast());
  await waitFor(store, () => running(store, svc.ID, 'localhost/berth-demo:1'), 15_000, 'initial tasks');
  updateService(store, svc.ID, image('bad'));
  const paused = await waitFor(store, (tx) => tx.services.get(svc.ID)?.UpdateStatus?.State === 'paused' && tx.services.get(svc.ID)!.UpdateStatus, 15_000, 'paused');
  assert.match(paused.Message ?? '', /update paused due to failure or early termination of task \w+/);
  await new Promise((r) => setTimeout(r, 300));
  const old = store.view((tx) => tx.tasks.byService(svc.ID).filter((x) => x.DesiredState === 'running' && x.Spec.ContainerSpec?.Image === 'localhost/berth-demo:1'));
  assert.equal(old.length, 2, 'only the first slot was touched (parallelism 1); the other two keep running the old image');
});

test('failure action rollback brings the previous spec back and completes the rollback', async (t) => {
  const store = await cluster(t);
  const svc = addService(store, fast({ UpdateConfig: { Parallelism: 1, Monitor: 200e6, FailureAction: 'rollback' } }));
  await waitFor(store, () => running(store, svc.ID, 'localhost/berth-demo:1'), 15_000, 'initial tasks');
  updateService(store, svc.ID, image('bad'));
  const rolled = await waitFor(store, (tx) => tx.services.get(svc.ID)?.UpdateStatus?.State === 'rollback_started' && tx.services.get(svc.ID)!, 15_000, 'rollback started');
  assert.match(rolled.UpdateStatus!.Message ?? '', /update rolled back due to failure or early termination of task/);
  assert.equal(rolled.Spec.TaskTemplate?.ContainerSpec?.Image, 'localhost/berth-demo:1');
  assert.equal(rolled.PreviousSpec?.TaskTemplate?.ContainerSpec?.Image, 'bad');
  await waitFor(store, (tx) => tx.services.get(svc.ID)?.UpdateStatus?.State === 'rollback_completed', 20_000, 'rollback completed');
  assert.ok(running(store, svc.ID, 'localhost/berth-demo:1'));
});

test('a manual rollback (docker service rollback) is reported with the rollback states', async (t) => {
  const store = await cluster(t);
  const svc = addService(store, fast());
  await waitFor(store, () => running(store, svc.ID, 'localhost/berth-demo:1'), 15_000, 'initial tasks');
  updateService(store, svc.ID, image('v2'));
  await waitFor(store, (tx) => tx.services.get(svc.ID)?.UpdateStatus?.State === 'completed', 20_000, 'update completed');
  store.update((tx) => {
    const s = tx.services.get(svc.ID)!;
    tx.services.update({ ...s, Spec: s.PreviousSpec!, PreviousSpec: s.Spec, BerthSpecVersion: tx.index, BerthUpdateKind: 'rollback' });
  });
  await waitFor(store, (tx) => tx.services.get(svc.ID)?.UpdateStatus?.State === 'rollback_started', 10_000, 'rollback started');
  await waitFor(store, (tx) => tx.services.get(svc.ID)?.UpdateStatus?.State === 'rollback_completed', 20_000, 'rollback completed');
  assert.ok(running(store, svc.ID, 'localhost/berth-demo:1'));
});

test('Delay spaces the batches out', async (t) => {
  const store = await cluster(t);
  const svc = addService(store, fast({ UpdateConfig: { Parallelism: 1, Delay: 400e6, Monitor: 50e6 } }));
  await waitFor(store, () => running(store, svc.ID, 'localhost/berth-demo:1'), 15_000, 'initial tasks');
  const began = Date.now();
  updateService(store, svc.ID, image('v2'));
  await waitFor(store, (tx) => tx.services.get(svc.ID)?.UpdateStatus?.State === 'completed', 20_000, 'completed');
  assert.ok(Date.now() - began >= 800, `three batches with two 400 ms delays between them took ${Date.now() - began} ms`);
});

test('start-first: the new task runs before the old one is stopped', async (t) => {
  const store = await cluster(t);
  const svc = addService(store, fast({ ...replicated('web', 1), UpdateConfig: { Parallelism: 1, Monitor: 100e6, Order: 'start-first' } }));
  const [old] = await waitFor(store, (tx) => {
    const l = tx.tasks.byService(svc.ID).filter((x) => x.Status.State === 'running');
    return l.length === 1 && l;
  }, 15_000, 'initial task');
  let overlap = false;
  const watcher = store.watch();
  void (async () => {
    for (let c = await watcher.next(); c; c = await watcher.next()) {
      const both = store.view((tx) => tx.tasks.byService(svc.ID).filter((x) => x.Status.State === 'running'));
      if (both.length === 2 && both.some((x) => x.ID === old!.ID)) overlap = true;
    }
  })();
  updateService(store, svc.ID, image('v2'));
  await waitFor(store, (tx) => tx.services.get(svc.ID)?.UpdateStatus?.State === 'completed', 20_000, 'completed');
  watcher.close();
  assert.ok(overlap, 'old and new ran side by side for a moment');
  const oldNow = store.view((tx) => tx.tasks.get(old!.ID));
  assert.ok(!oldNow || oldNow.DesiredState === 'shutdown', 'the old task was stopped afterwards');
  assert.equal(store.view((tx) => tx.tasks.byService(svc.ID).filter((x) => x.DesiredState === 'running').length), 1);
});

test('a paused update stays paused when the orchestrator restarts; an unfinished one is resumed', async (t) => {
  const store = await cluster(t);
  const svc = addService(store, fast());
  await waitFor(store, () => running(store, svc.ID, 'localhost/berth-demo:1'), 15_000, 'initial tasks');
  updateService(store, svc.ID, image('bad'));
  await waitFor(store, (tx) => tx.services.get(svc.ID)?.UpdateStatus?.State === 'paused', 15_000, 'paused');
  // A second orchestrator (as after a manager restart: no in-memory update progress).
  const ac = new AbortController();
  void new ReplicatedOrchestrator(store).run(ac.signal);
  t.after(() => ac.abort());
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(store.view((tx) => tx.services.get(svc.ID)?.UpdateStatus?.State), 'paused', 'still paused');
  assert.equal(store.view((tx) => tx.tasks.byService(svc.ID).filter((x) => x.DesiredState === 'running' && x.Spec.ContainerSpec?.Image === 'localhost/berth-demo:1').length), 2);
  updateService(store, svc.ID, image('v3'));
  await waitFor(store, (tx) => tx.services.get(svc.ID)?.UpdateStatus?.State === 'completed', 20_000, 'a new update goes through');
  assert.ok(running(store, svc.ID, 'v3'));
});
