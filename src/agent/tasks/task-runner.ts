// One task's state machine, after swarmkit's exec.Do: each step compares the observed state with
// the desired state, does at most one engine action and reports at most one transition. The
// loop sleeps until the task changes or its container exits (the engine's wait endpoint), never
// polling; temporary engine errors are retried with backoff. A container with a healthcheck
// gates the task as in Swarm: STARTING until healthy, and FAILED once unhealthy.

import { setTimeout as delay } from 'node:timers/promises';
import type Dockerode from 'dockerode';
import type { Logger } from '../../common/log.js';
import { now } from '../../common/time.js';
import { canAdvance, isTerminal, stateRank } from '../../types/index.js';
import type { EndpointPortConfig, Task, TaskState, TaskStatus, TaskStatusUpdate } from '../../types/index.js';
import { TaskController } from './controller.js';
import { TaskError, engineMessage, isTemporary, statusOf } from '../engine/engine-errors.js';
import { startHealthMonitor } from '../health/health-monitor.js';
import type { HealthMonitor } from '../health/health-monitor.js';
import { unhealthyError } from '../health/health-policy.js';
import type { TaskFiles } from './task-files.js';
import { Wakeup } from './wakeup.js';
import type { EngineNetworks } from './networks.js';
import type { ImagePuller } from '../engine/image-pull.js';
import type { Owner } from './ownership.js';

export interface TaskRunnerOptions {
  docker: Dockerode;
  /** The cluster and node whose containers these are. */
  owner: Owner;
  log: Logger;
  networks: EngineNetworks;
  report(update: TaskStatusUpdate): void;
  /** The node's secret and config files. */
  files: TaskFiles;
  images: ImagePuller;
}

const BACKOFF_MIN_MS = 200;
const BACKOFF_MAX_MS = 10_000;
/** An engine that keeps answering 5xx to the same step is treated as refusing it, not as down. */
const MAX_ANSWERED_RETRIES = 5;
const WAITING_FOR_HEALTH = 'starting: waiting for the container to become healthy';
/**
 * How long a task taken out of its networks' name resolution keeps serving before it gets the
 * stop signal, so clients that resolved it just before finish (Swarm's executor waits the same
 * 2 s, defaultGossipConvergeDelay, after removing a task from the load balancer).
 */
export const DRAIN_MS = 2_000;

type ExitResult = { code: number } | { error: unknown };

interface Observed {
  pid?: number;
  exitCode?: number;
  ports?: EndpointPortConfig[];
  err?: string;
}

export class TaskRunner {
  private task: Task;
  private current: TaskStatus;
  private readonly ctl: TaskController;
  private readonly log: Logger;
  private readonly wake = new Wakeup();
  private readonly waitAbort = new AbortController();
  private located = false;
  private exitWatch: Promise<void> | undefined;
  private exitResult: ExitResult | undefined;
  private stopping = false;
  /** What the engine said when the container started, for the RUNNING report. */
  private started: { pid: number; ports?: EndpointPortConfig[] } | undefined;
  /** The started container's health watch; null: it has no healthcheck; undefined: not looked at yet. */
  private health: HealthMonitor | null | undefined;
  private readonly done: Promise<void>;

  constructor(
    task: Task,
    private readonly opts: TaskRunnerOptions,
  ) {
    this.task = task;
    this.current = task.Status;
    this.log = opts.log.child({ task: task.ID });
    this.ctl = new TaskController(opts.docker, task, opts.owner, this.log, opts.files, opts.networks, opts.images);
    this.done = this.loop().catch((err: unknown) => this.log.error({ err }, 'task loop ended by a bug'));
  }

  get taskId(): string {
    return this.task.ID;
  }

  /** The task as last assigned (its secret and config references keep their objects on the node). */
  get assigned(): Task {
    return this.task;
  }

  /** The Berth networks the task is attached to. */
  get networkIds(): string[] {
    return (this.task.NetworksAttachments ?? []).map((a) => a.Network.ID);
  }

  /** The latest observed status: the last one reported, else the one the manager sent. */
  get status(): TaskStatus {
    return this.current;
  }

  /** update takes a newer copy of the task (the manager changed its desired state). */
  update(task: Task): void {
    this.task = task;
    this.wake.kick();
  }

  /** stop ends the loop once its current engine call returns; the container is left as it is. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.health?.stop();
    this.waitAbort.abort();
    this.wake.kick();
    await this.done;
  }

  /** removeContainer stops (with the grace period) and removes the task's container and files; call after stop(). */
  async removeContainer(): Promise<void> {
    if (!this.ctl.containerId) await this.ctl.locate();
    await this.ctl.shutdown();
    await this.ctl.remove();
    await this.opts.files.remove(this.task.ID);
  }

  private async loop(): Promise<void> {
    let failures = 0;
    let answered = 0;
    while (!this.stopping) {
      let progressed: boolean;
      try {
        progressed = await this.step();
        // Only progress resets the backoff: starting a wait succeeds even while the engine is down.
        if (progressed) failures = answered = 0;
      } catch (err) {
        if (this.stopping) break;
        if (statusOf(err) !== undefined) answered++;
        if (!isTemporary(err) || answered >= MAX_ANSWERED_RETRIES) {
          await this.fatal(err);
          failures = answered = 0;
          continue;
        }
        failures++;
        const retryInMs = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** (failures - 1));
        this.log.warn({ state: this.current.State, err: engineMessage(err), retryInMs }, 'engine error; will retry');
        await this.wake.wait(retryInMs);
        continue;
      }
      if (!progressed) await this.wake.wait();
    }
  }

  /** step does one thing and tells whether it changed anything (false: sleep until woken). */
  private async step(): Promise<boolean> {
    if (!this.located) {
      await this.adopt();
      return true;
    }
    const state = this.current.State;
    const desired = this.task.DesiredState;
    if (stateRank(desired) >= stateRank('shutdown') && stateRank(state) < stateRank('complete')) {
      // The manager took the task out of every node's load balancer and resolver when it asked for
      // the stop; a drain lets that reach them before the stop signal, so no new connection is
      // sent to a task going away (Swarm waits the same 2 s before shutdown).
      if (this.ctl.hasNetworks && state === 'running') await delay(DRAIN_MS, undefined, { signal: this.waitAbort.signal }).catch(() => {});
      if (this.stopping) return false;
      const exitCode = await this.ctl.shutdown();
      this.transition('shutdown', 'shutdown', { exitCode });
      return true;
    }
    if (isTerminal(state)) return false;
    switch (state) {
      case 'accepted':
        this.transition('preparing', 'preparing');
        return true;
      case 'preparing':
        await this.ctl.prepare();
        this.transition('ready', 'prepared');
        return true;
      case 'ready':
        // Desired READY holds a prepared task (restart delay, start-first updates).
        if (desired !== 'running') return false;
        this.transition('starting', 'starting');
        return true;
      case 'starting': {
        if (this.health !== undefined) return (await this.checkHealth()) || this.watchExit();
        await this.ctl.prepare(); // files missing since READY (or an agent restart) are written, a missing container made
        const started = await this.ctl.start();
        await this.afterStart(started.pid, started.ports);
        return true;
      }
      case 'running':
        if (this.health === undefined) {
          // First step after adopting a running container: watch its health again.
          this.health = await this.watchHealth();
        }
        return (await this.checkHealth()) || this.watchExit();
      default: // new, pending, assigned
        this.transition('accepted', 'accepted');
        return true;
    }
  }

  /**
   * adopt attaches to a container made earlier for this task (by this worker before a restart, or
   * by a previous agent) and reports what it really is; without one the task starts from scratch.
   */
  private async adopt(): Promise<void> {
    const found = await this.ctl.locate();
    this.located = true;
    const state = this.current.State;
    if (!found) {
      if (state === 'running') throw new TaskError('task: container not found');
      return;
    }
    this.log.info({ container: found.id, containerStatus: found.status, state }, 'adopting existing container');
    switch (found.status) {
      case 'running':
      case 'paused':
      case 'restarting':
        // A task that already ended must not keep a running container.
        if (isTerminal(state)) await this.ctl.shutdown();
        else if (stateRank(state) < stateRank('running')) await this.afterStart(found.pid);
        return;
      case 'exited':
      case 'stopped':
      case 'dead':
        if (!isTerminal(state)) this.finish(found.exitCode);
        return;
      default: // created / configured: prepared, never started
        if (stateRank(state) < stateRank('ready')) this.transition('ready', 'prepared');
        else if (state === 'running') throw new TaskError('task: container was created but never started');
    }
  }

  /**
   * afterStart: STARTING until the healthcheck passes, if there is one; then (or at once)
   * RUNNING — what puts it behind its service's names and virtual IPs on every node, and what a
   * start-first update waits for before it stops the task being replaced.
   */
  private async afterStart(pid: number, ports?: EndpointPortConfig[]): Promise<void> {
    this.started = { pid, ports };
    this.health = await this.watchHealth();
    if (this.health) this.transition('starting', WAITING_FOR_HEALTH, { pid, ports });
    else await this.becomeRunning();
  }

  private async becomeRunning(): Promise<void> {
    this.transition('running', 'started', { pid: this.started?.pid ?? this.current.ContainerStatus?.PID, ports: this.started?.ports });
  }

  /** watchHealth starts watching the container's health; null when it has no healthcheck. */
  private async watchHealth(): Promise<HealthMonitor | null> {
    const policy = await this.ctl.healthPolicy();
    const containerId = this.ctl.containerId;
    if (!policy || !containerId) return null;
    const { docker } = this.opts;
    const monitor = await startHealthMonitor({ docker, containerId, policy, log: this.log, onChange: () => this.wake.kick() });
    if (this.stopping) monitor.stop(); // stop() came while it was being set up
    return monitor;
  }

  /**
   * checkHealth acts on the latest verdict: healthy moves STARTING to RUNNING; unhealthy stops the
   * container (grace period) and fails the task, so the restart policy replaces it, as Swarm's
   * executor does. Tells whether it reported a transition.
   */
  private async checkHealth(): Promise<boolean> {
    const verdict = this.health?.verdict;
    if (verdict === 'unhealthy') {
      const err = unhealthyError(this.health?.lastOutput);
      this.log.warn({ err }, 'container unhealthy; stopping it');
      const exitCode = await this.ctl.shutdown();
      this.transition('failed', this.current.Message, { exitCode, err });
      return true;
    }
    // Healthy, or started without a healthcheck but not yet published (that step failed and is retried).
    if ((verdict === 'healthy' || this.health === null) && this.current.State === 'starting') {
      await this.becomeRunning();
      return true;
    }
    return false;
  }

  /** watchExit starts one wait on the container and reports the exit once it comes. */
  private watchExit(): boolean {
    if (this.exitResult) {
      const result = this.exitResult;
      this.exitResult = undefined;
      this.exitWatch = undefined;
      if ('error' in result) throw result.error;
      this.finish(result.code);
      return true;
    }
    this.exitWatch ??= this.ctl
      .wait(this.waitAbort.signal)
      .then(
        (code) => void (this.exitResult = { code }),
        (error: unknown) => void (this.exitResult = { error }),
      )
      .finally(() => this.wake.kick());
    return false;
  }

  private finish(exitCode: number): void {
    if (exitCode === 0) this.transition('complete', 'finished', { exitCode });
    else this.transition('failed', 'started', { exitCode, err: `task: non-zero exit (${exitCode})` });
  }

  /** fatal: REJECTED before the task started, FAILED after (a started container is stopped). */
  private async fatal(err: unknown): Promise<void> {
    const message = engineMessage(err);
    const state = this.current.State;
    if (isTerminal(state)) {
      this.log.error({ state, err: message }, 'engine action failed on a finished task');
      return;
    }
    const failedState: TaskState = stateRank(state) < stateRank('starting') ? 'rejected' : 'failed';
    this.log.warn({ state, err: message }, `task ${failedState}`);
    this.transition(failedState, this.current.Message, { err: message });
    if (failedState === 'failed') {
      await this.ctl.shutdown().catch((e: unknown) => this.log.warn({ err: engineMessage(e) }, 'could not stop the failed task'));
    }
  }

  private transition(state: TaskState, message: string, observed: Observed = {}): void {
    const from = this.current.State;
    if (!canAdvance(from, state)) {
      throw new Error(`task ${this.task.ID}: state may not go back from ${from} to ${state}`);
    }
    if (isTerminal(state)) this.health?.stop();
    const containerId = this.ctl.containerId;
    const ports = isTerminal(state) ? undefined : (observed.ports ?? this.current.PortStatus?.Ports);
    this.current = {
      Timestamp: now(),
      State: state,
      Message: message,
      ...(observed.err !== undefined && { Err: observed.err }),
      ...(containerId && {
        ContainerStatus: {
          ContainerID: containerId,
          ...(observed.pid !== undefined && { PID: observed.pid }),
          ...(observed.exitCode !== undefined && { ExitCode: observed.exitCode }),
        },
      }),
      ...(ports && ports.length > 0 && { PortStatus: { Ports: ports } }),
    };
    this.log.debug({ from, to: state }, 'task state');
    try {
      this.opts.report({ taskId: this.task.ID, status: this.current });
    } catch (err) {
      this.log.error({ err }, 'status report callback threw');
    }
  }
}
