// The manager <-> agent session protocol: JSON messages over one authenticated WebSocket per
// agent (path DISPATCHER_PATH on the manager's API port). The manager streams the complete set
// of tasks assigned to the node, then incremental changes; the agent streams status
// transitions and heartbeats. See docs/dispatcher.md.

import type { LogRequest } from './logs.js';
import type { Config, Labels, NodeDescription, Secret, Task, TaskStatus } from './objects.js';
import type { TaskPullAuth } from './pull-auth.js';

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

/** One log line as an agent sends it: `seq` numbers the task's lines from 1, in the engine's order. */
export interface LogWireLine {
  seq: number;
  /** The engine's timestamp, fixed RFC3339Nano (src/common/log-time.ts). */
  ts: string;
  /** 1 stdout, 2 stderr. */
  stream: 1 | 2;
  data: string;
}

/**
 * Lines of one task for one log subscription, in seq order. `dropped` lines were lost just before
 * these (the reader fell behind the agent's buffer); `historyDone`: every line that existed when
 * the subscription arrived has been sent; `end`: nothing more will come for this task (with
 * `error`, why its logs are unavailable).
 */
export interface LogsMessage {
  type: 'logs';
  sub: string;
  taskId: string;
  lines: LogWireLine[];
  dropped?: number;
  historyDone?: boolean;
  end?: boolean;
  error?: string;
}

export type AgentMessage = HelloMessage | HeartbeatMessage | StatusMessage | LogsMessage;

/** Reply to hello. `secret` is sent once, when a node joins for the first time. */
export interface WelcomeMessage {
  type: 'welcome';
  nodeId: string;
  /** The cluster's ID: the agent labels what it makes on its engine with it, and touches nothing of another cluster's. */
  clusterId: string;
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
  /** What the tasks in this message that pull from a registry with a login pull with (never logged). */
  pullAuths?: TaskPullAuth[];
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

export type LogSubscriptionOptions = Omit<LogRequest, 'serviceId' | 'taskId'>;

/**
 * Start reading the logs of these tasks (on the receiving node) for subscription `sub`; a later
 * message with the same `sub` adds tasks. `after` resumes a task after the last line received
 * before a reconnect, instead of tail/since.
 */
export interface LogsSubscribeMessage {
  type: 'logs-subscribe';
  sub: string;
  options: LogSubscriptionOptions;
  tasks: { taskId: string; after?: number }[];
}

/** The manager has passed on `bytes` (by logLineCost) of a task's lines: the agent may send that much more. */
export interface LogsAckMessage {
  type: 'logs-ack';
  sub: string;
  taskId: string;
  bytes: number;
}

/** The reader went away: stop every task of the subscription. */
export interface LogsCancelMessage {
  type: 'logs-cancel';
  sub: string;
}

export type ManagerMessage =
  | WelcomeMessage
  | AssignmentsMessage
  | ConfigMessage
  | SessionErrorMessage
  | LogsSubscribeMessage
  | LogsAckMessage
  | LogsCancelMessage;

/**
 * Bytes (by logLineCost) of one task's lines an agent may have sent for a subscription and not
 * yet had acknowledged: what bounds the manager's memory per subscription and task.
 */
export const LOG_WINDOW_BYTES = 256 * 1024;
/** Longest line an agent sends; longer ones are cut (engines split lines at 16 KiB anyway). */
export const LOG_MAX_LINE_BYTES = 64 * 1024;
/** Most lines in one logs message. */
export const LOG_MAX_BATCH_LINES = 2000;

/** logLineCost is what a line counts against the window: its text and a fixed overhead. */
export function logLineCost(line: { data: string }): number {
  return line.data.length + 64;
}
