// The agent's log service: a collector per task whose container has started (started lazily for
// tasks that had already ended, when someone reads them), and the readers of the manager's log
// subscriptions. It learns about tasks from the assignments and from the statuses the worker
// reports, so the worker and its task runners know nothing about logs. See docs/logs.md.

import type Dockerode from 'dockerode';
import type { Logger } from '../../common/log.js';
import { isTerminal } from '../../types/index.js';
import type { LogsMessage, LogsSubscribeMessage, ManagerMessage, Task, TaskStatus } from '../../types/index.js';
import { LogCollector } from './log-collector.js';
import { LogReader } from './log-reader.js';

export interface TaskLogsOptions {
  docker: Dockerode;
  log: Logger;
  send(msg: LogsMessage): void;
  /** Ring bounds per task (defaults: 10 000 lines, 2 MiB). */
  ringLines?: number;
  ringBytes?: number;
}

interface Tracked {
  tty: boolean;
  containerId?: string;
  /** The container has started once, so it may have a log; it is read eagerly while the task runs. */
  started: boolean;
  ended: boolean;
  collector?: LogCollector;
  listeners: Set<() => void>;
}

export class TaskLogs {
  readonly #tasks = new Map<string, Tracked>();
  /** Listeners for tasks not assigned yet (a subscription can come before the assignment). */
  readonly #early = new Map<string, Set<() => void>>();
  /** Readers by subscription, then task. */
  readonly #subs = new Map<string, Map<string, LogReader>>();

  constructor(private readonly opts: TaskLogsOptions) {}

  /** assigned takes an assignments message: new and changed tasks, and those no longer held. */
  assigned(full: boolean, tasks: Task[], removed: string[]): void {
    const ids = new Set(tasks.map((t) => t.ID));
    for (const t of tasks) {
      if (!this.#tasks.has(t.ID)) {
        this.#tasks.set(t.ID, { tty: !!t.Spec.ContainerSpec?.TTY, started: false, ended: false, listeners: this.#early.get(t.ID) ?? new Set() });
        this.#early.delete(t.ID);
      }
      this.observe(t.ID, t.Status);
    }
    const gone = full ? [...this.#tasks.keys()].filter((id) => !ids.has(id)) : removed;
    for (const id of gone) void this.#forget(id);
  }

  /** observe takes a task's latest status: a started container gets a collector. */
  observe(taskId: string, status: TaskStatus): void {
    const t = this.#tasks.get(taskId);
    const containerId = status.ContainerStatus?.ContainerID;
    if (!t || !containerId) return;
    const ended = isTerminal(status.State);
    // A container made for a task has a log once started: it has a PID while it runs, and a
    // task that ended after being prepared may have run.
    const started = (status.ContainerStatus?.PID ?? 0) > 0 || ended;
    // A task has one container; statuses sent back by the manager may lag behind the agent's own.
    t.containerId ??= containerId;
    t.started ||= started;
    t.ended ||= ended;
    if (t.started && !t.ended && !t.collector) this.#collect(taskId, t);
    for (const fn of t.listeners) fn();
  }

  /** handle takes the manager's log messages (a malformed one is ignored). */
  handle(msg: ManagerMessage): void {
    if (msg.type === 'logs-subscribe') {
      if (typeof msg.sub === 'string' && Array.isArray(msg.tasks) && typeof msg.options === 'object' && msg.options) this.#subscribe(msg);
    } else if (msg.type === 'logs-ack') {
      if (typeof msg.bytes === 'number' && msg.bytes > 0) this.#subs.get(msg.sub)?.get(msg.taskId)?.ack(msg.bytes);
    } else if (msg.type === 'logs-cancel') {
      this.#cancel(msg.sub);
    }
  }

  /** cancelAll ends every subscription (the session closed: the manager subscribes again). */
  cancelAll(): void {
    for (const sub of [...this.#subs.keys()]) this.#cancel(sub);
  }

  async close(): Promise<void> {
    this.cancelAll();
    await Promise.all([...this.#tasks.keys()].map((id) => this.#forget(id)));
  }

  /** Subscriptions and readers in progress, for tests and diagnostics. */
  get readers(): number {
    let n = 0;
    for (const m of this.#subs.values()) n += m.size;
    return n;
  }

  #subscribe(msg: LogsSubscribeMessage): void {
    let readers = this.#subs.get(msg.sub);
    if (!readers) {
      this.#subs.set(msg.sub, (readers = new Map()));
      this.opts.log.debug({ sub: msg.sub, tasks: msg.tasks.map((t) => t.taskId), follow: msg.options.follow }, 'log subscription started');
    }
    for (const { taskId, after } of msg.tasks) {
      if (typeof taskId !== 'string' || readers.has(taskId)) continue;
      const reader = new LogReader({
        sub: msg.sub,
        taskId,
        options: msg.options,
        after,
        source: { current: () => this.#collectorFor(taskId), onChange: (fn) => this.#listen(taskId, fn) },
        send: this.opts.send,
        onEnd: () => {
          readers.delete(taskId);
          if (readers.size > 0 || this.#subs.get(msg.sub) !== readers) return;
          this.#subs.delete(msg.sub);
          this.opts.log.debug({ sub: msg.sub }, 'log subscription ended');
        },
        log: this.opts.log,
      });
      readers.set(taskId, reader);
    }
  }

  #cancel(sub: string): void {
    const readers = this.#subs.get(sub);
    if (!readers) return;
    this.#subs.delete(sub);
    for (const r of readers.values()) r.cancel();
    this.opts.log.debug({ sub }, 'log subscription cancelled');
  }

  /**
   * The task's collector; one for an ended task's container is made now, and one that failed
   * (the engine was down too long) is replaced, so a later read tries again.
   */
  #collectorFor(taskId: string): LogCollector | undefined {
    const t = this.#tasks.get(taskId);
    if (!t?.started) return undefined;
    if (t.collector?.error !== undefined) t.collector = undefined;
    return t.collector ?? this.#collect(taskId, t);
  }

  #collect(taskId: string, t: Tracked): LogCollector {
    const log = this.opts.log.child({ task: taskId });
    t.collector = new LogCollector({ docker: this.opts.docker, containerId: t.containerId!, tty: t.tty, log, ringLines: this.opts.ringLines, ringBytes: this.opts.ringBytes });
    return t.collector;
  }

  #listen(taskId: string, fn: () => void): () => void {
    let listeners = this.#tasks.get(taskId)?.listeners ?? this.#early.get(taskId);
    if (!listeners) this.#early.set(taskId, (listeners = new Set()));
    const set = listeners;
    set.add(fn);
    return () => {
      set.delete(fn);
      if (set.size === 0 && this.#early.get(taskId) === set) this.#early.delete(taskId);
    };
  }

  /** #forget drops a task no longer assigned: its readers end, its collector stops. */
  async #forget(taskId: string): Promise<void> {
    const t = this.#tasks.get(taskId);
    this.#tasks.delete(taskId);
    for (const readers of this.#subs.values()) readers.get(taskId)?.close();
    await t?.collector?.stop();
  }
}
