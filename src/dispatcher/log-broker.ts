// The manager's log broker (docs/logs.md), after swarmkit's logbroker: a subscription from the
// API is fanned out to the agents of the nodes holding its tasks (over their sessions), and
// their streams are merged (log-merge.ts). The reader pulls batches; each batch pulled is
// acknowledged to the agents, which send at most LOG_WINDOW_BYTES per task ahead of that, so a
// chatty container or a slow reader cannot grow the manager's memory. Tasks on nodes that are
// down are reported as Swarm does: without follow, an "incomplete log stream" error after the
// other tasks' lines; with follow, a line in the task's stream, and the task is followed again
// once its node reconnects, from the line after the last one received.

import type { Logger } from '../common/log.js';
import { newId } from '../common/ids.js';
import type { ReadTx, Store } from '../store/index.js';
import { LOG_MAX_LINE_BYTES, LOG_WINDOW_BYTES, logLineCost, stateRank } from '../types/index.js';
import type { LogEvent, LogRequest, LogSource, LogSubscription, LogsMessage, ManagerMessage, Task } from '../types/index.js';
import { LogMerge, type MergedLine } from './log-merge.js';

/** What the broker needs of the dispatcher's sessions. */
export interface LogSessions {
  connected(nodeId: string): boolean;
  send(nodeId: string, msg: ManagerMessage): void;
}

const BATCH_LINES = 512;
/** How long a task's history may hold back the other tasks' lines before they go out anyway. */
const HISTORY_WAIT_MS = 5_000;
/** An agent that sends more than this ahead of the acknowledgements breaks the protocol. */
const MAX_OUTSTANDING = 2 * LOG_WINDOW_BYTES + LOG_MAX_LINE_BYTES;

interface SubTask {
  nodeId: string;
  serviceId: string;
  /** active: the node's agent is reading it; ended: it said it is done; waiting: its node is away. */
  state: 'active' | 'ended' | 'waiting';
  /** It was subscribed before: a new subscription resumes after the last line received. */
  resumed: boolean;
  outstanding: number;
}

class Subscription implements LogSubscription {
  readonly id = newId();
  readonly merge = new LogMerge();
  readonly tasks = new Map<string, SubTask>();
  /** Why a stream without follow is incomplete, as Swarm words it. */
  readonly reasons: string[] = [];
  /** Tasks of the request that have no node yet. */
  readonly unscheduled = new Set<string>();
  closed = false;
  readonly timers = new Set<NodeJS.Timeout>();
  #wake: (() => void) | undefined;

  constructor(
    readonly request: LogRequest,
    private readonly broker: LogBroker,
  ) {}

  kick(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<LogEvent[]> {
    try {
      while (!this.closed) {
        const lines = this.merge.take(BATCH_LINES);
        if (lines.length > 0) {
          yield this.broker.deliver(this, lines);
          continue;
        }
        if (!this.request.follow && this.merge.finished) {
          const message = this.#incomplete();
          if (message) yield [{ kind: 'error', message }];
          return;
        }
        await new Promise<void>((resolve) => (this.#wake = resolve));
      }
    } finally {
      this.close();
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.broker.unregister(this);
    this.kick();
  }

  #incomplete(): string | undefined {
    const reasons = [...this.reasons, ...[...this.unscheduled].map((id) => `task ${id} has not been scheduled`)];
    if (reasons.length === 0) return undefined;
    return `warning: incomplete log stream. some logs could not be retrieved for the following reasons: ${reasons.join(', ')}`;
  }
}

export class LogBroker implements LogSource {
  readonly #subs = new Map<string, Subscription>();

  constructor(
    private readonly store: Store,
    private readonly sessions: LogSessions,
    private readonly log: Logger,
  ) {}

  subscribe(request: LogRequest): LogSubscription {
    const sub = new Subscription(request, this);
    this.#subs.set(sub.id, sub);
    const tasks = this.store.view((tx) => this.#matching(tx, request));
    const byNode = new Map<string, Task[]>();
    for (const t of tasks) {
      if (!t.NodeID) {
        sub.unscheduled.add(t.ID);
        continue;
      }
      this.#track(sub, t);
      byNode.set(t.NodeID, [...(byNode.get(t.NodeID) ?? []), t]);
    }
    for (const [nodeId, list] of byNode) this.#start(sub, nodeId, list.map((t) => t.ID));
    return sub;
  }

  /** received takes an agent's (validated) logs message. */
  received(nodeId: string, msg: LogsMessage): void {
    const sub = this.#subs.get(msg.sub);
    const t = sub?.tasks.get(msg.taskId);
    // Only the node holding the task may speak for it, and only while it is reading it.
    if (!sub || !t || t.nodeId !== nodeId || t.state !== 'active') return;
    t.outstanding += msg.lines.reduce((n, l) => n + logLineCost(l), 0);
    if (t.outstanding > MAX_OUTSTANDING) {
      this.log.warn({ node: nodeId, task: msg.taskId }, 'agent sent logs beyond its window; ending that task\'s stream');
      this.#unavailable(sub, msg.taskId, `task ${msg.taskId}: the agent sent more than it was allowed`);
      return sub.kick();
    }
    sub.merge.push(msg.taskId, msg);
    if (msg.end) {
      t.state = 'ended';
      if (msg.error) this.#unavailable(sub, msg.taskId, `task ${msg.taskId}: ${msg.error}`);
    }
    sub.kick();
  }

  /** nodeUp: a node's session opened; tasks of following subscriptions waiting for it go on. */
  nodeUp(nodeId: string): void {
    for (const sub of this.#subs.values()) {
      if (!sub.request.follow) continue;
      const waiting = [...sub.tasks].filter(([, t]) => t.nodeId === nodeId && t.state === 'waiting').map(([id]) => id);
      if (waiting.length > 0) this.#start(sub, nodeId, waiting);
    }
  }

  /** nodeDown: a node's session closed; what its agent was reading for subscriptions stops. */
  nodeDown(nodeId: string): void {
    for (const sub of this.#subs.values()) {
      const active = [...sub.tasks].filter(([, t]) => t.nodeId === nodeId && t.state === 'active').map(([id]) => id);
      if (active.length === 0) continue;
      this.#away(sub, nodeId, active, 'disconnected unexpectedly');
      sub.kick();
    }
  }

  /** taskChanged: following subscriptions take up tasks of their service as they are placed. */
  taskChanged(task: Task): void {
    if (!task.NodeID || stateRank(task.Status.State) < stateRank('assigned')) return;
    for (const sub of this.#subs.values()) {
      const { follow, serviceId, taskId } = sub.request;
      if (!follow || sub.tasks.has(task.ID) || (serviceId !== task.ServiceID && taskId !== task.ID)) continue;
      sub.unscheduled.delete(task.ID);
      this.#track(sub, task);
      this.#start(sub, task.NodeID, [task.ID]);
    }
  }

  /** closeAll ends every subscription (the manager is stopping). */
  closeAll(): void {
    for (const sub of [...this.#subs.values()]) sub.close();
  }

  /** Subscriptions open, for tests and diagnostics. */
  get size(): number {
    return this.#subs.size;
  }

  /** deliver turns merged lines into events and lets the agents send as much again. */
  deliver(sub: Subscription, lines: MergedLine[]): LogEvent[] {
    const acks = new Map<string, number>();
    const events: LogEvent[] = lines.map((l) => {
      const t = sub.tasks.get(l.taskId)!;
      if (l.cost > 0) acks.set(l.taskId, (acks.get(l.taskId) ?? 0) + l.cost);
      return {
        kind: 'line',
        taskId: l.taskId,
        serviceId: t.serviceId,
        nodeId: t.nodeId,
        stream: l.stream === 1 ? 'stdout' : 'stderr',
        timestamp: l.ts,
        data: l.data,
      };
    });
    for (const [taskId, bytes] of acks) {
      const t = sub.tasks.get(taskId)!;
      t.outstanding = Math.max(0, t.outstanding - bytes);
      if (t.state === 'active') this.sessions.send(t.nodeId, { type: 'logs-ack', sub: sub.id, taskId, bytes });
    }
    return events;
  }

  /** unregister forgets a closed subscription and stops its readers on the agents. */
  unregister(sub: Subscription): void {
    this.#subs.delete(sub.id);
    const nodes = new Set([...sub.tasks.values()].filter((t) => t.state === 'active').map((t) => t.nodeId));
    for (const nodeId of nodes) this.sessions.send(nodeId, { type: 'logs-cancel', sub: sub.id });
  }

  /** #matching: a task's own logs; a service's tasks (without follow, those that have run, as Swarm). */
  #matching(tx: ReadTx, request: LogRequest): Task[] {
    if (request.taskId) {
      const t = tx.tasks.get(request.taskId);
      return t ? [t] : [];
    }
    const tasks = tx.tasks.byService(request.serviceId ?? '');
    return request.follow ? tasks : tasks.filter((t) => stateRank(t.Status.State) >= stateRank('running'));
  }

  #track(sub: Subscription, t: Task): void {
    sub.tasks.set(t.ID, { nodeId: t.NodeID!, serviceId: t.ServiceID, state: 'waiting', resumed: false, outstanding: 0 });
  }

  /** #start asks a node's agent to read tasks for a subscription, or reports its node away. */
  #start(sub: Subscription, nodeId: string, taskIds: string[]): void {
    if (!this.sessions.connected(nodeId)) {
      this.#away(sub, nodeId, taskIds, 'is not available');
      sub.kick();
      return;
    }
    const tasks = taskIds.map((taskId) => {
      const t = sub.tasks.get(taskId)!;
      const after = t.resumed ? sub.merge.lastSeq(taskId) : undefined;
      t.state = 'active';
      t.resumed = true;
      t.outstanding = 0;
      sub.merge.add(taskId);
      return after === undefined ? { taskId } : { taskId, after };
    });
    const { serviceId: _s, taskId: _t, ...options } = sub.request;
    this.sessions.send(nodeId, { type: 'logs-subscribe', sub: sub.id, options, tasks });
    const timer = setTimeout(() => {
      sub.timers.delete(timer);
      for (const { taskId } of tasks) sub.merge.release(taskId);
      sub.kick();
    }, HISTORY_WAIT_MS);
    sub.timers.add(timer);
  }

  /** #away: the tasks' node cannot be reached; without follow the stream will say so at its end. */
  #away(sub: Subscription, nodeId: string, taskIds: string[], why: string): void {
    for (const id of taskIds) {
      sub.tasks.get(id)!.state = 'waiting';
      if (!sub.merge.has(id)) sub.merge.add(id);
      if (sub.request.follow) sub.merge.notice(id, `berth: logs unavailable: node ${nodeId} ${why}; they resume when it reconnects\n`);
      sub.merge.end(id);
    }
    if (!sub.request.follow) sub.reasons.push(`node ${nodeId} ${why} (task${taskIds.length > 1 ? 's' : ''} ${taskIds.join(', ')})`);
  }

  /** #unavailable ends one task's stream with a reason; anything more its agent sends is ignored. */
  #unavailable(sub: Subscription, taskId: string, reason: string): void {
    sub.tasks.get(taskId)!.state = 'ended';
    if (sub.request.follow) sub.merge.notice(taskId, `berth: logs unavailable: ${reason}\n`);
    else sub.reasons.push(reason);
    sub.merge.end(taskId);
  }
}
