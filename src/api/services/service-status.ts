// ServiceStatus for `GET /services?status=true`, counted as Swarm's ListServiceStatuses does:
// what `docker service ls` prints as REPLICAS (running/desired).

import { stateRank } from '../../types/index.js';
import type { Node, Service, Task } from '../../types/index.js';

export interface ServiceStatus {
  RunningTasks: number;
  DesiredTasks: number;
  CompletedTasks: number;
}

/**
 * serviceStatus counts one service's tasks. Replicated: desired = Replicas. Global (and global
 * job): the tasks still meant to run on nodes that are not down. Replicated job: what may run
 * now (MaxConcurrent, at most the completions still missing), and the completions so far.
 */
export function serviceStatus(service: Service, all: readonly Task[], node: (id: string) => Node | undefined): ServiceStatus {
  const mode = service.Spec.Mode;
  // A job counts only the tasks of its current iteration.
  const iteration = service.JobStatus?.JobIteration?.Index;
  const tasks = iteration === undefined ? all : all.filter((t) => t.JobIteration?.Index === iteration);
  if (mode?.ReplicatedJob) {
    const completed = tasks.filter((t) => t.Status.State === 'complete').length;
    const running = tasks.filter((t) => t.Status.State === 'running').length;
    const total = mode.ReplicatedJob.TotalCompletions ?? mode.ReplicatedJob.MaxConcurrent ?? 1;
    return { RunningTasks: running, DesiredTasks: Math.min(mode.ReplicatedJob.MaxConcurrent ?? 1, Math.max(0, total - completed)), CompletedTasks: completed };
  }
  const running = tasks.filter((t) => t.Status.State === 'running' && meantToRun(t)).length;
  const completed = tasks.filter((t) => t.Status.State === 'complete').length;
  // A global job's desired tasks are those still to complete; the CLI adds the completed ones.
  const desired = mode?.Global || mode?.GlobalJob
    ? tasks.filter((t) => meantToRun(t) && t.Status.State !== 'complete' && !(t.NodeID && node(t.NodeID)?.Status.State === 'down')).length
    : (mode?.Replicated?.Replicas ?? 1);
  return { RunningTasks: running, DesiredTasks: desired, CompletedTasks: completed };
}

/** Desired ready or running: not being shut down or removed. */
function meantToRun(t: Task): boolean {
  return stateRank(t.DesiredState) <= stateRank('running');
}
