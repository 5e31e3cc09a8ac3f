// Job services over the real store and manager loops; a scripted node stands in for the agent:
// tasks run briefly and then complete (exit 0) or fail (image "flaky" fails its first run).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Store } from '../store/index.js';
import { openTestStore } from '../../test/helpers/store.js';
import { Allocator } from '../allocator/index.js';
import { JobsOrchestrator, ReplicatedOrchestrator, GlobalOrchestrator, TaskReaper } from './index.js';
import { addNode } from '../../test/helpers/objects.js';
import { waitFor } from '../../test/helpers/wait.js';
import { now } from '../common/time.js';
import { newId } from '../common/ids.js';
import { isTerminal, type ServiceSpec, type Task, type TaskState } from '../types/index.js';

async function cluster(t: { after: (fn: () => void) => void }, nodes = 1): Promise<{ store: Store; maxRunning: () => number }> {
  const store = await openTestStore();
  const ac = new AbortController();
  for (const loop of [new Allocator(store), new ReplicatedOrchestrator(store), new GlobalOrchestrator(store), new JobsOrchestrator(store), new TaskReaper(store)]) void loop.run(ac.signal);
  const ids = Array.from({ length: nodes }, (_, i) => addNode(store, { hostname: `n${i}` }).ID);
  const failedOnce = new Set<number>();
  let maxRunning = 0;
  const timer = setInterval(() => {
    store.update((tx) => {
      const all = tx.tasks.list();
      maxRunning = Math.max(maxRunning, all.filter((x) => x.Status.State === 'running').length);
      for (const task of all) {
        const set = (State: TaskState): void => {
          tx.tasks.update({ ...task, NodeID: task.NodeID || ids[0]!, Status: { State, Message: State, Timestamp: now() } });
        };
        if (isTerminal(task.Status.State)) continue;
        if (task.DesiredState === 'shutdown' || task.DesiredState === 'remove') set('shutdown');
        else if (task.Status.State === 'pending') set('assigned');
        else if (task.DesiredState === 'running' && task.Status.State !== 'running') set('running');
        else if (task.Status.State === 'running') {
          const flaky = task.Spec.ContainerSpec?.Image === 'flaky' && !failedOnce.has(task.Slot!);
          if (flaky) failedOnce.add(task.Slot!);
          set(flaky ? 'failed' : 'complete');
        }
      }
    });
  }, 15);
  t.after(() => {
    clearInterval(timer);
    ac.abort();
    setTimeout(() => store.close(), 50);
  });
  return { store, maxRunning: () => maxRunning };
}

function addJob(store: Store, spec: ServiceSpec): string {
  return store.update((tx) => {
    const id = newId();
    tx.services.create({ ID: id, Version: { Index: 0 }, CreatedAt: '', UpdatedAt: '', Spec: spec, BerthSpecVersion: tx.index, JobStatus: { JobIteration: { Index: tx.index }, LastExecution: now() } });
    return id;
  });
}

const complete = (tasks: Task[]): Task[] => tasks.filter((x) => x.Status.State === 'complete');

test('a replicated job runs TotalCompletions tasks to completion, MaxConcurrent at a time', async (t) => {
  const { store, maxRunning } = await cluster(t);
  const id = addJob(store, { Name: 'batch', Mode: { ReplicatedJob: { MaxConcurrent: 2, TotalCompletions: 5 } }, TaskTemplate: { ContainerSpec: { Image: 'ok' } } });
  await waitFor(store, (tx) => complete(tx.tasks.byService(id)).length === 5, 5000, 'five completions');
  await new Promise((r) => setTimeout(r, 200));
  const tasks = store.view((tx) => tx.tasks.byService(id));
  assert.equal(tasks.length, 5, 'no more tasks than completions');
  assert.ok(maxRunning() <= 2, `at most 2 ran at once (saw ${maxRunning()})`);
  assert.ok(tasks.every((x) => x.DesiredState === 'complete' && x.JobIteration !== undefined), 'completed tasks show desired Complete, as in Swarm');
});

test('a failed job task is restarted (any acts as on-failure); a new iteration runs the job again', async (t) => {
  const { store } = await cluster(t);
  const id = addJob(store, { Name: 'flaky', Mode: { ReplicatedJob: { MaxConcurrent: 1, TotalCompletions: 2 } }, TaskTemplate: { ContainerSpec: { Image: 'flaky' }, RestartPolicy: { Delay: 0 } } });
  await waitFor(store, (tx) => complete(tx.tasks.byService(id)).length === 2, 5000, 'two completions');
  const first = store.view((tx) => tx.tasks.byService(id));
  assert.equal(first.filter((x) => x.Status.State === 'failed').length, 2, 'each slot failed once and was restarted');
  store.update((tx) => {
    const s = tx.services.get(id)!;
    tx.services.update({ ...s, Spec: { ...s.Spec, Labels: { run: '2' } }, BerthSpecVersion: tx.index, JobStatus: { JobIteration: { Index: tx.index }, LastExecution: now() } });
  });
  const iteration = store.view((tx) => tx.services.get(id)!.JobStatus!.JobIteration!.Index);
  await waitFor(store, (tx) => complete(tx.tasks.byService(id).filter((x) => x.JobIteration?.Index === iteration)).length === 2, 5000, 'second iteration done');
});

test('a global job runs one task to completion on every ready node', async (t) => {
  const { store } = await cluster(t, 3);
  const id = addJob(store, { Name: 'everywhere', Mode: { GlobalJob: {} }, TaskTemplate: { ContainerSpec: { Image: 'ok' } } });
  const done = await waitFor(store, (tx) => complete(tx.tasks.byService(id)).length === 3 && tx.tasks.byService(id), 5000, 'three completions');
  assert.equal(new Set(done.map((x) => x.NodeID)).size, 3);
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(store.view((tx) => tx.tasks.byService(id).length), 3, 'completed tasks are not run again');
});
