// Task states exactly as Swarm orders them. A task's observed state (Status.State) and its
// desired state only ever move forward along this order; `advance` enforces that.

export const TASK_STATES = [
  'new',
  'pending',
  'assigned',
  'accepted',
  'preparing',
  'ready',
  'starting',
  'running',
  'complete',
  'shutdown',
  'failed',
  'rejected',
  'remove',
  'orphaned',
] as const;

export type TaskState = (typeof TASK_STATES)[number];

const ORDER: ReadonlyMap<TaskState, number> = new Map(TASK_STATES.map((s, i) => [s, i]));

/** stateRank gives a state's position in the forward-only order. */
export function stateRank(state: TaskState): number {
  return ORDER.get(state) ?? -1;
}

export function isTaskState(value: unknown): value is TaskState {
  return typeof value === 'string' && ORDER.has(value as TaskState);
}

/** A task whose observed state is terminal will never run again (complete and beyond). */
export function isTerminal(state: TaskState): boolean {
  return stateRank(state) >= stateRank('complete');
}

/** canAdvance tells whether moving from `from` to `to` keeps the forward-only rule. */
export function canAdvance(from: TaskState, to: TaskState): boolean {
  return stateRank(to) >= stateRank(from);
}

/** Desired states the manager may write; the agent acts on them. */
export type DesiredState = Extract<TaskState, 'ready' | 'running' | 'complete' | 'shutdown' | 'remove'>;
