// The manager <-> agent session protocol: JSON messages over one WebSocket per agent on the
// manager's cluster port (default 2377), mutual TLS: the agent's node certificate is its
// identity (path DISPATCHER_PATH). Before it has one, an agent joins over the same port
// (CA_PATH, JOIN_PATH); it renews its certificate there too (RENEW_PATH). The manager streams the complete set
// of tasks assigned to the node, then incremental changes; the agent streams status
// transitions and heartbeats. See docs/dispatcher.md.

import type { CallResult, ContainerCall, StreamSpec } from './containers.js';
import type { LogRequest } from './logs.js';
import type { Config, Labels, NodeDescription, Secret, Task, TaskStatus } from './objects.js';
import type { NetworkViewMessage } from './network-view.js';
import type { TaskPullAuth } from './pull-auth.js';

export const DISPATCHER_PATH = '/berth/v1/dispatcher/session';
/** GET: the cluster's root CA certificate(s), which a joining node checks against its token's digest. */
export const CA_PATH = '/berth/v1/ca';
/** POST JoinRequest → JoinResponse: a new node's certificate. */
export const JOIN_PATH = '/berth/v1/join';
/** POST {csr} with the node's current certificate → JoinResponse: a renewed certificate. */
export const RENEW_PATH = '/berth/v1/renew';
/** WebSocket upgrades an agent dials for a stream the manager opened: STREAM_PATH + the stream's id. */
export const STREAM_PATH = '/berth/v1/dispatcher/stream/';
/** Largest frame either end of a stream sends (engine output is cut to this). */
export const STREAM_MAX_FRAME = 1024 * 1024;
/** Swarm's cluster management port. */
export const DEFAULT_CLUSTER_PORT = 2377;

export interface CaResponse {
  rootCA: string;
}

export interface JoinRequest {
  token: string;
  /** PEM PKCS#10 request for the node's ECDSA P-256 key. */
  csr: string;
  hostname?: string;
}

export interface JoinResponse {
  nodeId: string;
  /** The node's certificate (PEM). */
  certificate: string;
  /** The root certificates to trust (PEM bundle). */
  rootCA: string;
  /** To a manager joining with the manager token and `"manager": true`: the keys every manager holds. */
  keys?: ManagerKeys;
}

/**
 * The keys a manager needs to serve the cluster: the store key (it opens sealed rows) and the
 * root CA's key (it signs certificates). Sent only to a manager that joins with the manager
 * token, over TLS the token's digest pins.
 */
export interface ManagerKeys {
  /** 64 hex digits. */
  storeKey: string;
  /** PEM. */
  rootCert: string;
  /** PEM (PKCS#8). */
  rootKey: string;
}

/** How long either side gathers status updates or assignment changes before sending them. */
export const STATUS_BATCH_MS = 20;

/** First message from the agent, whose certificate already said which node it is. */
export interface HelloMessage {
  type: 'hello';
  description: NodeDescription;
  /** Engine labels the agent was started with (`berth agent --label k=v`), beside the engine's own. */
  labels?: Labels;
  /** The node's WireGuard public key (base64), for the tunnel encrypted overlays run in; its private key never leaves the node. */
  tunnelKey?: string;
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

/** Most plain containers one node reports on one attachable network (a block is at most this big). */
export const MAX_ATTACHMENTS_PER_NETWORK = 256;

/**
 * The plain containers on this node's attachable networks, all of them: sent after hello and
 * whenever the set changes. The manager keeps those inside the node's blocks (Node.BerthAttachments).
 */
export interface AttachmentsMessage {
  type: 'attachments';
  attachments: { networkId: string; containerId: string; name: string; ip: string; mac: string }[];
}

/** The answer to a container-call (or to a stream-open the engine refused): `id` is the request's. */
export interface ContainerResultMessage extends CallResult {
  type: 'container-result';
  id: string;
}

export type AgentMessage = HelloMessage | HeartbeatMessage | StatusMessage | LogsMessage | AttachmentsMessage | ContainerResultMessage;

/** Reply to hello. */
export interface WelcomeMessage {
  type: 'welcome';
  nodeId: string;
  heartbeatPeriodMs: number;
  /**
   * HOST:PORT names of the cluster's registry, whose serving certificate the cluster CA issued:
   * before pulling from one, the agent has its engine trust the cluster root for it. Absent: none.
   */
  registries?: string[];
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
 * Why a session was refused. `unknown-node`: the node was removed, and its agent stops (joining
 * again is the operator's decision, as in Swarm); anything else it retries as is.
 */
export type SessionErrorCode = 'unknown-node' | 'unauthorized' | 'invalid' | 'internal';

/**
 * Sent when the cluster's heartbeat period changes (the agent heartbeats at the new period) or
 * its registry names do (when present, they replace the welcome's).
 */
export interface ConfigMessage {
  type: 'config';
  heartbeatPeriodMs: number;
  registries?: string[];
}

/**
 * The cluster addresses (HOST:PORT) of every reachable manager, the leader first: sent after
 * welcome and when they change (at most 16). The agent keeps them, and when its session fails
 * tries them in turn; a follower redirects it to the leader (307) or, during an election, 503.
 */
export interface ManagersMessage {
  type: 'managers';
  managers: string[];
}

export const MAX_MANAGERS = 16;

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

/** A call on the node's engine for the container routes (docs/containers.md); answered by a container-result. */
export interface ContainerCallMessage {
  type: 'container-call';
  id: string;
  call: ContainerCall;
}

/**
 * Open a stream (logs -f, stats, exec): the agent starts it on its engine, then dials
 * STREAM_PATH + id on the manager's cluster port with its node certificate and carries the bytes;
 * if the engine refuses, it answers with a container-result of the same id instead.
 */
export interface StreamOpenMessage {
  type: 'stream-open';
  id: string;
  stream: StreamSpec;
}

/** Renew the node certificate now (a root CA rotation asks every node to). */
export interface RenewMessage {
  type: 'renew';
}

export type ManagerMessage =
  | WelcomeMessage
  | RenewMessage
  | AssignmentsMessage
  | NetworkViewMessage
  | ConfigMessage
  | ManagersMessage
  | SessionErrorMessage
  | LogsSubscribeMessage
  | LogsAckMessage
  | LogsCancelMessage
  | ContainerCallMessage
  | StreamOpenMessage;

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
