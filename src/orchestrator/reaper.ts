// The task reaper deletes task records: tasks desired REMOVE once they are known stopped (or
// can never have run, or their node is gone or down), and the oldest ended tasks of each slot
// beyond the cluster's history limit. Deleting a task is what tells its agent to remove the
// container, so history kept here is also the stopped containers (and logs) users can inspect.

import { DEFAULT_TASK_HISTORY } from '../common/defaults.js';
import type { Logger } from '../common/log.js';
import { silentLogger } from '../common/log.js';
import { driveLoop, type Commit, type ReadTx, type Store, type Tx } from '../store/index.js';
import { isTerminal, stateRank, type Task } from '../types/index.js';
import { isRunnable, slotKey } from './tasks.js';

export class TaskReaper {
  readonly #dirtySlots = new Set<string>();
  readonly #dirtyNodes = new Set<string>();

  constructor(
    private readonly store: Store,
    private readonly log: Logger = silentLogger(),
  ) {}

  run(signal: AbortSignal): Promise<void> {
    return driveLoop(this.store, signal, this, { debounceMs: 20, onError: (err) => this.log.error({ err }, 'task reaper pass failed') });
  }

  init(tx: ReadTx): void {
    for (const t of tx.tasks.list()) this.#dirtySlots.add(slotKey(t));
  }

  observe(commit: Commit): void {
    for (const c of commit.changes) {
      if (c.kind === 'task' && c.action !== 'delete') this.#dirtySlots.add(slotKey(c.object));
      else if (c.kind === 'node') this.#dirtyNodes.add(c.object.ID);
      else if (c.kind === 'cluster') this.#dirtyNodes.add('*');
    }
  }

  reconcile(): undefined {
    this.store.update((tx) => {
      if (this.#dirtyNodes.has('*')) for (const t of tx.tasks.list()) this.#dirtySlots.add(slotKey(t));
      else for (const n of this.#dirtyNodes) for (const t of tx.tasks.byNode(n)) this.#dirtySlots.add(slotKey(t));
      const limit = tx.cluster()?.Spec.Orchestration.TaskHistoryRetentionLimit ?? DEFAULT_TASK_HISTORY;
      const bySlot = new Map<string, Task[]>();
      for (const key of this.#dirtySlots) bySlot.set(key, []);
      const services = new Set([...this.#dirtySlots].map((k) => k.slice(0, k.indexOf('/'))));
      for (const id of services) for (const t of tx.tasks.byService(id)) bySlot.get(slotKey(t))?.push(t);
      for (const tasks of bySlot.values()) this.#reapSlot(tx, tasks, limit);
    });
    this.#dirtySlots.clear();
    this.#dirtyNodes.clear();
  }

  #reapSlot(tx: Tx, tasks: Task[], limit: number): void {
    const history: Task[] = [];
    for (const t of tasks) {
      if (t.DesiredState === 'remove' && this.#stopped(tx, t)) tx.tasks.delete(t.ID);
      // Shut down before reaching a node (e.g. replaced while unschedulable): nothing to keep.
      else if (!isRunnable(t) && stateRank(t.Status.State) < stateRank('assigned')) tx.tasks.delete(t.ID);
      else if (!isRunnable(t) && isTerminal(t.Status.State)) history.push(t);
    }
    history.sort((a, b) => b.Status.Timestamp.localeCompare(a.Status.Timestamp));
    for (const t of history.slice(limit)) tx.tasks.delete(t.ID);
  }

  /** A task is known stopped when it ended, never reached a node, or its node is gone or down. */
  #stopped(tx: Tx, t: Task): boolean {
    if (isTerminal(t.Status.State) || stateRank(t.Status.State) < stateRank('assigned') || !t.NodeID) return true;
    const node = tx.nodes.get(t.NodeID);
    return !node || node.Status.State === 'down';
  }
}
