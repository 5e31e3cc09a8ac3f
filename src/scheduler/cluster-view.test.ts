import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Store, type Watcher } from '../store/index.js';
import { openTestStore } from '../../test/helpers/store.js';
import type { Task } from '../types/index.js';
import { ClusterView } from './cluster-view.js';
import type { NodeInfo } from './node-info.js';
import { GiB, makeNode, makeTask } from './test-fixtures.js';

/** commit applies one store update and folds its changes into the view; true when pending tasks should be retried. */
async function commit(store: Store, watcher: Watcher, view: ClusterView, fn: Parameters<Store['update']>[0]): Promise<boolean> {
  store.update(fn);
  const c = await watcher.next();
  assert.ok(c);
  let retry = false;
  for (const change of c.changes) if (view.apply(change)) retry = true;
  return retry;
}

const n1Info = (view: ClusterView): NodeInfo => view.nodeInfos().find((i) => i.node.ID === 'n1')!;

test('a task holds its node by observed state: desired shutdown keeps it, its end frees it', async () => {
  const store = await openTestStore();
  const spec = { Resources: { Reservations: { MemoryBytes: 2 * GiB } } };
  const ports = [{ PublishedPort: 8080, TargetPort: 80, PublishMode: 'host' as const }];
  store.update((tx) => {
    tx.nodes.create(makeNode('n1'));
    tx.tasks.create(makeTask('old', 's', { nodeId: 'n1', state: 'running', spec, ports }));
  });
  const view = new ClusterView();
  const [, watcher] = store.viewAndWatch((tx) => view.load(tx));
  try {
    const get = (id: string): Task => store.view((tx) => tx.tasks.get(id))!;

    // Stop-first replacement: the old task is desired shut down, the new one waits to be placed.
    const stopRequested = await commit(store, watcher, view, (tx) => {
      tx.tasks.update({ ...get('old'), DesiredState: 'shutdown' });
      tx.tasks.create(makeTask('new', 's', { spec, ports }));
    });
    assert.equal(stopRequested, true, 'a new pending task is worth a try');
    assert.deepEqual([...n1Info(view).hostPorts], ['tcp/8080'], 'the old container still binds the port');
    assert.equal(n1Info(view).reservedMemoryBytes, 2 * GiB);
    assert.equal(n1Info(view).activeByService.get('s'), 1);

    const old = get('old');
    const stillRunning = await commit(store, watcher, view, (tx) => tx.tasks.update({ ...old, Status: { ...old.Status, Message: 'still stopping' } }));
    assert.equal(stillRunning, false, 'nothing was freed');

    const stopped = get('old');
    const ended = await commit(store, watcher, view, (tx) => tx.tasks.update({ ...stopped, Status: { ...stopped.Status, State: 'shutdown' } }));
    assert.equal(ended, true, 'the observed end frees the place');
    assert.equal(n1Info(view).hostPorts.size, 0);
    assert.equal(n1Info(view).reservedMemoryBytes, 0);
    assert.equal(n1Info(view).activeTotal, 0);
    assert.deepEqual(
      view.pendingTasks().map((t) => t.ID),
      ['new'],
    );
  } finally {
    watcher.close();
    store.close();
  }
});

test('deleting a task that still runs frees its place and asks for a retry; an inactive one does not', async () => {
  const store = await openTestStore();
  store.update((tx) => {
    tx.nodes.create(makeNode('n1'));
    tx.tasks.create(makeTask('run', 's', { nodeId: 'n1', state: 'running', desired: 'remove' }));
    tx.tasks.create(makeTask('gone', 's', { nodeId: 'n1', state: 'complete' }));
  });
  const view = new ClusterView();
  const [, watcher] = store.viewAndWatch((tx) => view.load(tx));
  try {
    assert.equal(n1Info(view).activeTotal, 1, 'desired remove but still running counts');
    assert.equal(await commit(store, watcher, view, (tx) => tx.tasks.delete('gone')), false);
    assert.equal(await commit(store, watcher, view, (tx) => tx.tasks.delete('run')), true);
    assert.equal(n1Info(view).activeTotal, 0);
  } finally {
    watcher.close();
    store.close();
  }
});
