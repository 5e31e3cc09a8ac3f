// The replicated orchestrator keeps, for each replicated service, exactly Replicas slots with a
// runnable task: it creates tasks for missing slots, removes surplus slots, replaces tasks that
// ended (per the restart policy) or whose node went down or was drained, and rolls stale tasks
// onto the current spec. It writes only tasks' existence and desired state.

import type { Logger } from '../common/log.js';
import { silentLogger } from '../common/log.js';
import type { Store, Tx } from '../store/index.js';
import { isTerminal, type Service, type Task } from '../types/index.js';
import { ServiceOrchestrator } from './service-loop.js';
import { isReplicatedTask, isRunnable, newTask, nodeCanRun, setDesired } from './tasks.js';

export class ReplicatedOrchestrator extends ServiceOrchestrator {
  constructor(store: Store, log: Logger = silentLogger()) {
    super(store, log, isReplicatedTask);
  }

  protected reconcileService(tx: Tx, serviceId: string, restarted: Task[]): number | undefined {
    const svc = tx.services.get(serviceId);
    const tasks = () => tx.tasks.byService(serviceId).filter(isReplicatedTask);
    if (!svc) {
      // Two-phase delete: the service is gone; its tasks are shut down, then reaped.
      for (const t of tasks()) setDesired(tx, t, 'remove');
      this.restarts.forget(serviceId);
      this.updater.forget(serviceId);
      return undefined;
    }
    const replicas = svc.Spec.Mode?.Replicated?.Replicas;
    if (replicas === undefined) return undefined;

    this.#replaceFailed(tx, svc, tasks(), restarted);
    const slots = runnableSlots(tasks());
    if (slots.size < replicas) this.#scaleUp(tx, svc, slots, replicas - slots.size);
    else if (slots.size > replicas) this.#scaleDown(tx, slots, slots.size - replicas);
    return this.updater.roll(tx, svc, tasks().filter(isRunnable).sort((a, b) => a.Slot! - b.Slot!));
  }

  /** Ended tasks and tasks on nodes that can no longer run them get a replacement in their slot. */
  #replaceFailed(tx: Tx, svc: Service, tasks: Task[], restarted: Task[]): void {
    const nowMs = Date.now();
    for (const t of tasks) {
      if (!isRunnable(t) || t.BerthNoRestart) continue;
      if (t.NodeID && !nodeCanRun(tx.nodes.get(t.NodeID)) && !isTerminal(t.Status.State)) {
        // The node is lost or drained: replace at once, whatever the restart policy says.
        setDesired(tx, t, 'shutdown');
        tx.tasks.create(newTask(svc, { slot: t.Slot! }));
        continue;
      }
      if (!isTerminal(t.Status.State)) continue;
      if (!this.restarts.shouldRestart(t, svc, nowMs)) {
        // As in Swarm, a task that may not restart keeps its slot, finished.
        tx.tasks.update({ ...t, BerthNoRestart: true });
        continue;
      }
      setDesired(tx, t, 'shutdown');
      tx.tasks.create(newTask(svc, { slot: t.Slot!, restartAt: nowMs + this.restarts.delayMs(svc) }));
      restarted.push(t);
    }
  }

  #scaleUp(tx: Tx, svc: Service, slots: Map<number, Task[]>, count: number): void {
    for (let slot = 1; count > 0; slot++) {
      if (slots.has(slot)) continue;
      tx.tasks.create(newTask(svc, { slot }));
      count--;
    }
  }

  /** Removes surplus slots: not-yet-running ones first, then those on the busiest nodes, then the highest. */
  #scaleDown(tx: Tx, slots: Map<number, Task[]>, count: number): void {
    const perNode = new Map<string, number>();
    for (const list of slots.values()) for (const t of list) if (t.NodeID) perNode.set(t.NodeID, (perNode.get(t.NodeID) ?? 0) + 1);
    const ranked = [...slots.entries()].sort(([sa, a], [sb, b]) => {
      const running = (l: Task[]): number => (l.some((t) => t.Status.State === 'running') ? 1 : 0);
      const load = (l: Task[]): number => Math.max(...l.map((t) => perNode.get(t.NodeID ?? '') ?? 0));
      return running(a) - running(b) || load(b) - load(a) || sb - sa;
    });
    for (const [, list] of ranked.slice(0, count)) for (const t of list) setDesired(tx, t, 'remove');
  }
}

/** runnableSlots groups the tasks the manager still wants to run by slot. */
function runnableSlots(tasks: Task[]): Map<number, Task[]> {
  const slots = new Map<number, Task[]>();
  for (const t of tasks) {
    if (!isRunnable(t)) continue;
    const list = slots.get(t.Slot!) ?? [];
    list.push(t);
    slots.set(t.Slot!, list);
  }
  return slots;
}
