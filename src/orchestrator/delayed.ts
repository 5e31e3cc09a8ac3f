// Held starts: a task created desired READY waits until it may run — a restart delay
// (BerthRestartAt) and/or, for a stop-first replacement, until the task it replaces has stopped
// (BerthStartAfter). The orchestrator that made it then promotes it to desired RUNNING. The
// agent prepares the task meanwhile and starts it only once promoted.

import type { Action, ReadTx, Tx } from '../store/index.js';
import { isTerminal, type Task } from '../types/index.js';

interface Hold {
  at: number;
  after?: string;
}

export class HeldStarts {
  readonly #held = new Map<string, Hold>();

  constructor(private readonly owns: (t: Task) => boolean) {}

  init(tasks: Task[]): void {
    for (const t of tasks) this.observe(t, 'create');
  }

  observe(t: Task, action: Action): void {
    const held = action !== 'delete' && this.owns(t) && t.DesiredState === 'ready' && (t.BerthRestartAt || t.BerthStartAfter);
    if (held) this.#held.set(t.ID, { at: t.BerthRestartAt ? Date.parse(t.BerthRestartAt) : 0, after: t.BerthStartAfter });
    else this.#held.delete(t.ID);
  }

  /** promoteDue sets desired RUNNING on tasks whose holds are over. Tracking ends when that commit is observed. */
  promoteDue(tx: Tx, nowMs = Date.now()): void {
    for (const [id, hold] of this.#held) {
      if (hold.at > nowMs || (hold.after && !stopped(tx, hold.after))) continue;
      const t = tx.tasks.get(id);
      if (t && t.DesiredState === 'ready') tx.tasks.update({ ...t, DesiredState: 'running' });
    }
  }

  /** nextWake is the earliest restart delay still running; predecessor holds wake on commits. */
  nextWake(nowMs = Date.now()): number | undefined {
    let min: number | undefined;
    for (const { at } of this.#held.values()) if (at > nowMs && (min === undefined || at < min)) min = at;
    return min;
  }
}

/** A replaced task has stopped when it ended, is gone, or sits on a node that is gone or down. */
function stopped(tx: ReadTx, id: string): boolean {
  const t = tx.tasks.get(id);
  if (!t || isTerminal(t.Status.State)) return true;
  const node = t.NodeID ? tx.nodes.get(t.NodeID) : undefined;
  return !node || node.Status.State === 'down';
}
