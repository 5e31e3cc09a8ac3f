// ServiceStatus for `GET /services?status=true`, counted as Swarm's ListServiceStatuses does:
// what `docker service ls` prints as REPLICAS (running/desired).

import { stateRank } from '../types/index.js';
import type { Node, Service, Task } from '../types/index.js';

export interface ServiceStatus {
  RunningTasks: number;
  DesiredTasks: number;
  CompletedTasks: number;
}

/**
 * serviceStatus counts one service's tasks. Replicated: desired = Replicas. Global modes: the
 * tasks still meant to run (desired state not yet shutdown) on nodes that are not down.
 * Replicated jobs: the completions still missing, at most MaxConcurrent at a time.
 */
export function serviceStatus(service: Service, tasks: readonly Task[], node: (id: string) => Node | undefined): ServiceStatus {
  const mode = service.Spec.Mode;
  const running = tasks.filter((t) => t.Status.State === 'running' && meantToRun(t)).length;
  const completed = tasks.filter((t) => t.Status.State === 'complete').length;
  let desired: number;
  if (mode?.Global || mode?.GlobalJob) {
    desired = tasks.filter((t) => meantToRun(t) && !(t.NodeID && node(t.NodeID)?.Status.State === 'down')).length;
  } else if (mode?.ReplicatedJob) {
    const max = mode.ReplicatedJob.MaxConcurrent ?? 1;
    const total = mode.ReplicatedJob.TotalCompletions ?? max;
    desired = Math.max(0, Math.min(max, total - completed));
  } else {
    desired = mode?.Replicated?.Replicas ?? 1;
  }
  return { RunningTasks: running, DesiredTasks: desired, CompletedTasks: completed };
}

/** Desired running (services) or complete (jobs): not being shut down or removed. */
function meantToRun(t: Task): boolean {
  return stateRank(t.DesiredState) <= stateRank('complete');
}
