// The node's reconciler: holds one TaskRunner per assigned task and makes the engine match the
// assignment set. A full assignment also sweeps the engine for containers this node made for
// tasks it no longer holds (after an agent restart, or a removal that failed), so nothing is
// orphaned. Ownership is decided by Berth's labels only, never by Swarm's, and within this
// node's cluster (ownership.ts): another cluster's agent may share the engine.

import { setTimeout as delay } from 'node:timers/promises';
import type Dockerode from 'dockerode';
import type { Logger } from '../../common/log.js';
import type { AttachmentsMessage, Config, NetworkViewMessage, NodeDescription, Secret, Task, TaskPullAuth, TaskStatusUpdate } from '../../types/index.js';
import { LABEL_NODE, LABEL_TASK } from './container-config.js';
import { removeContainer } from './controller.js';
import { Dependencies } from './dependencies.js';
import { engineMessage, isGone, isTemporary, statusOf } from '../engine/engine-errors.js';
import { ImagePuller } from '../engine/image-pull.js';
import { EngineNetworks } from './networks.js';
import { NodeOverlay } from '../overlay/node-overlay.js';
import type { NodeTunnel } from '../overlay/tunnel.js';
import { ownedBy } from './ownership.js';
import { DEFAULT_FILES_ROOT, TaskFiles } from './task-files.js';
import { TaskRunner, type TaskRunnerOptions } from './task-runner.js';

export interface WorkerOptions {
  docker: Dockerode;
  /** The cluster the node belongs to (the manager's welcome): every object the worker makes is labelled with it. */
  clusterId: string;
  nodeId: string;
  log: Logger;
  report(update: TaskStatusUpdate): void;
  /** The node as it joined: templates read its hostname and platform. */
  node?: NodeDescription;
  /** Where the node's secret and config files live (a tmpfs per node under it); /run/berth by default. */
  filesRoot?: string;
  /** Registries (host:port) that speak plain HTTP (`berth agent --insecure-registry`). */
  insecureRegistries?: readonly string[];
  /** Called before a pull over TLS from `registry` (the agent's RegistryTrust.beforePull). */
  trustRegistry?: (registry: string) => Promise<void>;
  /** The node's tunnel (the agent's): with it, the worker builds the overlay networks of the manager's network views. */
  tunnel?: NodeTunnel;
  /** The overlay resolver's port (53 unless a test says otherwise). */
  resolverPort?: number;
  /** Sends the manager the plain containers on this node's attachable networks. */
  sendAttachments?: (msg: AttachmentsMessage) => void;
}

/** The secrets, configs and registry logins an assignments message carries for its tasks. */
export interface TaskObjects {
  secrets?: Secret[];
  configs?: Config[];
  pullAuths?: TaskPullAuth[];
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
  private readonly deps = new Dependencies();
  private readonly files: TaskFiles;
  private readonly networks: EngineNetworks;
  private readonly overlay: NodeOverlay | undefined;
  private readonly runnerOpts: TaskRunnerOptions;

  constructor(private readonly opts: WorkerOptions) {
    this.files = new TaskFiles({
      root: opts.filesRoot ?? DEFAULT_FILES_ROOT,
      node: { id: opts.nodeId, description: opts.node ?? {} },
      deps: this.deps,
      log: opts.log,
    });
    this.networks = new EngineNetworks(opts.docker, opts.clusterId, opts.log);
    this.overlay =
      opts.tunnel &&
      new NodeOverlay({
        log: opts.log,
        tunnel: opts.tunnel,
        engineNetworks: this.networks,
        localContainers: () => this.localContainers(),
        resolverPort: opts.resolverPort,
        docker: opts.docker,
        sendAttachments: opts.sendAttachments ?? (() => undefined),
      });
    const { docker, clusterId, nodeId, log, report } = opts;
    const images = new ImagePuller(docker, new Set(opts.insecureRegistries ?? []), (id) => this.deps.pullAuth(id), opts.trustRegistry);
    this.runnerOpts = { docker, owner: { clusterId, nodeId }, log, report, files: this.files, networks: this.networks, images };
  }

  /** assign sets the complete set of tasks assigned to this node, with the objects they reference. */
  assign(tasks: Task[], objects: TaskObjects = {}): void {
    if (this.closed) return;
    this.deps.receive(true, objects.secrets, objects.configs, objects.pullAuths);
    const ids = new Set(tasks.map((t) => t.ID));
    for (const runner of [...this.runners.values()]) {
      if (!ids.has(runner.taskId)) this.drop(runner);
    }
    for (const task of tasks) this.upsert(task);
    this.deps.prune(this.held());
    this.overlay?.namesChanged();
    this.sweep();
  }

  /** networkView takes the manager's view of this node's overlay networks. */
  networkView(msg: NetworkViewMessage): void {
    if (this.closed || !this.overlay) return;
    const before = this.overlay.networkIds();
    this.overlay.receive(msg);
    // A network gone from the view (docker network rm of an attachable one) may leave an engine network no task used.
    const after = this.overlay.networkIds();
    if ([...before].some((id) => !after.has(id))) this.sweep();
  }

  /** update applies incremental changes: new or changed tasks (and their objects), and ids no longer assigned. */
  update(tasks: Task[], removed: string[], objects: TaskObjects = {}): void {
    if (this.closed) return;
    this.deps.receive(false, objects.secrets, objects.configs, objects.pullAuths);
    for (const task of tasks) this.upsert(task);
    for (const id of removed) {
      const runner = this.runners.get(id);
      if (runner) this.drop(runner);
    }
    this.deps.prune(this.held());
    this.overlay?.namesChanged();
  }

  /** How many secrets and configs the worker holds (never their data). */
  get objectCounts(): { secrets: number; configs: number } {
    return this.deps.size;
  }

  /** resendAttachments: after a reconnect, the manager hears of plain containers again. */
  resendAttachments(): void {
    this.overlay?.resendAttachments();
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
    await this.overlay?.close();
    await this.files.close();
  }

  /** Each held task's addresses on its networks, in attachment order: who asks the resolver. */
  private localContainers(): { networkId: string; ip: string }[][] {
    return this.held().map((t) => (t.NetworksAttachments ?? []).flatMap((a) => {
      const ip = a.Addresses?.[0]?.split('/')[0];
      return ip ? [{ networkId: a.Network.ID, ip }] : [];
    }));
  }

  private held(): Task[] {
    return [...this.runners.values()].map((r) => r.assigned);
  }

  private upsert(task: Task): void {
    const runner = this.runners.get(task.ID);
    if (runner) runner.update(task);
    else this.runners.set(task.ID, new TaskRunner(task, this.runnerOpts));
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
    const { docker, clusterId, nodeId, log } = this.opts;
    const listed = await docker.listContainers({ all: true, filters: { label: [`${LABEL_NODE}=${nodeId}`] } });
    // Unlabelled ones (an earlier Berth's) are this node's by its id, which no other node has.
    const containers = listed.filter((c) => ownedBy(c.Labels, clusterId));
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
    // Files of tasks gone while the agent was down (or whose removal failed) go too.
    if (!this.closed) await this.files.sweep((taskId) => this.runners.has(taskId) || this.dropping.has(taskId));
    await this.pruneNetworks();
  }

  /** pruneNetworks removes the engine networks of Berth networks no held task is attached to. */
  private async pruneNetworks(): Promise<void> {
    if (this.closed) return;
    // An overlay in the node's view keeps its engine network, made on its bridge, task or not.
    const inUse = new Set([...[...this.runners.values()].flatMap((r) => r.networkIds), ...(this.overlay?.networkIds() ?? [])]);
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
