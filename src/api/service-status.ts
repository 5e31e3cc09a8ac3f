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
 * serviceStatus counts one service's tasks. Replicated: desired = Replicas. Global: the tasks
 * still meant to run (desired state not yet shutdown) on nodes that are not down.
 */
export function serviceStatus(service: Service, tasks: readonly Task[], node: (id: string) => Node | undefined): ServiceStatus {
  const mode = service.Spec.Mode;
  const running = tasks.filter((t) => t.Status.State === 'running' && meantToRun(t)).length;
  const completed = tasks.filter((t) => t.Status.State === 'complete').length;
  const desired = mode?.Global
    ? tasks.filter((t) => meantToRun(t) && !(t.NodeID && node(t.NodeID)?.Status.State === 'down')).length
    : (mode?.Replicated?.Replicas ?? 1);
  return { RunningTasks: running, DesiredTasks: desired, CompletedTasks: completed };
}

/** Desired ready or running: not being shut down or removed. */
function meantToRun(t: Task): boolean {
  return stateRank(t.DesiredState) <= stateRank('running');
}
