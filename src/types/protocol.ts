// The manager <-> agent session protocol: JSON messages over one authenticated WebSocket per
// agent (path DISPATCHER_PATH on the manager's API port). The manager streams the complete set
// of tasks assigned to the node, then incremental changes; the agent streams status
// transitions and heartbeats. See docs/dispatcher.md.

import type { Config, Labels, NodeDescription, Secret, Task, TaskStatus } from './objects.js';

export const DISPATCHER_PATH = '/berth/v1/dispatcher/session';

/** How long either side gathers status updates or assignment changes before sending them. */
export const STATUS_BATCH_MS = 20;

/** First message from the agent. A new node presents the join token; a known one its id and secret. */
export interface HelloMessage {
  type: 'hello';
  joinToken?: string;
  nodeId?: string;
  secret?: string;
  description: NodeDescription;
  /** Node labels to set when the node first joins (`berth agent --label k=v`). */
  labels?: Labels;
  /** Engine endpoint the agent drives, shown in the node's status address. */
  addr?: string;
}

export interface HeartbeatMessage {
  type: 'heartbeat';
}

export interface TaskStatusUpdate {
  taskId: string;
  status: TaskStatus;
}

export interface StatusMessage {
  type: 'status';
  updates: TaskStatusUpdate[];
}

export type AgentMessage = HelloMessage | HeartbeatMessage | StatusMessage;

/** Reply to hello. `secret` is sent once, when a node joins for the first time. */
export interface WelcomeMessage {
  type: 'welcome';
  nodeId: string;
  secret?: string;
  heartbeatPeriodMs: number;
}

/**
 * Tasks assigned to the node. With `full` the list is the complete set: the agent removes
 * every task it holds that is not in it. Without, `tasks` are created or changed and
 * `removed` are ids the manager no longer assigns.
 */
export interface AssignmentsMessage {
  type: 'assignments';
  full: boolean;
  tasks: Task[];
  removed: string[];
  /** Secrets (with their data) that the tasks in this message reference; the agent keeps them while a task does. */
  secrets?: Secret[];
  /** Configs (with their data) that the tasks in this message reference. */
  configs?: Config[];
}

/**
 * Why a session was refused. Only `unknown-node` (the node was removed or never existed) tells
 * an agent to join again as a new node with its join token; anything else it retries as is.
 */
export type SessionErrorCode = 'unknown-node' | 'unauthorized' | 'invalid' | 'internal';

/** Sent when the cluster's heartbeat period changes: the agent heartbeats at the new period. */
export interface ConfigMessage {
  type: 'config';
  heartbeatPeriodMs: number;
}

export interface SessionErrorMessage {
  type: 'error';
  code: SessionErrorCode;
  message: string;
}

export type ManagerMessage = WelcomeMessage | AssignmentsMessage | ConfigMessage | SessionErrorMessage;
