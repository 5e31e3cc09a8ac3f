// Has a service converged? The docker CLI's rule (cli/command/service/progress): from the tasks of
// the current spec version, on nodes that are not down, take the newest task of each slot
// (replicated) or node (global); the service has converged when each of them is running and
// meant to run, and for replicated services there are Replicas of them.

import { isTerminal, stateRank } from '../../types/index.js';
import type { ApiNode, ApiService, ApiTask } from './api-types.js';
import { shortId } from './format.js';

export interface SlotView {
  /** "2/3" for the second replicated slot of three; the short node ID for global services. */
  label: string;
  /** The newest task of the slot, absent while the orchestrator has not made one. */
  task?: ApiTask;
}

export interface Convergence {
  converged: boolean;
  running: number;
  desired: number;
  slots: SlotView[];
}

/** assessConvergence is pure: it judges one poll's service, up-to-date tasks and nodes. */
export function assessConvergence(service: ApiService, tasks: readonly ApiTask[], nodes: readonly ApiNode[]): Convergence {
  const down = new Set(nodes.filter((n) => n.Status.State === 'down').map((n) => n.ID));
  const live = tasks.filter((t) => !(t.NodeID && down.has(t.NodeID)));
  return service.Spec.Mode?.Global ? assessGlobal(live) : assessReplicated(service.Spec.Mode?.Replicated?.Replicas ?? 1, live);
}

function assessReplicated(replicas: number, tasks: readonly ApiTask[]): Convergence {
  const bySlot = newestBy(tasks, (t) => String(t.Slot ?? 0));
  const shown = [...bySlot.values()].filter(shownTask).sort((a, b) => (a.Slot ?? 0) - (b.Slot ?? 0));
  const slots: SlotView[] = Array.from({ length: replicas }, (_, i) => ({ label: `${i + 1}/${replicas}`, task: shown[i] }));
  // Surplus slots still running (a scale-down in progress) count, so the service is not yet converged.
  const running = shown.filter(isRunning).length;
  return { converged: running === replicas, running, desired: replicas, slots };
}

function assessGlobal(tasks: readonly ApiTask[]): Convergence {
  const byNode = newestBy(
    tasks.filter((t) => t.NodeID),
    (t) => t.NodeID!,
  );
  const shown = [...byNode.values()].filter(shownTask).sort((a, b) => a.NodeID!.localeCompare(b.NodeID!));
  const running = shown.filter(isRunning).length;
  return {
    // Swarm creates the tasks of all eligible nodes at once, so no tasks yet means not started.
    converged: shown.length > 0 && running === shown.length,
    running,
    desired: shown.length,
    slots: shown.map((t) => ({ label: shortId(t.NodeID!), task: t })),
  };
}

/** A slot counts while its task is meant to run, or when it failed with an error worth showing. */
function shownTask(t: ApiTask): boolean {
  return !isTerminal(t.DesiredState) || !!t.Status.Err;
}

function isRunning(t: ApiTask): boolean {
  return t.Status.State === 'running' && !isTerminal(t.DesiredState);
}

/** newestBy keeps the newest task per key; in a tie the one meant to run wins, as in the docker CLI. */
function newestBy(tasks: readonly ApiTask[], key: (t: ApiTask) => string): Map<string, ApiTask> {
  const out = new Map<string, ApiTask>();
  for (const t of tasks) {
    const k = key(t);
    const prev = out.get(k);
    if (!prev || isNewer(t, prev)) out.set(k, t);
  }
  return out;
}

function isNewer(a: ApiTask, b: ApiTask): boolean {
  if (a.CreatedAt !== b.CreatedAt) return a.CreatedAt > b.CreatedAt;
  return stateRank(a.DesiredState) < stateRank(b.DesiredState);
}

/** stuckReport lists, for a service that did not converge, each slot that is not running and why. */
export function stuckReport(serviceName: string, conv: Convergence): string[] {
  const lines: string[] = [];
  for (const { label, task } of conv.slots) {
    if (task && isRunning(task)) continue;
    if (!task) {
      lines.push(`${label}: no task yet`);
      continue;
    }
    const name = `${serviceName}.${task.Slot || task.NodeID}`;
    const why = task.Status.Err || task.Status.Message;
    lines.push(`${name} (task ${shortId(task.ID)}): ${task.Status.State}${why && why !== task.Status.State ? `: ${why}` : ''}`);
  }
  if (conv.slots.length === 0) lines.push('no tasks have been created for the current spec yet');
  return lines;
}
