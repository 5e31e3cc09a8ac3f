// Task containers through the manager (docs/containers.md): what the API asks of the dispatcher
// (ContainerSource, implemented by its container broker, wired in by src/manager), and the calls
// and streams the manager sends an agent for the engine of its node. The agent answers only for
// its own task containers and the exec instances made through it.

import type { Duplex } from 'node:stream';

/** An Engine API `filters` value as the engine takes it: key → values. */
export type EngineFilters = Record<string, string[]>;

/** The exec options the manager passes on (Docker's ExecConfig, the fields an exec may set). */
export interface ExecOptions {
  Cmd: string[];
  AttachStdin?: boolean;
  AttachStdout?: boolean;
  AttachStderr?: boolean;
  Tty?: boolean;
  DetachKeys?: string;
  Env?: string[];
  User?: string;
  WorkingDir?: string;
  Privileged?: boolean;
  ConsoleSize?: [number, number];
}

/** The query of `GET /containers/{id}/logs`, checked by the API. */
export interface ContainerLogQuery {
  follow: boolean;
  stdout: boolean;
  stderr: boolean;
  timestamps: boolean;
  /** A count or "all". */
  tail: string;
  /** Unix seconds, possibly with a fraction, as Docker takes them; "" for none. */
  since: string;
  until: string;
}

/** A request/response call on one node's engine, over the session. */
export type ContainerCall =
  | { op: 'list'; all: boolean; size: boolean; limit?: number; filters: EngineFilters }
  | { op: 'inspect'; container: string; size: boolean }
  | { op: 'top'; container: string; psArgs?: string }
  | { op: 'stats'; container: string }
  | { op: 'exec-create'; container: string; options: ExecOptions }
  | { op: 'exec-inspect'; exec: string }
  | { op: 'exec-resize'; exec: string; h: number; w: number }
  | { op: 'exec-start-detached'; exec: string };

/** A stream between the client and one node's engine, carried by a WebSocket the agent dials. */
export type StreamSpec =
  | { op: 'logs'; container: string; query: ContainerLogQuery }
  | { op: 'stats'; container: string }
  | { op: 'exec'; exec: string; tty: boolean; stdin: boolean };

/** The outcome of a call: the engine's status and JSON body, or why it failed. */
export interface CallResult {
  status: number;
  body?: unknown;
  message?: string;
}

/** Where a task's container runs: what the API resolves a container reference to. */
export interface ContainerPlace {
  containerId: string;
  nodeId: string;
  /** The node's hostname, the first part of the container's name through the manager. */
  node: string;
  taskId: string;
  serviceId: string;
  /** The container's name on its engine (`<service>.<slot>.<task>`). */
  name: string;
}

/** An exec instance made through this manager: on which node, in which container, running what. */
export interface ExecPlace {
  execId: string;
  place: ContainerPlace;
  cmd: string[];
  tty: boolean;
  stdin: boolean;
}

/** A stream the agent could not start on its engine: the engine's answer, which the API maps. */
export class EngineRefusal extends Error {
  constructor(readonly result: CallResult) {
    super(result.message ?? `the engine answered ${result.status}`);
  }
}

export interface ContainerSource {
  /** The task containers matching the call on each of these nodes that is connected; a node that fails or stays silent past the timeout is left out. */
  list(call: Extract<ContainerCall, { op: 'list' }>, nodeIds: string[]): Promise<{ nodeId: string; containers: unknown[] }[]>;
  /** One call on the node of `nodeId`; throws a typed error when the node is not connected or does not answer. */
  call(nodeId: string, call: ContainerCall): Promise<CallResult>;
  /** Opens a stream to the node's engine: resolves once the agent has dialed in, rejects with EngineRefusal if the engine refused. */
  stream(nodeId: string, spec: StreamSpec): Promise<Duplex>;
  /** Remembers an exec instance made through this manager (execs are routed by it). */
  rememberExec(exec: ExecPlace): void;
  exec(execId: string): ExecPlace | undefined;
}
