// The global orchestrator keeps one runnable task of each global service on every node that
// may run it: not drained and matching the service's constraints. A drained or non-matching
// node's task is shut down; a down node's is left alone until the node returns; a paused node
// keeps what it has but gets nothing new (no new task, no restart, no update); a removed node's
// task is removed. Updates roll node by node with the service's parallelism.

import type { Logger } from '../common/log.js';
import { silentLogger } from '../common/log.js';
import { matchNode, parseConstraints } from '../common/constraints.js';
import { driveLoop, type Commit, type ReadTx, type Store, type Tx } from '../store/index.js';
import { isTerminal, type Node, type Service, type Task } from '../types/index.js';
import { HeldStarts } from './delayed.js';
import { RestartSupervisor } from './restart.js';
import { isGlobalTask, isRunnable, newTask, rollStale, setDesired } from './tasks.js';

export class GlobalOrchestrator {
  readonly #dirty = new Set<string>();
  readonly #restarts = new RestartSupervisor();
  readonly #held = new HeldStarts(isGlobalTask);
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
    this.#held.init(tx.tasks.list());
  }

  observe(commit: Commit): void {
    for (const c of commit.changes) {
      if (c.kind === 'service') this.#dirty.add(c.object.ID);
      else if (c.kind === 'task') {
        if (isGlobalTask(c.object)) this.#dirty.add(c.object.ServiceID);
        this.#held.observe(c.object, c.action);
      } else if (c.kind === 'node') this.#allDirty = true;
    }
  }

  reconcile(): number | undefined {
    const restarted: Task[] = [];
    this.store.update((tx) => {
      if (this.#allDirty) for (const s of tx.services.list()) this.#dirty.add(s.ID);
      const nodes = tx.nodes.list();
      for (const id of this.#dirty) {
        try {
          this.#reconcileService(tx, id, nodes, restarted);
        } catch (err) {
          this.log.error({ err, service: id }, 'reconciling service failed');
        }
      }
      this.#held.promoteDue(tx);
    });
    for (const t of restarted) this.#restarts.record(t);
    this.#dirty.clear();
    this.#allDirty = false;
    return this.#held.nextWake();
  }

  #reconcileService(tx: Tx, serviceId: string, nodes: Node[], restarted: Task[]): void {
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

    const updatable: Task[] = [];
    for (const node of nodes) {
      const runnable = byNode.get(node.ID) ?? [];
      const eligible = node.Spec.Availability !== 'drain' && constraints.every((c) => matchNode(c, node));
      if (!eligible) {
        for (const t of runnable) setDesired(tx, t, 'shutdown');
        continue;
      }
      if (node.Status.State === 'down' || node.Spec.Availability === 'pause') continue;
      const live = this.#restartEnded(tx, svc, runnable, restarted);
      if (live.length === 0) tx.tasks.create(newTask(svc, { slot: 0, nodeId: node.ID }));
      updatable.push(...live);
    }
    rollStale(tx, svc, updatable);
  }

  /** Applies the restart policy to ended tasks; returns the tasks still holding the node's place. */
  #restartEnded(tx: Tx, svc: Service, runnable: Task[], restarted: Task[]): Task[] {
    const live: Task[] = [];
    for (const t of runnable) {
      if (!isTerminal(t.Status.State) || t.BerthNoRestart) {
        live.push(t);
        continue;
      }
      if (!this.#restarts.shouldRestart(t, svc)) {
        live.push(tx.tasks.update({ ...t, BerthNoRestart: true }));
        continue;
      }
      setDesired(tx, t, 'shutdown');
      live.push(tx.tasks.create(newTask(svc, { slot: 0, nodeId: t.NodeID!, restartAt: Date.now() + this.#restarts.delayMs(svc) })));
      restarted.push(t);
    }
    return live;
  }
}
