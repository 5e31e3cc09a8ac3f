// The node's reconciler: holds one TaskRunner per assigned task and makes the engine match the
// assignment set. A full assignment also sweeps the engine for containers this node made for
// tasks it no longer holds (after an agent restart, or a removal that failed), so nothing is
// orphaned. Ownership is decided by Berth's labels only, never by Swarm's.

import { setTimeout as delay } from 'node:timers/promises';
import type Dockerode from 'dockerode';
import type { Logger } from '../common/log.js';
import type { Task, TaskStatusUpdate } from '../types/index.js';
import { LABEL_NODE, LABEL_TASK } from './container-config.js';
import { removeContainer } from './controller.js';
import { engineMessage, isGone, isTemporary, statusOf } from './engine-errors.js';
import { TaskRunner } from './task-runner.js';
import { EngineNetworks } from './networks.js';

export interface WorkerOptions {
  docker: Dockerode;
  nodeId: string;
  log: Logger;
  report(update: TaskStatusUpdate): void;
}

const RETRY_MIN_MS = 500;
const RETRY_MAX_MS = 15_000;

export class Worker {
  private readonly runners = new Map<string, TaskRunner>();
  /** Tasks whose containers drop() is removing; the sweep leaves those to it. */
  private readonly dropping = new Set<string>();
  private readonly background = new Set<Promise<void>>();
  /** Cuts retry backoffs short when the worker closes. */
  private readonly closing = new AbortController();
  private closed = false;
  private sweeping = false;
  private sweepAgain = false;
  private readonly networks: EngineNetworks;

  constructor(private readonly opts: WorkerOptions) {
    this.networks = new EngineNetworks(opts.docker, opts.log);
  }

  /** assign sets the complete set of tasks assigned to this node. */
  assign(tasks: Task[]): void {
    if (this.closed) return;
    const ids = new Set(tasks.map((t) => t.ID));
    for (const runner of [...this.runners.values()]) {
      if (!ids.has(runner.taskId)) this.drop(runner);
    }
    for (const task of tasks) this.upsert(task);
    this.sweep();
  }

  /** update applies incremental changes: new or changed tasks, and ids no longer assigned. */
  update(tasks: Task[], removed: string[]): void {
    if (this.closed) return;
    for (const task of tasks) this.upsert(task);
    for (const id of removed) {
      const runner = this.runners.get(id);
      if (runner) this.drop(runner);
    }
  }

  /** statuses gives the latest observed status of every task held, for resending after a reconnect. */
  statuses(): TaskStatusUpdate[] {
    return [...this.runners.values()].map((r) => ({ taskId: r.taskId, status: r.status }));
  }

  /** close stops every loop and waits for in-flight engine calls; containers stay as they are. */
  async close(): Promise<void> {
    this.closed = true;
    this.closing.abort();
    await Promise.all([...this.runners.values()].map((r) => r.stop()));
    this.runners.clear();
    await Promise.all([...this.background]);
  }

  private upsert(task: Task): void {
    const runner = this.runners.get(task.ID);
    if (runner) runner.update(task);
    else this.runners.set(task.ID, new TaskRunner(task, { ...this.opts, networks: this.networks }));
  }

  /** drop forgets a task that is no longer assigned; its container is stopped and removed. */
  private drop(runner: TaskRunner): void {
    this.runners.delete(runner.taskId);
    this.dropping.add(runner.taskId);
    const job = async (): Promise<void> => {
      await runner.stop();
      if (this.closed) return;
      await runner.removeContainer();
      await this.pruneNetworks();
    };
    void this.inBackground(`remove the container of task ${runner.taskId}`, job).finally(() => this.dropping.delete(runner.taskId));
  }

  /** sweep removes containers of this node whose task is not held; overlapping calls coalesce. */
  private sweep(): void {
    this.sweepAgain = true;
    if (this.sweeping) return;
    this.sweeping = true;
    // At least one pass per call, so a retry after an error sweeps again.
    const job = async (): Promise<void> => {
      do {
        this.sweepAgain = false;
        await this.sweepOnce();
      } while (this.sweepAgain && !this.closed);
    };
    void this.inBackground('remove containers of unassigned tasks', job).finally(() => {
      this.sweeping = false;
      if (this.sweepAgain && !this.closed) this.sweep();
    });
  }

  private async sweepOnce(): Promise<void> {
    const { docker, nodeId, log } = this.opts;
    const containers = await docker.listContainers({ all: true, filters: { label: [`${LABEL_NODE}=${nodeId}`] } });
    for (const c of containers) {
      const taskId = c.Labels[LABEL_TASK];
      // Checked per container: the set may have changed while earlier ones were stopping.
      if (this.closed || (taskId && (this.runners.has(taskId) || this.dropping.has(taskId)))) continue;
      log.info({ task: taskId, container: c.Id }, 'removing container of a task this node no longer holds');
      const container = docker.getContainer(c.Id);
      try {
        await container.stop();
      } catch (err) {
        if (!isGone(err) && statusOf(err) !== 304) throw err;
      }
      await removeContainer(container);
    }
    await this.pruneNetworks();
  }

  /** pruneNetworks removes the engine networks of Berth networks no held task is attached to. */
  private async pruneNetworks(): Promise<void> {
    if (this.closed) return;
    const inUse = new Set([...this.runners.values()].flatMap((r) => r.networkIds));
    await this.networks.prune(inUse);
  }

  /** inBackground runs an engine job off the caller's path, retrying temporary errors until closed. */
  private inBackground(what: string, job: () => Promise<void>): Promise<void> {
    const run = async (): Promise<void> => {
      for (let attempt = 0; ; attempt++) {
        try {
          await job();
          return;
        } catch (err) {
          if (this.closed || !isTemporary(err)) {
            if (!this.closed) this.opts.log.error({ err: engineMessage(err) }, `could not ${what}`);
            return;
          }
          const retryInMs = Math.min(RETRY_MAX_MS, RETRY_MIN_MS * 2 ** attempt);
          this.opts.log.warn({ err: engineMessage(err), retryInMs }, `could not ${what}; will retry`);
          await delay(retryInMs, undefined, { signal: this.closing.signal }).catch(() => {});
        }
      }
    };
    const p = run();
    this.background.add(p);
    void p.finally(() => this.background.delete(p));
    return p;
  }
}
