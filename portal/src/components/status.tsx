import { Badge } from '@mantine/core';
import type { Node, Service, TaskState } from '../api/types';

const TASK_COLOR: Partial<Record<TaskState, string>> = {
  running: 'green',
  complete: 'teal',
  failed: 'red',
  rejected: 'red',
  orphaned: 'orange',
  shutdown: 'gray',
  remove: 'gray',
};

export function TaskStateBadge({ state }: { state: TaskState }) {
  return (
    <Badge color={TASK_COLOR[state] ?? 'blue'} variant="light">
      {state}
    </Badge>
  );
}

export function NodeStateBadge({ node }: { node: Node }) {
  const color = node.Status.State === 'ready' ? 'green' : node.Status.State === 'down' ? 'red' : 'orange';
  return (
    <Badge color={color} variant="light">
      {node.Status.State}
    </Badge>
  );
}

export type Health = 'converged' | 'updating' | 'failing' | 'starting';

/** health sums a service up as the dashboard counts it. */
export function serviceHealth(s: Service): Health {
  const u = s.UpdateStatus?.State;
  if (u === 'updating' || u === 'rollback_started') return 'updating';
  if (u === 'paused' || u === 'rollback_paused') return 'failing';
  const st = s.ServiceStatus;
  if (!st || st.RunningTasks >= st.DesiredTasks) return 'converged';
  return 'starting';
}

const HEALTH_COLOR: Record<Health, string> = { converged: 'green', updating: 'blue', failing: 'red', starting: 'orange' };

export function HealthBadge({ health }: { health: Health }) {
  return (
    <Badge color={HEALTH_COLOR[health]} variant="light">
      {health}
    </Badge>
  );
}

export function replicas(s: Service): string {
  const st = s.ServiceStatus;
  if (s.Spec.Mode.ReplicatedJob || s.Spec.Mode.GlobalJob) return `${st?.CompletedTasks ?? 0}/${s.Spec.Mode.ReplicatedJob?.TotalCompletions ?? st?.DesiredTasks ?? 0} completed`;
  return `${st?.RunningTasks ?? 0}/${st?.DesiredTasks ?? 0}`;
}

export function mode(s: Service): string {
  const m = s.Spec.Mode;
  return m.Replicated ? 'replicated' : m.Global ? 'global' : m.ReplicatedJob ? 'replicated job' : 'global job';
}
