// Rolling updates with Swarm's semantics (swarmkit manager/orchestrator/update): stale tasks are
// replaced in Order (stop-first: the old task stops, then the new one starts; start-first: the
// new one starts and the old one stops once it runs), Parallelism at a time, waiting Delay after each batch has come up; every
// replacement is watched for Monitor after it starts, and a failure or early end counts against
// MaxFailureRatio. Past it, FailureAction decides: pause (stop replacing), continue, or rollback
// (swap PreviousSpec back in and roll with RollbackConfig). The service's UpdateStatus tells the
// CLI where it stands: updating → completed | paused, rollback_started → rollback_completed |
// rollback_paused. Like Swarm's updater, progress is kept in memory; after a manager restart an
// update carries on from the tasks' state.

import { DEFAULT_UPDATE_MONITOR_MS } from '../common/defaults.js';
import { now, nsToMs } from '../common/time.js';
import type { Tx } from '../store/index.js';
import { isTerminal, stateRank, type Service, type Task, type UpdateConfig, type UpdateStatus } from '../types/index.js';
import { isGlobalTask, isRunnable, isStale, markCurrent, newTask, setDesired, specChanged } from './tasks.js';

interface Run {
  /** The spec version this run rolls out. */
  version: number;
  rollback: boolean;
  /** Tasks of that version (replacements and their restarts), with when each was first seen running. */
  started: Map<string, number | undefined>;
  failed: Set<string>;
  monitorMs: number;
}

export class Updater {
  readonly #runs = new Map<string, Run>();

  /**
   * observe notes, for every task of the version being rolled out (as Swarm's updater watches
   * them), when it starts and whether it ends early: a task that ends on its own while still
   * wanted — before running (e.g. its image cannot be pulled) or within Monitor of starting —
   * is a failure.
   */
  observe(t: Task, nowMs = Date.now()): void {
    const run = this.#runs.get(t.ServiceID);
    if (!run || t.SpecVersion?.Index !== run.version) return;
    if (!run.started.has(t.ID)) run.started.set(t.ID, undefined);
    if (t.Status.State === 'running' && run.started.get(t.ID) === undefined) run.started.set(t.ID, nowMs);
    const runningAt = run.started.get(t.ID);
    const early = runningAt === undefined || nowMs - runningAt <= run.monitorMs;
    if (isTerminal(t.Status.State) && isRunnable(t) && early && t.Status.State !== 'shutdown') run.failed.add(t.ID);
  }

  forget(serviceId: string): void {
    this.#runs.delete(serviceId);
  }

  /**
   * roll moves the service's runnable tasks onto its current spec; it returns when it wants to
   * be called again (end of a delay or of the monitor period), if ever.
   */
  roll(tx: Tx, svc: Service, runnable: Task[], nowMs = Date.now()): number | undefined {
    // A slot (or node) that already has a current task needs no replacement for its stale one:
    // start-first leaves the old task running until the new one runs, then it stops.
    const current = new Map<string, Task[]>();
    for (const t of runnable) if (!isStale(t, svc)) current.set(place(t), [...(current.get(place(t)) ?? []), t]);
    const changed: Task[] = [];
    for (const t of runnable) {
      if (!isStale(t, svc)) continue;
      if (!specChanged(t, svc)) markCurrent(tx, t, svc);
      else if (!current.has(place(t))) changed.push(t);
      else if (current.get(place(t))!.some((n) => n.Status.State === 'running')) setDesired(tx, t, 'shutdown');
    }
    // UpdateStatus speaks of one spec version: a pause of this version holds (even across a
    // manager restart); an unfinished update of it is resumed.
    const sameVersion = svc.BerthUpdateVersion === svc.BerthSpecVersion;
    const state = svc.UpdateStatus?.State;
    if (sameVersion && (state === 'paused' || state === 'rollback_paused')) return undefined;
    let run = this.#runs.get(svc.ID);
    if (run && run.version !== svc.BerthSpecVersion) run = undefined;
    if (!run) {
      const resuming = sameVersion && (state === 'updating' || state === 'rollback_started');
      if (changed.length === 0 && !resuming) return undefined;
      const rollback = svc.BerthUpdateKind === 'rollback';
      const monitorMs = nsToMs((rollback ? svc.Spec.RollbackConfig : svc.Spec.UpdateConfig)?.Monitor, DEFAULT_UPDATE_MONITOR_MS);
      run = { version: svc.BerthSpecVersion, rollback, started: new Map(), failed: new Set(), monitorMs };
      this.#runs.set(svc.ID, run);
      if (!resuming) {
        setStatus(tx, svc, { State: rollback ? 'rollback_started' : 'updating', StartedAt: now(), Message: rollback ? 'rollback started' : 'update in progress' });
      }
    }
    const status = tx.services.get(svc.ID)!.UpdateStatus;

    const cfg = this.#config(svc, run);
    const failures = run.failed.size;
    if (failures > 0 && failures / Math.max(1, runnable.length) > (cfg.MaxFailureRatio ?? 0)) {
      const culprit = [...run.failed][failures - 1];
      const action = cfg.FailureAction ?? 'pause';
      if (action === 'rollback' && !run.rollback && svc.PreviousSpec) return this.#rollBack(tx, svc, culprit!);
      if (action !== 'continue') {
        this.#runs.delete(svc.ID);
        setStatus(tx, svc, {
          State: run.rollback ? 'rollback_paused' : 'paused',
          StartedAt: status?.StartedAt,
          Message: `${run.rollback ? 'rollback' : 'update'} paused due to failure or early termination of task ${culprit}`,
        });
        return undefined;
      }
    }

    const started = [...run.started.values()].filter((at): at is number => at !== undefined);
    if (changed.length === 0) {
      // Everything replaced: complete once every task runs and the last has been watched for Monitor.
      const watchedUntil = Math.max(0, ...started) + run.monitorMs;
      const waiting = runnable.some((t) => !isStale(t, svc) && stateRank(t.Status.State) < stateRank('running'));
      if (waiting || nowMs < watchedUntil) return waiting ? undefined : watchedUntil;
      this.#runs.delete(svc.ID);
      setStatus(tx, svc, {
        State: run.rollback ? 'rollback_completed' : 'completed',
        StartedAt: status?.StartedAt,
        CompletedAt: now(),
        Message: run.rollback ? 'rollback completed' : 'update completed',
      });
      return undefined;
    }

    const delayMs = nsToMs(cfg.Delay, 0);
    const lastUp = Math.max(0, ...started);
    if (delayMs > 0 && started.length > 0 && nowMs < lastUp + delayMs) return lastUp + delayMs;
    const parallelism = cfg.Parallelism ?? 1;
    const startFirst = cfg.Order === 'start-first';
    let inFlight = runnable.filter((t) => !isStale(t, svc) && stateRank(t.Status.State) < stateRank('running')).length;
    for (const t of changed) {
      if (parallelism !== 0 && inFlight >= parallelism) break;
      if (!startFirst) setDesired(tx, t, 'shutdown');
      const nodeId = isGlobalTask(t) ? t.NodeID : undefined;
      tx.tasks.create(newTask(svc, { slot: t.Slot ?? 0, nodeId, startAfter: startFirst ? undefined : t.ID }));
      inFlight++;
    }
    return undefined;
  }

  /** Swarm's automatic rollback: the previous spec comes back and rolls out with RollbackConfig. */
  #rollBack(tx: Tx, svc: Service, culprit: string): undefined {
    this.#runs.delete(svc.ID);
    const current = tx.services.get(svc.ID)!;
    tx.services.update({
      ...current,
      Spec: current.PreviousSpec!,
      PreviousSpec: current.Spec,
      BerthSpecVersion: tx.index,
      BerthUpdateKind: 'rollback',
      BerthUpdateVersion: tx.index,
      UpdateStatus: { State: 'rollback_started', StartedAt: now(), Message: `update rolled back due to failure or early termination of task ${culprit}` },
    });
    return undefined;
  }

  #config(svc: Service, run: Run): UpdateConfig {
    return (run.rollback ? svc.Spec.RollbackConfig : svc.Spec.UpdateConfig) ?? {};
  }
}

/** The place a task holds: its slot, or its node for a global service. */
function place(t: Task): string {
  return isGlobalTask(t) ? `n/${t.NodeID ?? ''}` : `s/${t.Slot}`;
}

function setStatus(tx: Tx, svc: Service, status: UpdateStatus): void {
  const current = tx.services.get(svc.ID)!;
  const clean = Object.fromEntries(Object.entries(status).filter(([, v]) => v !== undefined)) as UpdateStatus;
  tx.services.update({ ...current, UpdateStatus: clean, BerthUpdateVersion: current.BerthSpecVersion });
}
