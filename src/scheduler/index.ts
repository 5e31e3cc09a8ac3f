// The scheduler: assigns pending tasks to nodes (Swarm's filters, spread and placement
// preferences). Scheduler is the store-driven loop; placeTasks is the pure decision it makes.

export { Scheduler, ASSIGNED_MESSAGE, PENDING_MESSAGE } from './scheduler.js';
export type { SchedulerOptions } from './scheduler.js';
export { placeTasks } from './placement.js';
export type { PlacementResult } from './placement.js';
export { NodeLoad, newNodeInfo, isActiveTask, isSchedulable, taskHostPorts } from './node-info.js';
export type { NodeInfo, HostPort } from './node-info.js';
export { ClusterView } from './cluster-view.js';
