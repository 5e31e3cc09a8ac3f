// The replicated orchestrator keeps, for each replicated service, exactly Replicas slots with a
// runnable task: it creates tasks for missing slots, removes surplus slots, replaces tasks that
// ended (per the restart policy) or whose node went down or was drained, and rolls stale tasks
// onto the current spec. It writes only tasks' existence and desired state.

import type { Logger } from '../common/log.js';
import { silentLogger } from '../common/log.js';
import { driveLoop, type Commit, type ReadTx, type Store, type Tx } from '../store/index.js';
import { isTerminal, stateRank, type Service, type Task } from '../types/index.js';
import { RestartSupervisor } from './restart.js';
import { isRunnable, isStale, markCurrent, newTask, nodeCanRun, setDesired, specChanged } from './tasks.js';
import { DelayedStarts } from './delayed.js';

export class ReplicatedOrchestrator {
  readonly #dirty = new Set<string>();
  readonly #restarts = new RestartSupervisor();
  readonly #delayed = new DelayedStarts((t) => (t.Slot ?? 0) > 0);
  #allDirty = false;

  constructor(
    private readonly store: Store,
    private readonly log: Logger = silentLogger(),
  ) {}

  run(signal: AbortSignal): Promise<void> {
    return driveLoop(this.store, signal, this, { debounceMs: 10, onError: (err) => this.log.error({ err }, 'replicated orchestrator pass failed') });
  }

  init(tx: ReadTx): void {
    for (const s of tx.services.list()) this.#dirty.add(s.ID);
    this.#delayed.init(tx.tasks.list());
  }

  observe(commit: Commit): void {
    for (const c of commit.changes) {
      if (c.kind === 'service') this.#dirty.add(c.object.ID);
      else if (c.kind === 'task') {
        if ((c.object.Slot ?? 0) > 0) this.#dirty.add(c.object.ServiceID);
        this.#delayed.observe(c.object, c.action);
      } else if (c.kind === 'node') this.#allDirty = true;
    }
  }

  reconcile(): number | undefined {
    this.store.update((tx) => {
      if (this.#allDirty) for (const s of tx.services.list()) this.#dirty.add(s.ID);
      for (const id of this.#dirty) this.#reconcileService(tx, id);
      this.#delayed.promoteDue(tx);
    });
    this.#dirty.clear();
    this.#allDirty = false;
    return this.#delayed.nextWake();
  }

  #reconcileService(tx: Tx, serviceId: string): void {
    const svc = tx.services.get(serviceId);
    const tasks = tx.tasks.byService(serviceId).filter((t) => (t.Slot ?? 0) > 0);
    if (!svc) {
      // Two-phase delete: the service is gone; its tasks are shut down, then reaped.
      for (const t of tasks) setDesired(tx, t, 'remove');
      this.#restarts.forget(serviceId);
      return;
    }
    const replicas = svc.Spec.Mode?.Replicated?.Replicas;
    if (replicas === undefined) return;

    this.#replaceFailed(tx, svc, tasks);
    const slots = runnableSlots(tx.tasks.byService(serviceId).filter((t) => (t.Slot ?? 0) > 0));
    if (slots.size < replicas) this.#scaleUp(tx, svc, slots, replicas - slots.size);
    else if (slots.size > replicas) this.#scaleDown(tx, slots, slots.size - replicas);
    this.#rollStale(tx, svc);
  }

  /** Ended tasks and tasks on nodes that can no longer run them get a replacement in their slot. */
  #replaceFailed(tx: Tx, svc: Service, tasks: Task[]): void {
    const nowMs = Date.now();
    for (const t of tasks) {
      if (!isRunnable(t)) continue;
      const lostNode = !!t.NodeID && !nodeCanRun(tx.nodes.get(t.NodeID)) && !isTerminal(t.Status.State);
      if (lostNode) {
        setDesired(tx, t, 'shutdown');
        tx.tasks.create(newTask(svc, { slot: t.Slot! }));
        continue;
      }
      if (!isTerminal(t.Status.State)) continue;
      // A task that may not restart keeps its slot, finished, as in Swarm.
      if (!this.#restarts.shouldRestart(t, svc, nowMs)) continue;
      this.#restarts.record(t, nowMs);
      setDesired(tx, t, 'shutdown');
      tx.tasks.create(newTask(svc, { slot: t.Slot!, restartAt: nowMs + this.#restarts.delayMs(svc) }));
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

  /**
   * Rolling update, stop-first: replace stale tasks at most Parallelism at a time (0 = all),
   * counting as in flight every current-spec task not yet running. Tasks whose template did not
   * change are marked current without a restart.
   */
  #rollStale(tx: Tx, svc: Service): void {
    const tasks = tx.tasks.byService(svc.ID).filter((t) => (t.Slot ?? 0) > 0 && isRunnable(t));
    const parallelism = svc.Spec.UpdateConfig?.Parallelism ?? 1;
    let inFlight = tasks.filter((t) => !isStale(t, svc) && stateRank(t.Status.State) < stateRank('running')).length;
    for (const t of tasks.sort((a, b) => a.Slot! - b.Slot!)) {
      if (!isStale(t, svc)) continue;
      if (!specChanged(t, svc)) {
        markCurrent(tx, t, svc);
        continue;
      }
      if (parallelism !== 0 && inFlight >= parallelism) continue;
      setDesired(tx, t, 'shutdown');
      tx.tasks.create(newTask(svc, { slot: t.Slot! }));
      inFlight++;
    }
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
