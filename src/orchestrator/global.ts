// The global orchestrator keeps one runnable task of each global service on every node that
// may run it: not drained and matching the service's constraints. A drained or non-matching
// node's task is shut down; a down node's is left alone until the node returns; a paused node
// keeps what it has but gets nothing new (no new task, no restart, no update); a removed node's
// task is removed. Updates roll node by node with the service's parallelism.

import type { Logger } from '../common/log.js';
import { silentLogger } from '../common/log.js';
import { matchNode, parseConstraints } from '../common/constraints.js';
import type { Store, Tx } from '../store/index.js';
import { isTerminal, type Service, type Task } from '../types/index.js';
import { ServiceOrchestrator } from './service-loop.js';
import { isGlobalTask, isRunnable, newTask, setDesired } from './tasks.js';

export class GlobalOrchestrator extends ServiceOrchestrator {
  constructor(store: Store, log: Logger = silentLogger()) {
    super(store, log, isGlobalTask);
  }

  protected reconcileService(tx: Tx, serviceId: string, restarted: Task[]): number | undefined {
    const nodes = tx.nodes.list();
    const svc = tx.services.get(serviceId);
    const tasks = tx.tasks.byService(serviceId).filter(isGlobalTask);
    if (!svc) {
      for (const t of tasks) setDesired(tx, t, 'remove');
      this.restarts.forget(serviceId);
      this.updater.forget(serviceId);
      return undefined;
    }
    if (!svc.Spec.Mode?.Global) return undefined;
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
    return this.updater.roll(tx, svc, updatable);
  }

  /** Applies the restart policy to ended tasks; returns the tasks still holding the node's place. */
  #restartEnded(tx: Tx, svc: Service, runnable: Task[], restarted: Task[]): Task[] {
    const live: Task[] = [];
    for (const t of runnable) {
      if (!isTerminal(t.Status.State) || t.BerthNoRestart) {
        live.push(t);
        continue;
      }
      if (!this.restarts.shouldRestart(t, svc)) {
        live.push(tx.tasks.update({ ...t, BerthNoRestart: true }));
        continue;
      }
      setDesired(tx, t, 'shutdown');
      live.push(tx.tasks.create(newTask(svc, { slot: 0, nodeId: t.NodeID!, restartAt: Date.now() + this.restarts.delayMs(svc) })));
      restarted.push(t);
    }
    return live;
  }
}
