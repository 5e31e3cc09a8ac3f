// The agent's side of its session with the manager: join once with a token (the manager's CA
// certifies the node's key), then connect with that certificate over mutual TLS to the
// cluster port; feed assignments to the Worker; send its status transitions (batched) and
// heartbeats; renew the certificate before it ends. Containers keep running while
// disconnected; on reconnect the manager sends the complete task set again and the agent
// resends every status. With several managers the agent knows them all (managers.ts): a
// follower redirects it to the leader, and when a session fails it tries the others in turn.

import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type Dockerode from 'dockerode';
import WebSocket from 'ws';
import type { Logger } from '../../common/log.js';
import { DISPATCHER_PATH, MAX_MANAGERS, STATUS_BATCH_MS, STREAM_MAX_FRAME, STREAM_PATH, type Labels, type ManagerMessage, type NodeDescription, type TaskStatusUpdate } from '../../types/index.js';
import { renewalDelayMs } from '../../common/pki.js';
import { isHostPort } from '../../common/listen.js';
import { LABEL_NODE } from '../tasks/container-config.js';
import { forgetIdentity, loadIdentity, previousNodeId, saveIdentity, type Identity } from './identity.js';
import { join as joinCluster, renew, tlsOptions } from './manager-client.js';
import { managerOrder, MAX_REDIRECTS, redirectTarget, validManagers } from './managers.js';
import { Dependencies } from '../tasks/dependencies.js';
import { RegistryTrust } from '../engine/registry-trust.js';
import { DEFAULT_FILES_ROOT, TaskFiles } from '../tasks/task-files.js';
import { TaskLogs } from '../logs/task-logs.js';
import { ContainerService } from '../containers/container-service.js';
import { Worker } from '../tasks/worker.js';
import { OverlayDataPath } from '../overlay/datapath.js';
import { NodeTunnel } from '../overlay/tunnel.js';

export interface AgentOptions {
  /** HOST:PORT of a manager's cluster port; needed to join, else the one the node joined (tried last). */
  manager?: string;
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
  /** Where the engine reads per-registry CA certificates (certs.d); default by engine (registry-trust.ts). */
  registryCertsDir?: string;
  /** The WireGuard interface encrypted overlays run in (berth-wg); hosts sharing a filesystem need one each. */
  tunnelInterface?: string;
}

const MAX_BACKOFF_MS = 5_000;
/** A manager that answers no ping for this many heartbeat periods is taken as gone: reconnect. */
const PING_MISSES = 3;

/** How a connection ended: a session was held, none was, or a follower named the leader. */
type Outcome = 'connected' | 'failed' | { redirect: string };

/** Why run() ended: stopped by its signal, or refused for good (the node was removed). */
export type AgentEnd = { stopped: true } | { stopped: false; reason: string };

export class Agent {
  #identity: Identity | undefined;
  #renewTimer: NodeJS.Timeout | undefined;
  #renewing = false;
  #signal: AbortSignal | undefined;
  #removed: string | undefined;
  #worker: Worker | undefined;
  #logs: TaskLogs | undefined;
  #containers: ContainerService | undefined;
  /** The manager the session is held with now: streams dial back to it. */
  #sessionAddr: string | undefined;
  #workerNode: string | undefined;
  #socket: WebSocket | undefined;
  #pending = new Map<string, TaskStatusUpdate>();
  #flushTimer: NodeJS.Timeout | undefined;
  /** The engine's trust in the cluster's registry, as the manager names it. */
  readonly #trust: RegistryTrust;
  /** The node's end of the encrypted overlays' tunnel; its public key goes in every hello. */
  readonly #tunnel: NodeTunnel;
  #tunnelKey: string | undefined;

  /** The node an earlier agent in this state dir was, whose containers go if this one is another. */
  readonly #previousNode: string | undefined;

  constructor(private readonly opts: AgentOptions) {
    this.#previousNode = previousNodeId(opts.stateDir);
    mkdirSync(opts.stateDir, { recursive: true, mode: 0o700 });
    this.#identity = loadIdentity(opts.stateDir);
    this.#trust = new RegistryTrust({ docker: opts.docker, certsDir: opts.registryCertsDir, identity: () => this.#identity, log: opts.log });
    this.#tunnel = new NodeTunnel({ log: opts.log, dataDir: opts.stateDir, interfaceName: opts.tunnelInterface });
  }

  get #filesRoot(): string {
    return this.opts.filesRoot ?? (process.getuid?.() === 0 ? DEFAULT_FILES_ROOT : join(this.opts.stateDir, 'files'));
  }

  get nodeId(): string | undefined {
    return this.#identity?.nodeId;
  }

  /** Container streams (logs, stats, exec) open now, each with its engine request. */
  get containerStreams(): number {
    return this.#containers?.streams ?? 0;
  }

  /**
   * ensureJoined gives the node's identity, joining the cluster first when the state dir has
   * none. It throws (JoinError) when the join is refused: the caller reports it and stops.
   */
  async ensureJoined(): Promise<Identity> {
    const { manager, joinToken } = this.opts;
    if (this.#identity && manager && manager !== this.#identity.joined) {
      // The manager moved: same node, same certificate, new address, tried first.
      this.#update({ manager, joined: manager });
    }
    if (this.#identity) return this.#identity;
    if (!manager || !joinToken) {
      throw new Error(`this agent has not joined a cluster (no certificate in ${join(this.opts.stateDir, 'certificates')}): give --join HOST:PORT and --token TOKEN`);
    }
    const id = await joinCluster(manager, joinToken, this.opts.description.Hostname ?? '');
    saveIdentity(this.opts.stateDir, id);
    this.#identity = id;
    this.opts.log.info({ node: id.nodeId, manager }, 'joined the cluster');
    return id;
  }

  /** run joins if needed and keeps a session open until signal aborts or the node is removed; it resolves after the worker has stopped. */
  async run(signal: AbortSignal): Promise<AgentEnd> {
    await this.ensureJoined();
    this.#tunnelKey = await this.#tunnel.publicKey().catch((err: unknown) => {
      this.opts.log.warn({ err }, 'no tunnel key: this node cannot take part in encrypted networks');
      return undefined;
    });
    this.#signal = signal;
    this.#scheduleRenewal(signal);
    let backoff = 250;
    let round = managerOrder(this.#identity!);
    while (!signal.aborted && !this.#removed) {
      const outcome = await this.#session(round.shift()!, signal);
      if (signal.aborted || this.#removed) break;
      if (outcome === 'connected') {
        backoff = 250;
        round = [];
      }
      // A manager that failed: the next one at once; after the last, a pause.
      if (round.length > 0) continue;
      await sleep(backoff, signal);
      backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
      round = managerOrder(this.#identity!);
    }
    clearTimeout(this.#flushTimer);
    clearTimeout(this.#renewTimer);
    this.#containers?.closeAll();
    await Promise.all([this.#worker?.close(), this.#logs?.close()]);
    // Nothing pulls until the next start, which is told the registry again.
    await this.#trust.clear().catch((err: unknown) => this.opts.log.warn({ err }, "removing the cluster registry's root from the engine's certificates failed"));
    if (!this.#removed) return { stopped: true };
    // The node left the cluster, as a Swarm node does: its tasks run elsewhere now, so its
    // containers go, and so does its certificate (joining again makes a new node).
    const id = this.#identity!;
    await this.#removeContainersOf(id.nodeId);
    await this.#removeOverlays();
    forgetIdentity(this.opts.stateDir);
    return { stopped: false, reason: `${this.#removed}. Its containers were removed; to join again, run the join command (berth agent --join HOST:PORT --token TOKEN)` };
  }

  /** Renewal at 50–80% of the certificate's life; the session goes on, the next one uses the new certificate. */
  #scheduleRenewal(signal: AbortSignal, delayMs?: number): void {
    const id = this.#identity;
    if (!id || signal.aborted) return;
    clearTimeout(this.#renewTimer);
    this.#renewTimer = setTimeout(() => this.#renew(signal), Math.min(delayMs ?? renewalDelayMs(id.cert), 2 ** 31 - 1));
  }

  /** #renew renews now (also when the manager asks, during a root rotation); a failure is retried soon. */
  #renew(signal: AbortSignal): void {
    if (this.#renewing || signal.aborted) return;
    clearTimeout(this.#renewTimer);
    this.#renewing = true;
    const id = this.#identity!;
    renew(id)
      .then(
        (next) => {
          // The session may have moved to another leader meanwhile: only a redirect changes it here.
          this.#update({ cert: next.cert, key: next.key, rootCA: next.rootCA, ...(next.manager !== id.manager && { manager: next.manager }) });
          this.opts.log.info({ node: next.nodeId }, 'node certificate renewed');
          this.#scheduleRenewal(signal);
        },
        (err: unknown) => {
          this.opts.log.warn({ err: (err as Error).message }, 'renewing the node certificate failed; retrying');
          this.#scheduleRenewal(signal, Math.min(60_000, Math.max(1000, renewalDelayMs(this.#identity!.cert) / 10)));
        },
      )
      .finally(() => (this.#renewing = false));
  }

  /** #update changes the identity and saves it. */
  #update(change: Partial<Identity>): void {
    this.#identity = { ...this.#identity!, ...change };
    saveIdentity(this.opts.stateDir, this.#identity);
  }

  /** A session with the manager at `addr`, or the leader it redirects to; resolves when it closes. */
  async #session(addr: string, signal: AbortSignal): Promise<'connected' | 'failed'> {
    for (let hops = 0; ; hops++) {
      const outcome = await this.#connect(addr, signal);
      if (typeof outcome === 'string' || signal.aborted) return outcome === 'connected' ? outcome : 'failed';
      if (hops === MAX_REDIRECTS) {
        this.opts.log.warn({ manager: addr }, `still redirected after ${MAX_REDIRECTS} redirects; trying another manager`);
        return 'failed';
      }
      this.opts.log.info({ from: addr, leader: outcome.redirect }, 'redirected to the leader');
      addr = outcome.redirect;
    }
  }

  /** One connection; resolves when it closes, saying whether it got through or where it was redirected. */
  #connect(addr: string, signal: AbortSignal): Promise<Outcome> {
    const { log } = this.opts;
    const id = this.#identity!;
    const url = `wss://${addr}${DISPATCHER_PATH}`;
    return new Promise((resolve) => {
      const ws = new WebSocket(url, { ...tlsOptions({ ca: id.rootCA, cert: id.cert, key: id.key, clusterId: id.clusterId }), handshakeTimeout: 10_000 });
      this.#socket = ws;
      let welcomed = false;
      let redirect: string | undefined;
      let heartbeat: NodeJS.Timeout | undefined;
      let pinger: NodeJS.Timeout | undefined;
      let lastPong = Date.now();
      const onAbort = (): void => ws.close(1000, 'agent stopping');
      signal.addEventListener('abort', onAbort, { once: true });
      // A manager host that vanished sends no FIN: unanswered pings tell.
      const watchManager = (periodMs: number): void => {
        clearInterval(pinger);
        pinger = setInterval(() => {
          if (Date.now() - lastPong > periodMs * PING_MISSES) return ws.terminate();
          ws.ping();
        }, periodMs);
      };
      ws.on('pong', () => (lastPong = Date.now()));
      // A follower answers 307 to the leader, or 503 during an election; the TLS checks ran already.
      ws.on('unexpected-response', (_req, res) => {
        res.resume();
        redirect = res.statusCode === 307 ? redirectTarget(res.headers.location, DISPATCHER_PATH) : undefined;
        if (!redirect) log.info({ manager: addr, status: res.statusCode, location: res.headers.location }, 'manager did not take the session');
        ws.terminate();
      });
      ws.on('open', () => {
        ws.send(JSON.stringify({ type: 'hello', description: this.opts.description, labels: this.opts.labels, ...(this.#tunnelKey && { tunnelKey: this.#tunnelKey }) }));
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
          this.#sessionAddr = addr;
          // Only the leader welcomes: it is the one to try first from now on.
          if (addr !== this.#identity!.manager) this.#update({ manager: addr });
          this.#adopt(msg.nodeId);
          this.#announce(msg.registries ?? []);
          heartbeat = setInterval(() => this.#send({ type: 'heartbeat' }), msg.heartbeatPeriodMs);
          lastPong = Date.now();
          watchManager(msg.heartbeatPeriodMs);
          this.#send({ type: 'status', updates: this.#worker!.statuses() });
          this.#worker!.resendAttachments();
          log.info({ node: msg.nodeId }, 'session with manager established');
        } else if (msg?.type === 'config' && typeof msg.heartbeatPeriodMs === 'number' && msg.heartbeatPeriodMs > 0) {
          if (msg.registries) this.#announce(msg.registries);
          clearInterval(heartbeat);
          heartbeat = setInterval(() => this.#send({ type: 'heartbeat' }), msg.heartbeatPeriodMs);
          watchManager(msg.heartbeatPeriodMs);
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
        } else if (msg?.type === 'managers') {
          this.#managers(msg.managers);
        } else if (msg?.type === 'network-view') {
          this.#worker?.networkView(msg);
        } else if (msg?.type === 'renew') {
          this.#renew(this.#signal!);
        } else if (msg?.type === 'logs-subscribe' || msg?.type === 'logs-ack' || msg?.type === 'logs-cancel') {
          this.#logs?.handle(msg);
        } else if (msg?.type === 'container-call' || msg?.type === 'stream-open') {
          this.#containers?.handle(msg);
        } else if (msg?.type === 'error') {
          log.error({ reason: msg.message, code: msg.code }, 'manager refused the session');
          // A removed node stays out: joining again is the operator's decision, as in Swarm.
          if (msg.code === 'unknown-node') this.#removed = msg.message;
        }
      });
      ws.on('close', () => {
        clearInterval(heartbeat);
        clearInterval(pinger);
        // Log subscriptions belong to the session: the manager subscribes again after a reconnect.
        this.#logs?.cancelAll();
        signal.removeEventListener('abort', onAbort);
        if (this.#socket === ws) this.#socket = undefined;
        resolve(redirect ? { redirect } : welcomed ? 'connected' : 'failed');
      });
      ws.on('error', (err) => log.debug({ err: err.message }, 'manager connection error'));
    });
  }

  /** #managers keeps the manager's list of managers (persisted: a restarted agent finds the others too). */
  #managers(list: unknown): void {
    const managers = validManagers(list);
    if (!managers) return this.opts.log.warn(`ignored a list of managers that is not at most ${MAX_MANAGERS} HOST:PORTs`);
    if (JSON.stringify(managers) !== JSON.stringify(this.#identity!.managers)) this.#update({ managers });
  }

  /** #announce takes the manager's names of the cluster's registry: HOST:PORTs only, as they become directory names. */
  #announce(names: unknown): void {
    const valid = Array.isArray(names) ? names.filter(isHostPort) : [];
    this.#trust.announce(valid).catch((err: unknown) => this.opts.log.warn({ err }, "updating the engine's trust in the cluster's registry failed"));
  }

  /** #adopt makes the worker for the node. */
  #adopt(nodeId: string): void {
    const previous = this.#workerNode ?? this.#previousNode;
    // Joined again as a new node: the old node's tasks were replaced elsewhere, so its
    // containers here are orphans.
    if (previous && previous !== nodeId) void this.#removeContainersOf(previous);
    if (this.#worker && this.#workerNode === nodeId) return;
    void this.#worker?.close();
    void this.#logs?.close();
    this.#workerNode = nodeId;
    const logs = new TaskLogs({ docker: this.opts.docker, log: this.opts.log.child({ part: 'logs' }), send: (m) => this.#send(m) });
    this.#logs = logs;
    this.#containers?.closeAll();
    this.#containers = new ContainerService({
      docker: this.opts.docker,
      clusterId: this.#identity!.clusterId,
      nodeId,
      log: this.opts.log.child({ part: 'containers' }),
      send: (m) => this.#send(m),
      dial: (id) => {
        const me = this.#identity!;
        const url = `wss://${this.#sessionAddr}${STREAM_PATH}${encodeURIComponent(id)}`;
        return new WebSocket(url, { ...tlsOptions({ ca: me.rootCA, cert: me.cert, key: me.key, clusterId: me.clusterId }), handshakeTimeout: 10_000, maxPayload: STREAM_MAX_FRAME });
      },
    });
    this.#worker = new Worker({
      docker: this.opts.docker,
      clusterId: this.#identity!.clusterId,
      nodeId,
      log: this.opts.log,
      report: (u) => {
        logs.observe(u.taskId, u.status);
        this.#report(u);
      },
      node: this.opts.description,
      filesRoot: this.#filesRoot,
      insecureRegistries: this.opts.insecureRegistries,
      trustRegistry: (registry) => this.#trust.beforePull(registry),
      tunnel: this.#tunnel,
      sendAttachments: (m) => this.#send(m),
    });
  }

  /** A node that left the cluster takes its overlay devices, rules and tunnel with it. */
  async #removeOverlays(): Promise<void> {
    try {
      await new OverlayDataPath({ log: this.opts.log }).removeAll();
      await this.#tunnel.remove();
    } catch (err) {
      this.opts.log.error({ err }, "removing the node's overlay networks failed");
    }
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
