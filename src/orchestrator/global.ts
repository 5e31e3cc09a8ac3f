// The global orchestrator keeps one runnable task of each global service on every node that
// may run it: active or paused (paused keeps, never gains), not drained, matching the
// service's constraints. A drained or non-matching node's task is shut down; a down node's is
// left alone until the node returns; a removed node's is removed.

import type { Logger } from '../common/log.js';
import { silentLogger } from '../common/log.js';
import { matchNode, parseConstraints } from '../common/constraints.js';
import { driveLoop, type Commit, type ReadTx, type Store, type Tx } from '../store/index.js';
import { isTerminal, type Node, type Service, type Task } from '../types/index.js';
import { DelayedStarts } from './delayed.js';
import { RestartSupervisor } from './restart.js';
import { isRunnable, isStale, markCurrent, newTask, setDesired, specChanged } from './tasks.js';

const isGlobalTask = (t: Task): boolean => (t.Slot ?? 0) === 0;

export class GlobalOrchestrator {
  readonly #dirty = new Set<string>();
  readonly #restarts = new RestartSupervisor();
  readonly #delayed = new DelayedStarts(isGlobalTask);
  #allDirty = false;

  constructor(
    private readonly store: Store,
    private readonly log: Logger = silentLogger(),
  ) {}

  run(signal: AbortSignal): Promise<void> {
    return driveLoop(this.store, signal, this, { debounceMs: 10, onError: (err) => this.log.error({ err }, 'global orchestrator pass failed') });
  }

  init(tx: ReadTx): void {
    this.#allDirty = true;
    this.#delayed.init(tx.tasks.list());
  }

  observe(commit: Commit): void {
    for (const c of commit.changes) {
      if (c.kind === 'service') this.#dirty.add(c.object.ID);
      else if (c.kind === 'task') {
        if (isGlobalTask(c.object)) this.#dirty.add(c.object.ServiceID);
        this.#delayed.observe(c.object, c.action);
      } else if (c.kind === 'node') this.#allDirty = true;
    }
  }

  reconcile(): number | undefined {
    this.store.update((tx) => {
      if (this.#allDirty) for (const s of tx.services.list()) this.#dirty.add(s.ID);
      const nodes = tx.nodes.list();
      for (const id of this.#dirty) this.#reconcileService(tx, id, nodes);
      this.#delayed.promoteDue(tx);
    });
    this.#dirty.clear();
    this.#allDirty = false;
    return this.#delayed.nextWake();
  }

  #reconcileService(tx: Tx, serviceId: string, nodes: Node[]): void {
    const svc = tx.services.get(serviceId);
    const tasks = tx.tasks.byService(serviceId).filter(isGlobalTask);
    if (!svc) {
      for (const t of tasks) setDesired(tx, t, 'remove');
      this.#restarts.forget(serviceId);
      return;
    }
    if (!svc.Spec.Mode?.Global) return;
    const constraints = parseConstraints(svc.Spec.TaskTemplate?.Placement?.Constraints);
    const byNode = new Map<string, Task[]>();
    for (const t of tasks) if (isRunnable(t)) byNode.set(t.NodeID ?? '', [...(byNode.get(t.NodeID ?? '') ?? []), t]);

    const known = new Set(nodes.map((n) => n.ID));
    for (const [nodeId, list] of byNode) if (!known.has(nodeId)) for (const t of list) setDesired(tx, t, 'remove');

    for (const node of nodes) {
      const runnable = byNode.get(node.ID) ?? [];
      const eligible = node.Spec.Availability !== 'drain' && constraints.every((c) => matchNode(c, node));
      if (!eligible) {
        for (const t of runnable) setDesired(tx, t, 'shutdown');
        continue;
      }
      if (node.Status.State === 'down') continue;
      const live = this.#restartEnded(tx, svc, runnable);
      if (live.length === 0 && node.Spec.Availability === 'active') tx.tasks.create(newTask(svc, { slot: 0, nodeId: node.ID }));
      for (const t of live) this.#refresh(tx, svc, t);
    }
  }

  /** Applies the restart policy to ended tasks; returns the tasks still holding the node's place. */
  #restartEnded(tx: Tx, svc: Service, runnable: Task[]): Task[] {
    const live: Task[] = [];
    for (const t of runnable) {
      if (!isTerminal(t.Status.State) || !this.#restarts.shouldRestart(t, svc)) {
        live.push(t);
        continue;
      }
      this.#restarts.record(t);
      setDesired(tx, t, 'shutdown');
      live.push(tx.tasks.create(newTask(svc, { slot: 0, nodeId: t.NodeID!, restartAt: Date.now() + this.#restarts.delayMs(svc) })));
    }
    return live;
  }

  /** Moves a stale task onto the current spec: in place when nothing it runs changed. */
  #refresh(tx: Tx, svc: Service, t: Task): void {
    if (!isStale(t, svc)) return;
    if (!specChanged(t, svc)) return markCurrent(tx, t, svc);
    setDesired(tx, t, 'shutdown');
    tx.tasks.create(newTask(svc, { slot: 0, nodeId: t.NodeID! }));
  }
}
