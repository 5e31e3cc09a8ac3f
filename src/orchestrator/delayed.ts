// Restart delay: a replacement task is created desired READY with BerthRestartAt; when that
// time comes the orchestrator that made it promotes it to desired RUNNING. The agent prepares
// the task meanwhile and starts it only once promoted.

import type { Action, Tx } from '../store/index.js';
import type { Task } from '../types/index.js';

export class DelayedStarts {
  readonly #due = new Map<string, number>();

  constructor(private readonly owns: (t: Task) => boolean) {}

  init(tasks: Task[]): void {
    for (const t of tasks) this.observe(t, 'create');
  }

  observe(t: Task, action: Action): void {
    if (action !== 'delete' && this.owns(t) && t.DesiredState === 'ready' && t.BerthRestartAt) {
      this.#due.set(t.ID, Date.parse(t.BerthRestartAt));
    } else {
      this.#due.delete(t.ID);
    }
  }

  promoteDue(tx: Tx, nowMs = Date.now()): void {
    for (const [id, at] of this.#due) {
      if (at > nowMs) continue;
      this.#due.delete(id);
      const t = tx.tasks.get(id);
      if (t && t.DesiredState === 'ready') tx.tasks.update({ ...t, DesiredState: 'running' });
    }
  }

  nextWake(): number | undefined {
    let min: number | undefined;
    for (const at of this.#due.values()) if (min === undefined || at < min) min = at;
    return min;
  }
}
