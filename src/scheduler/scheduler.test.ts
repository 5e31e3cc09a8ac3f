import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Store, type Watcher } from '../store/index.js';
import { openTestStore } from '../../test/helpers/store.js';
import type { Task } from '../types/index.js';
import { ASSIGNED_MESSAGE, PENDING_MESSAGE, Scheduler } from './scheduler.js';
import { GiB, countByNode, makeNode, makeTask, makeTasks } from './test-fixtures.js';

interface Running {
  store: Store;
  stop: () => Promise<void>;
}

/** start runs a Scheduler on a fresh in-memory store seeded by `seed`. */
async function start(seed: (store: Store) => void): Promise<Running> {
  const store = await openTestStore();
  seed(store);
  const ac = new AbortController();
  const done = new Scheduler(store, { debounceMs: 5, maxLatencyMs: 200 }).run(ac.signal);
  return {
    store,
    stop: async () => {
      ac.abort();
      await done;
      store.close();
    },
  };
}

async function waitFor<T>(what: string, probe: () => T | undefined | false, timeoutMs = 3000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

const getTask = (store: Store, id: string): Task | undefined => store.view((tx) => tx.tasks.get(id));

function assignments(store: Store): Map<string, string> {
  const out = new Map<string, string>();
  for (const t of store.view((tx) => tx.tasks.list())) if (t.Status.State === 'assigned') out.set(t.ID, t.NodeID!);
  return out;
}

test('places seeded pending tasks with spread and writes only the assigned status', async () => {
  const s = await start((store) =>
    store.update((tx) => {
      for (const id of ['n1', 'n2', 'n3']) tx.nodes.create(makeNode(id));
      for (const t of makeTasks(6, 't', 's')) tx.tasks.create(t);
      tx.tasks.create(makeTask('delayed', 'd', { desired: 'ready' }));
      tx.tasks.create(makeTask('unwanted', 'u', { desired: 'shutdown' }));
    }),
  );
  try {
    await waitFor('7 assignments', () => assignments(s.store).size === 7);
    const placed = assignments(s.store);
    placed.delete('delayed');
    assert.deepEqual(countByNode(placed), new Map([['n1', 2], ['n2', 2], ['n3', 2]]));
    const t1 = getTask(s.store, 't1')!;
    assert.deepEqual(Object.keys(t1.Status).sort(), ['Message', 'State', 'Timestamp']);
    assert.equal(t1.Status.Message, ASSIGNED_MESSAGE);
    assert.equal(getTask(s.store, 'unwanted')!.Status.State, 'pending', 'desired shutdown is never scheduled');
  } finally {
    await s.stop();
  }
});

test('a burst of new tasks is assigned in a single commit', async () => {
  const s = await start((store) => store.update((tx) => ['n1', 'n2'].forEach((id) => tx.nodes.create(makeNode(id)))));
  let watcher: Watcher | undefined;
  try {
    watcher = s.store.watch();
    for (let k = 0; k < 5; k++) s.store.update((tx) => makeTasks(10, `b${k}-`, 's').forEach((t) => tx.tasks.create(t)));
    const perCommit: number[] = [];
    while (perCommit.reduce((a, b) => a + b, 0) < 50) {
      const c = await watcher.next();
      assert.ok(c);
      const n = c.changes.filter((x) => x.kind === 'task' && x.action === 'update' && x.object.Status.State === 'assigned').length;
      if (n > 0) perCommit.push(n);
    }
    assert.deepEqual(perCommit, [50]);
  } finally {
    watcher?.close();
    await s.stop();
  }
});

test('an unplaceable task gets its reason once, then places when a node gains the label', async () => {
  const spec = { Placement: { Constraints: ['node.labels.zone==a'] } };
  const s = await start((store) =>
    store.update((tx) => {
      tx.nodes.create(makeNode('n1'));
      tx.nodes.create(makeNode('n2', { state: 'down' }));
      tx.tasks.create(makeTask('t1', 's', { spec }));
    }),
  );
  try {
    const reason = 'no suitable node (1 node not available for new tasks; scheduling constraints not satisfied on 1 node)';
    const pending = await waitFor('the reason', () => {
      const t = getTask(s.store, 't1');
      return t?.Status.Err === reason && t;
    });
    assert.equal(pending.Status.State, 'pending');
    assert.equal(pending.Status.Message, PENDING_MESSAGE);

    // A node change that does not help must not rewrite the same reason.
    const n2 = s.store.view((tx) => tx.nodes.get('n2'))!;
    s.store.update((tx) => tx.nodes.update({ ...n2, Spec: { ...n2.Spec, Labels: { zone: 'b' } } }));
    await new Promise((r) => setTimeout(r, 60));
    assert.equal(getTask(s.store, 't1')!.Version.Index, pending.Version.Index, 'no churn commit');

    const n1 = s.store.view((tx) => tx.nodes.get('n1'))!;
    s.store.update((tx) => tx.nodes.update({ ...n1, Spec: { ...n1.Spec, Labels: { zone: 'a' } } }));
    const placed = await waitFor('assignment', () => {
      const t = getTask(s.store, 't1');
      return t?.Status.State === 'assigned' && t;
    });
    assert.equal(placed.NodeID, 'n1');
    assert.equal(placed.Status.Err, undefined);
  } finally {
    await s.stop();
  }
});

test('a task that ends frees its reservation for a pending task', async () => {
  const spec = { Resources: { Reservations: { MemoryBytes: 2 * GiB } } };
  const s = await start((store) =>
    store.update((tx) => {
      tx.nodes.create(makeNode('n1', { memoryBytes: 3 * GiB }));
      tx.tasks.create(makeTask('old', 's', { spec, nodeId: 'n1', state: 'running' }));
      tx.tasks.create(makeTask('new', 's', { spec }));
    }),
  );
  try {
    await waitFor('insufficient memory', () => getTask(s.store, 'new')?.Status.Err === 'no suitable node (1 node has insufficient memory)');
    const old = getTask(s.store, 'old')!;
    s.store.update((tx) => tx.tasks.update({ ...old, Status: { ...old.Status, State: 'complete' } }));
    await waitFor('assignment', () => getTask(s.store, 'new')?.NodeID === 'n1');
  } finally {
    await s.stop();
  }
});

test('stop-first replacement: the new task waits for the old one to be observed stopped, not just desired', async () => {
  const ports = [{ PublishedPort: 8080, TargetPort: 80, PublishMode: 'host' as const }];
  const s = await start((store) =>
    store.update((tx) => {
      tx.nodes.create(makeNode('n1'));
      tx.tasks.create(makeTask('old', 's', { nodeId: 'n1', state: 'running', ports }));
    }),
  );
  try {
    const old = getTask(s.store, 'old')!;
    s.store.update((tx) => {
      tx.tasks.update({ ...old, DesiredState: 'shutdown' });
      tx.tasks.create(makeTask('new', 's', { ports }));
    });
    await waitFor('port reason', () => getTask(s.store, 'new')?.Status.Err === 'no suitable node (host-mode port already in use on 1 node)');
    assert.equal(getTask(s.store, 'new')!.Status.State, 'pending');

    const stopping = getTask(s.store, 'old')!;
    s.store.update((tx) => tx.tasks.update({ ...stopping, Status: { ...stopping.Status, State: 'shutdown' } }));
    const placed = await waitFor('assignment', () => {
      const t = getTask(s.store, 'new');
      return t?.Status.State === 'assigned' && t;
    });
    assert.equal(placed.NodeID, 'n1');
  } finally {
    await s.stop();
  }
});

test('a global task waits on its preset node until the node is active', async () => {
  const s = await start((store) =>
    store.update((tx) => {
      tx.nodes.create(makeNode('n1', { availability: 'pause' }));
      tx.nodes.create(makeNode('n2'));
      tx.tasks.create(makeTask('g1', 'g', { nodeId: 'n1' }));
      tx.tasks.create(makeTask('g2', 'g', { nodeId: 'n2' }));
    }),
  );
  try {
    await waitFor('g2 assigned', () => getTask(s.store, 'g2')?.Status.State === 'assigned');
    await waitFor('g1 reason', () => getTask(s.store, 'g1')?.Status.Err === 'no suitable node (1 node not available for new tasks)');
    const n1 = s.store.view((tx) => tx.nodes.get('n1'))!;
    s.store.update((tx) => tx.nodes.update({ ...n1, Spec: { ...n1.Spec, Availability: 'active' } }));
    const g1 = await waitFor('g1 assigned', () => {
      const t = getTask(s.store, 'g1');
      return t?.Status.State === 'assigned' && t;
    });
    assert.equal(g1.NodeID, 'n1');
  } finally {
    await s.stop();
  }
});

test('run stops promptly when the signal aborts', async () => {
  const store = await openTestStore();
  store.update((tx) => tx.nodes.create(makeNode('n1')));
  const ac = new AbortController();
  const done = new Scheduler(store).run(ac.signal);
  await new Promise((r) => setTimeout(r, 20));
  const t0 = Date.now();
  ac.abort();
  await done;
  assert.ok(Date.now() - t0 < 100, 'run resolved promptly');
  store.update((tx) => tx.tasks.create(makeTask('late', 's')));
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(getTask(store, 'late')!.Status.State, 'pending', 'a stopped scheduler places nothing');
  store.close();
});
