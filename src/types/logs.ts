// What the API asks of the manager's log broker (implemented by the dispatcher, wired in by
// src/manager): one subscription per `GET /services/{id}/logs` or `/tasks/{id}/logs`. See
// docs/logs.md.

export interface LogRequest {
  /** Exactly one of serviceId and taskId, already resolved to an ID by the API. */
  serviceId?: string;
  taskId?: string;
  follow: boolean;
  /** Last lines per task; undefined: all. */
  tail?: number;
  /** Only lines at or after this fixed RFC3339Nano timestamp (src/common/log-time.ts). */
  since?: string;
  stdout: boolean;
  stderr: boolean;
}

export interface LogLineEvent {
  kind: 'line';
  taskId: string;
  serviceId: string;
  nodeId: string;
  stream: 'stdout' | 'stderr';
  /** The engine's timestamp of the line, fixed RFC3339Nano. */
  timestamp: string;
  /** The line as the container wrote it, usually with its newline. */
  data: string;
}

/** The stream is incomplete: sent once, last, by a subscription that does not follow. */
export interface LogErrorEvent {
  kind: 'error';
  message: string;
}

export type LogEvent = LogLineEvent | LogErrorEvent;

/**
 * A subscription yields batches of events in delivery order and ends when a request without
 * follow has every line; with follow it ends only when closed. Pulling the next batch is what
 * lets the agents send more (backpressure), so a slow reader holds a bounded amount.
 */
export interface LogSubscription extends AsyncIterable<LogEvent[]> {
  /** close ends the subscription (the client went away); agents stop reading for it. */
  close(): void;
}

export interface LogSource {
  subscribe(request: LogRequest): LogSubscription;
}
