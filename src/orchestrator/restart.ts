// Restart policy with Swarm's semantics: condition none | on-failure | any (default any),
// delay before the replacement may start (default 5 s), and at most MaxAttempts restarts,
// counted within Window when one is set. Like Swarm, the attempt history lives in memory and
// starts afresh for each spec version (an update gives a fixed service new attempts). The
// decision not to restart is recorded on the task (BerthNoRestart), so it survives restarts.

import { DEFAULT_RESTART_CONDITION, DEFAULT_RESTART_DELAY_MS } from '../common/defaults.js';
import { nsToMs } from '../common/time.js';
import type { Service, Task } from '../types/index.js';
import { slotKey } from './tasks.js';

export class RestartSupervisor {
  readonly #history = new Map<string, number[]>();

  /** shouldRestart decides whether a task that ended gets a replacement in its slot. */
  shouldRestart(t: Task, svc: Service, nowMs = Date.now()): boolean {
    const policy = svc.Spec.TaskTemplate?.RestartPolicy ?? {};
    const condition = policy.Condition ?? DEFAULT_RESTART_CONDITION;
    if (condition === 'none') return false;
    // A job task that completed is done; for jobs `any` means on-failure, as in Swarm.
    if ((condition === 'on-failure' || t.JobIteration) && t.Status.State === 'complete') return false;
    const max = policy.MaxAttempts ?? 0;
    if (max === 0) return true;
    return this.#attempts(historyKey(t), nsToMs(policy.Window, 0), nowMs) < max;
  }

  /** record notes a restart of the task's slot. */
  record(t: Task, nowMs = Date.now()): void {
    const key = historyKey(t);
    const list = this.#history.get(key) ?? [];
    list.push(nowMs);
    this.#history.set(key, list);
  }

  /** delayMs is how long a replacement waits before it may start. */
  delayMs(svc: Service): number {
    return nsToMs(svc.Spec.TaskTemplate?.RestartPolicy?.Delay, DEFAULT_RESTART_DELAY_MS);
  }

  /** forget drops the history of a service that is gone. */
  forget(serviceId: string): void {
    for (const key of this.#history.keys()) if (key.startsWith(serviceId + '/')) this.#history.delete(key);
  }

  #attempts(key: string, windowMs: number, nowMs: number): number {
    const list = this.#history.get(key) ?? [];
    if (windowMs === 0) return list.length;
    const recent = list.filter((at) => nowMs - at <= windowMs);
    this.#history.set(key, recent);
    return recent.length;
  }
}

function historyKey(t: Task): string {
  return `${slotKey(t)}/${t.SpecVersion?.Index ?? 0}`;
}
