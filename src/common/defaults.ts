// Swarm's defaults (swarmkit api/defaults/service.go, manager.go, dispatcher.go), in ms.

export const DEFAULT_RESTART_CONDITION = 'any' as const;
export const DEFAULT_RESTART_DELAY_MS = 5_000;
export const DEFAULT_STOP_GRACE_MS = 10_000;
export const DEFAULT_TASK_HISTORY = 5;
/**
 * Swarm's is 5 s, so a vanished host is noticed after 15 s; at 2 s Berth notices in 6 s and has
 * its tasks running elsewhere within 10 s. A heartbeat is a few bytes on an open connection.
 */
export const DEFAULT_HEARTBEAT_MS = 2_000;
/** A node is down after this many heartbeat periods without one. */
export const HEARTBEAT_GRACE_MULTIPLIER = 3;
export const DEFAULT_UPDATE_MONITOR_MS = 5_000;
