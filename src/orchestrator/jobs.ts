// The jobs orchestrator runs services in the job modes (Swarm's semantics): a replicated job
// runs tasks to completion until TotalCompletions tasks have completed, at most MaxConcurrent at
// a time; a global job runs one task to completion on every eligible node. Each spec change is a
// new job iteration (Service.JobStatus.JobIteration, set with the spec): tasks of older
// iterations still running are shut down. A failed task is restarted in its slot per the
// restart policy (`any` counts as on-failure for jobs); a completed one is done, and its desired
// state becomes COMPLETE, as Swarm shows it.

import type { Logger } from '../common/log.js';
import { silentLogger } from '../common/log.js';
import { matchNode, parseConstraints } from '../common/constraints.js';
import type { Store, Tx } from '../store/index.js';
import { isTerminal, type Service, type Task } from '../types/index.js';
import { ServiceOrchestrator } from './service-loop.js';
import { isJobTask, isRunnable, newTask, setDesired } from './tasks.js';

export class JobsOrchestrator extends ServiceOrchestrator {
  constructor(store: Store, log: Logger = silentLogger()) {
    super(store, log, isJobTask);
  }

  protected reconcileService(tx: Tx, serviceId: string, restarted: Task[]): undefined {
    const svc = tx.services.get(serviceId);
    const tasks = tx.tasks.byService(serviceId).filter(isJobTask);
    if (!svc) {
      for (const t of tasks) setDesired(tx, t, 'remove');
      this.restarts.forget(serviceId);
      return;
    }
    const mode = svc.Spec.Mode;
    const iteration = svc.JobStatus?.JobIteration?.Index;
    if ((!mode?.ReplicatedJob && !mode?.GlobalJob) || iteration === undefined) return;

    const current: Task[] = [];
    for (const t of tasks) {
      if (t.JobIteration?.Index !== iteration) {
        if (isRunnable(t) && !isTerminal(t.Status.State)) setDesired(tx, t, 'shutdown');
        continue;
      }
      if (t.Status.State === 'complete' && isRunnable(t)) setDesired(tx, t, 'complete');
      else if (isRunnable(t) && isTerminal(t.Status.State) && !t.BerthNoRestart) {
        current.push(this.#restart(tx, svc, t, iteration, restarted));
        continue;
      }
      current.push(t);
    }
    if (mode.ReplicatedJob) this.#replicated(tx, svc, current, iteration);
    else this.#global(tx, svc, current, iteration);
  }

  /** A failed job task gets a replacement in its slot (after the delay), or keeps its slot, failed. */
  #restart(tx: Tx, svc: Service, t: Task, iteration: number, restarted: Task[]): Task {
    if (!this.restarts.shouldRestart(t, svc)) return tx.tasks.update({ ...t, BerthNoRestart: true });
    setDesired(tx, t, 'shutdown');
    restarted.push(t);
    const nodeId = svc.Spec.Mode?.GlobalJob ? t.NodeID : undefined;
    return tx.tasks.create(newTask(svc, { slot: t.Slot ?? 0, nodeId, jobIteration: iteration, restartAt: Date.now() + this.restarts.delayMs(svc) }));
  }

  #replicated(tx: Tx, svc: Service, current: Task[], iteration: number): void {
    const maxConcurrent = Math.max(1, svc.Spec.Mode!.ReplicatedJob!.MaxConcurrent ?? 1);
    const total = svc.Spec.Mode!.ReplicatedJob!.TotalCompletions ?? maxConcurrent;
    const completed = current.filter((t) => t.Status.State === 'complete').length;
    const running = current.filter((t) => isRunnable(t) && !isTerminal(t.Status.State)).length;
    const givenUp = current.filter((t) => t.BerthNoRestart).length;
    let toCreate = Math.min(maxConcurrent - running, total - completed - running - givenUp);
    // Job slots count from 0, as Swarm's (the CLI's job progress walks slots 0..N-1).
    let slot = current.length === 0 ? 0 : Math.max(...current.map((t) => t.Slot ?? 0)) + 1;
    while (toCreate-- > 0) tx.tasks.create(newTask(svc, { slot: slot++, jobIteration: iteration }));
  }

  #global(tx: Tx, svc: Service, current: Task[], iteration: number): void {
    const constraints = parseConstraints(svc.Spec.TaskTemplate?.Placement?.Constraints);
    const covered = new Set(current.map((t) => t.NodeID));
    for (const node of tx.nodes.list()) {
      if (covered.has(node.ID) || node.Status.State !== 'ready' || node.Spec.Availability !== 'active') continue;
      if (!constraints.every((c) => matchNode(c, node))) continue;
      tx.tasks.create(newTask(svc, { slot: 0, nodeId: node.ID, jobIteration: iteration }));
    }
  }
}
