// The agent's side of its session with the manager: join once with a token, then reconnect
// with the node id and secret kept in the state dir; feed assignments to the Worker; send its
// status transitions (batched) and heartbeats. Containers keep running while disconnected; on
// reconnect the manager sends the complete task set again and the agent resends every status.

import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type Dockerode from 'dockerode';
import WebSocket from 'ws';
import type { Logger } from '../common/log.js';
import { DISPATCHER_PATH, STATUS_BATCH_MS, type Labels, type ManagerMessage, type NodeDescription, type TaskStatusUpdate } from '../types/index.js';
import { LABEL_NODE } from './container-config.js';
import { Dependencies } from './dependencies.js';
import { DEFAULT_FILES_ROOT, TaskFiles } from './task-files.js';
import { TaskLogs } from './task-logs.js';
import { Worker } from './worker.js';

export interface AgentOptions {
  /** Manager API base URL, e.g. http://127.0.0.1:7420. */
  managerUrl: string;
  joinToken?: string;
  /** Where the node identity is kept; one per agent. */
  stateDir: string;
  docker: Dockerode;
  engineUrl: string;
  description: NodeDescription;
  labels?: Labels;
  log: Logger;
  /**
   * Where secret and config files are kept (a tmpfs per node under it): /run/berth by default
   * when the agent runs as root, else the state dir's `files` (on disk: mounting needs root).
   */
  filesRoot?: string;
  /** Registries (host:port) that speak plain HTTP, pulled from without TLS. */
  insecureRegistries?: readonly string[];
}

interface Identity {
  nodeId: string;
  secret: string;
}

const MAX_BACKOFF_MS = 5_000;

export class Agent {
  #identity: Identity | undefined;
  #worker: Worker | undefined;
  #logs: TaskLogs | undefined;
  #workerNode: string | undefined;
  #socket: WebSocket | undefined;
  #pending = new Map<string, TaskStatusUpdate>();
  #flushTimer: NodeJS.Timeout | undefined;

  constructor(private readonly opts: AgentOptions) {
    mkdirSync(opts.stateDir, { recursive: true });
    this.#identity = this.#loadIdentity();
  }

  get #filesRoot(): string {
    return this.opts.filesRoot ?? (process.getuid?.() === 0 ? DEFAULT_FILES_ROOT : join(this.opts.stateDir, 'files'));
  }

  get nodeId(): string | undefined {
    return this.#identity?.nodeId;
  }

  /** run keeps a session open until signal aborts; it resolves after the worker has stopped. */
  async run(signal: AbortSignal): Promise<void> {
    let backoff = 250;
    while (!signal.aborted) {
      const outcome = await this.#session(signal);
      if (signal.aborted) break;
      if (outcome === 'rejoin') {
        backoff = 250;
        continue;
      }
      if (outcome === 'connected') backoff = 250;
      await sleep(backoff, signal);
      backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
    }
    clearTimeout(this.#flushTimer);
    await Promise.all([this.#worker?.close(), this.#logs?.close()]);
  }

  /** One connection; resolves when it closes, saying whether it ever got through. */
  #session(signal: AbortSignal): Promise<'connected' | 'failed' | 'rejoin'> {
    const { log } = this.opts;
    const url = this.opts.managerUrl.replace(/^http/, 'ws').replace(/\/$/, '') + DISPATCHER_PATH;
    return new Promise((resolve) => {
      const ws = new WebSocket(url);
      this.#socket = ws;
      let welcomed = false;
      let rejoin = false;
      let heartbeat: NodeJS.Timeout | undefined;
      const onAbort = (): void => ws.close(1000, 'agent stopping');
      signal.addEventListener('abort', onAbort, { once: true });
      ws.on('open', () => {
        ws.send(
          JSON.stringify({
            type: 'hello',
            joinToken: this.opts.joinToken,
            nodeId: this.#identity?.nodeId,
            secret: this.#identity?.secret,
            description: this.opts.description,
            labels: this.opts.labels,
            addr: this.opts.engineUrl,
          }),
        );
      });
      ws.on('message', (data) => {
        let msg: ManagerMessage;
        try {
          msg = JSON.parse(data.toString()) as ManagerMessage;
        } catch {
          return ws.close(1007, 'messages must be JSON');
        }
        if (msg?.type === 'welcome') {
          welcomed = true;
          this.#adopt(msg.nodeId, msg.secret, msg.clusterId);
          heartbeat = setInterval(() => this.#send({ type: 'heartbeat' }), msg.heartbeatPeriodMs);
          this.#send({ type: 'status', updates: this.#worker!.statuses() });
          log.info({ node: msg.nodeId }, 'session with manager established');
        } else if (msg?.type === 'config' && typeof msg.heartbeatPeriodMs === 'number' && msg.heartbeatPeriodMs > 0) {
          clearInterval(heartbeat);
          heartbeat = setInterval(() => this.#send({ type: 'heartbeat' }), msg.heartbeatPeriodMs);
          this.#send({ type: 'heartbeat' });
        } else if (msg?.type === 'assignments' && Array.isArray(msg.tasks)) {
          const objects = {
            secrets: Array.isArray(msg.secrets) ? msg.secrets : [],
            configs: Array.isArray(msg.configs) ? msg.configs : [],
            pullAuths: Array.isArray(msg.pullAuths) ? msg.pullAuths : [],
          };
          const removed = Array.isArray(msg.removed) ? msg.removed : [];
          if (msg.full) this.#worker?.assign(msg.tasks, objects);
          else this.#worker?.update(msg.tasks, removed, objects);
          this.#logs?.assigned(msg.full, msg.tasks, removed);
        } else if (msg?.type === 'logs-subscribe' || msg?.type === 'logs-ack' || msg?.type === 'logs-cancel') {
          this.#logs?.handle(msg);
        } else if (msg?.type === 'error') {
          log.error({ reason: msg.message, code: msg.code }, 'manager refused the session');
          // Only a node the cluster no longer knows joins again, as a new node, with the token.
          if (msg.code === 'unknown-node' && this.#identity && this.opts.joinToken) {
            this.#identity = undefined;
            rejoin = true;
          }
        }
      });
      ws.on('close', () => {
        clearInterval(heartbeat);
        // Log subscriptions belong to the session: the manager subscribes again after a reconnect.
        this.#logs?.cancelAll();
        signal.removeEventListener('abort', onAbort);
        if (this.#socket === ws) this.#socket = undefined;
        resolve(rejoin ? 'rejoin' : welcomed ? 'connected' : 'failed');
      });
      ws.on('error', (err) => log.debug({ err: err.message }, 'manager connection error'));
    });
  }

  /** #adopt records the node identity and makes the worker for it. */
  #adopt(nodeId: string, secret: string | undefined, clusterId: string): void {
    const previous = this.#workerNode ?? this.#loadIdentity()?.nodeId;
    if (secret) {
      this.#identity = { nodeId, secret };
      this.#saveIdentity(this.#identity);
    }
    // Joined again as a new node: the old node's tasks were replaced elsewhere, so its
    // containers here are orphans.
    if (previous && previous !== nodeId) void this.#removeContainersOf(previous);
    if (this.#worker && this.#workerNode === nodeId) return;
    void this.#worker?.close();
    void this.#logs?.close();
    this.#workerNode = nodeId;
    const logs = new TaskLogs({ docker: this.opts.docker, log: this.opts.log.child({ part: 'logs' }), send: (m) => this.#send(m) });
    this.#logs = logs;
    this.#worker = new Worker({
      docker: this.opts.docker,
      clusterId,
      nodeId,
      log: this.opts.log,
      report: (u) => {
        logs.observe(u.taskId, u.status);
        this.#report(u);
      },
      node: this.opts.description,
      filesRoot: this.#filesRoot,
      insecureRegistries: this.opts.insecureRegistries,
    });
  }

  #report(update: TaskStatusUpdate): void {
    this.#pending.set(update.taskId, update);
    this.#flushTimer ??= setTimeout(() => {
      this.#flushTimer = undefined;
      const updates = [...this.#pending.values()];
      this.#pending.clear();
      this.#send({ type: 'status', updates });
    }, STATUS_BATCH_MS);
  }

  #send(msg: object): void {
    const ws = this.#socket;
    if (ws && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(msg));
  }

  #loadIdentity(): Identity | undefined {
    try {
      const id = JSON.parse(readFileSync(join(this.opts.stateDir, 'node.json'), 'utf8')) as Identity;
      return id.nodeId && id.secret ? id : undefined;
    } catch {
      return undefined;
    }
  }

  #saveIdentity(id: Identity): void {
    const file = join(this.opts.stateDir, 'node.json');
    try {
      writeFileSync(file + '.tmp', JSON.stringify(id), { mode: 0o600 });
      renameSync(file + '.tmp', file);
    } catch (err) {
      this.opts.log.error({ err, file }, 'could not save the node identity: after a restart this agent will join as a new node');
    }
  }

  async #removeContainersOf(nodeId: string): Promise<void> {
    try {
      const stale = await this.opts.docker.listContainers({ all: true, filters: { label: [`${LABEL_NODE}=${nodeId}`] } });
      await Promise.all(stale.map((c) => this.opts.docker.getContainer(c.Id).remove({ force: true })));
      if (stale.length > 0) this.opts.log.info({ node: nodeId, count: stale.length }, 'removed the containers of this agent\'s previous node');
      // Their secret and config files go with them.
      const files = new TaskFiles({ root: this.#filesRoot, node: { id: nodeId, description: {} }, deps: new Dependencies(), log: this.opts.log });
      await files.sweep(() => false);
      await files.close();
    } catch (err) {
      this.opts.log.error({ err, node: nodeId }, 'removing the previous node\'s containers failed');
    }
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
  });
}
