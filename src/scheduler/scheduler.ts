// The scheduler loop: moves pending tasks to assigned. It keeps a ClusterView current from the
// store's watch and, after a burst of commits (50 ms quiet gap, at most 1 s), places every
// pending task in one pass and writes all the decisions in one commit. It writes only what it
// owns: a pending task's NodeID and its move to assigned, or the reason it cannot be placed
// (only when that reason changed, so an unplaceable task causes no commit churn).

import { silentLogger, type Logger } from '../common/log.js';
import { now } from '../common/time.js';
import { driveLoop, type ReconcileLoop, type Store } from '../store/index.js';
import { ClusterView } from './cluster-view.js';
import { isSchedulable } from './node-info.js';
import { placeTasks } from './placement.js';

export interface SchedulerOptions {
  log?: Logger;
  /** Quiet gap after a commit before placing, so a burst of new tasks is placed as one batch. */
  debounceMs?: number;
  /** Longest a stream of commits may postpone placement. */
  maxLatencyMs?: number;
}

export const ASSIGNED_MESSAGE = 'scheduler assigned task to node';
export const PENDING_MESSAGE = 'pending task scheduling';

export class Scheduler {
  readonly #store: Store;
  readonly #log: Logger;
  readonly #debounceMs: number;
  readonly #maxLatencyMs: number;

  constructor(store: Store, opts: SchedulerOptions = {}) {
    this.#store = store;
    this.#log = opts.log ?? silentLogger();
    this.#debounceMs = opts.debounceMs ?? 50;
    this.#maxLatencyMs = opts.maxLatencyMs ?? 1000;
  }

  /** run schedules until the signal aborts; it resolves once the loop has stopped watching. */
  async run(signal: AbortSignal): Promise<void> {
    if (signal.aborted) return;
    const view = new ClusterView();
    // Set when something happened that could let a pending task place (or place differently).
    let dirty = false;
    const loop: ReconcileLoop = {
      init: (tx) => {
        view.load(tx);
        dirty = true;
      },
      observe: (commit) => {
        for (const c of commit.changes) if (view.apply(c)) dirty = true;
      },
      reconcile: () => {
        if (!dirty || view.pendingCount === 0) {
          dirty = false;
          return undefined;
        }
        dirty = false;
        const retry = this.#schedule(view);
        if (!retry) return undefined;
        dirty = true;
        return Date.now() + this.#debounceMs;
      },
    };
    await driveLoop(this.#store, signal, loop, {
      debounceMs: this.#debounceMs,
      maxLatencyMs: this.#maxLatencyMs,
      onError: (err) => {
        dirty = true; // the commit was rolled back: every pending task is still pending
        this.#log.error({ err }, 'scheduler: placement pass failed; retrying');
      },
    });
  }

  /** schedule places every pending task in one commit; it returns true when some decisions were dropped as stale. */
  #schedule(view: ClusterView): boolean {
    const started = performance.now();
    const { assignments, unplaced } = placeTasks(view.nodeInfos(), view.pendingTasks());
    const timestamp = now();
    let assigned = 0;
    let explained = 0;
    let stale = 0;
    this.#store.update((tx) => {
      for (const [taskId, nodeId] of assignments) {
        const t = tx.tasks.get(taskId);
        if (!t || !isSchedulable(t)) continue;
        // The decision rests on the node as the view saw it; if it changed since, decide again.
        const node = tx.nodes.get(nodeId);
        if (!node || node.Version.Index !== view.node(nodeId)?.Version.Index || (t.NodeID && t.NodeID !== nodeId)) {
          stale++;
          continue;
        }
        tx.tasks.update({ ...t, NodeID: nodeId, Status: { State: 'assigned', Message: ASSIGNED_MESSAGE, Timestamp: timestamp } });
        assigned++;
      }
      for (const [taskId, reason] of unplaced) {
        const t = tx.tasks.get(taskId);
        if (!t || !isSchedulable(t) || t.Status.Err === reason) continue;
        tx.tasks.update({ ...t, Status: { State: 'pending', Message: PENDING_MESSAGE, Err: reason, Timestamp: timestamp } });
        explained++;
      }
    });
    this.#log.debug(
      { assigned, unplaced: unplaced.size, explained, stale, ms: Math.round(performance.now() - started) },
      'scheduler: placement pass',
    );
    return stale > 0;
  }
}
