// The dispatcher is the manager's side of every agent session (see docs/dispatcher.md): it
// admits nodes, streams each node its complete task set and then the changes, writes the task
// statuses agents report (forward only, own tasks only, agent-owned states only), and marks a
// node down when its heartbeats stop for HEARTBEAT_GRACE_MULTIPLIER periods. Its log broker
// (log-broker.ts) serves log subscriptions over the same sessions.

import { STATUS_CODES, type IncomingMessage, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { X509Certificate } from 'node:crypto';
import type { TLSSocket } from 'node:tls';
import { WebSocketServer, type WebSocket } from 'ws';
import { DEFAULT_HEARTBEAT_MS, HEARTBEAT_GRACE_MULTIPLIER } from '../common/defaults.js';
import { silentLogger, type Logger } from '../common/log.js';
import { peerIdentity, remoteIp } from '../common/peer.js';
import { OU_MANAGER, OU_WORKER, type CertIdentity } from '../common/pki.js';
import { driveLoop, type Commit, type ReadTx, type Store } from '../store/index.js';
import { DISPATCHER_PATH, STATUS_BATCH_MS, STREAM_MAX_FRAME, STREAM_PATH, canAdvance, stateRank, type Task, type TaskStatus } from '../types/index.js';
import { deltaFor, dependenciesOf, visibleTo } from './assignments.js';
import { admit, SessionRefused } from './admit.js';
import { acceptAttachments } from './attachments.js';
import { ContainerBroker } from './container-broker.js';
import { LogBroker } from './log-broker.js';
import { NetworkIndex, viewChanged } from './network-view.js';
import { AgentSession } from './session.js';
import { containerResult, isObj, logs as validLogs, status as validStatus } from './validate.js';

export interface DispatcherOptions {
  log?: Logger;
  heartbeatMs?: number;
}

const CLOSE_AUTH = 4001;
const CLOSE_REPLACED = 4002;
const CLOSE_REMOVED = 4003;
const CLOSE_EXPIRED = 4004;
const CLOSE_RESYNC = 4005;
const CLOSE_OLD_ROOT = 4006;
const HELLO_TIMEOUT_MS = 10_000;
/**
 * Frames from agents: status batches and log messages (a log window is 256 KiB). Only agents
 * whose certificate the TLS layer verified get this far.
 */
const MAX_FRAME_BYTES = 8 * 2 ** 20;
/** An expired heartbeat is confirmed once more this much later, after pending I/O has run. */
const CONFIRM_DOWN_MS = 100;

/** Monotonic milliseconds: heartbeat expiry must not follow wall-clock jumps. */
const monotonic = (): number => performance.now();

export class Dispatcher {
  readonly #sessions = new Map<string, AgentSession>();
  readonly #sockets = new Set<WebSocket>();
  readonly #lastSeen = new Map<string, number>();
  readonly #suspects = new Set<string>();
  /** Nodes whose session closed, by when (monotonic): down unless they reconnect within a period. */
  readonly #disconnected = new Map<string, number>();
  readonly #statusQueue: { nodeId: string; status: TaskStatus; taskId: string }[] = [];
  readonly #wss = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_BYTES });
  /** Container streams: frames are bytes of a log, stats or an exec's output, at most STREAM_MAX_FRAME. */
  readonly #streams = new WebSocketServer({ noServer: true, maxPayload: STREAM_MAX_FRAME });
  readonly #log: Logger;
  #statusTimer: NodeJS.Timeout | undefined;
  /** Each node's latest attachments report, written with the next batch (a newer report replaces an unwritten one). */
  readonly #attachmentQueue = new Map<string, unknown>();
  #attachmentTimer: NodeJS.Timeout | undefined;
  #periodChanged = false;
  #stopping = false;
  #registries: string[] = [];
  #managers: string[] = [];
  /** A commit touched what network views are made of: recompute them in the next pass. */
  #viewsDirty = false;
  /** The log broker: what the API reads service and task logs through. */
  readonly logs: LogBroker;
  /** The container broker: what the API's container and exec routes reach the nodes' engines through. */
  readonly containers: ContainerBroker;

  constructor(
    private readonly store: Store,
    private readonly opts: DispatcherOptions = {},
  ) {
    this.#log = opts.log ?? silentLogger();
    this.logs = new LogBroker(
      store,
      {
        connected: (nodeId) => this.#sessions.has(nodeId),
        send: (nodeId, msg) => this.#sessions.get(nodeId)?.send(msg),
      },
      this.#log.child({ part: 'logs' }),
    );
    this.containers = new ContainerBroker(
      {
        connected: (nodeId) => this.#sessions.has(nodeId),
        send: (nodeId, msg) => this.#sessions.get(nodeId)?.send(msg),
      },
      this.#log.child({ part: 'containers' }),
    );
  }

  get heartbeatMs(): number {
    const ns = this.store.view((tx) => tx.cluster()?.Spec.Dispatcher.HeartbeatPeriod);
    return this.opts.heartbeatMs ?? (ns ? ns / 1e6 : DEFAULT_HEARTBEAT_MS);
  }

  /**
   * setRegistries names the HOST:PORTs of the cluster's registry, whose certificate the cluster CA
   * issued: every welcome carries them, and agents already connected get them now.
   */
  setRegistries(addresses: string[]): void {
    this.#registries = [...addresses];
    for (const s of this.#sessions.values()) s.send({ type: 'config', heartbeatPeriodMs: this.heartbeatMs, registries: this.#registries });
  }

  /**
   * setManagers names the cluster addresses (HOST:PORT) of every reachable manager, the leader
   * first: each session starts with them and open ones get a change, so agents can find the
   * leader when theirs goes away.
   */
  setManagers(addresses: string[]): void {
    if (JSON.stringify(addresses) === JSON.stringify(this.#managers)) return;
    this.#managers = [...addresses];
    for (const s of this.#sessions.values()) s.send({ type: 'managers', managers: this.#managers });
  }

  /**
   * attach takes over WebSocket upgrades on DISPATCHER_PATH of the cluster port's TLS server.
   * Only a peer whose node certificate the TLS layer verified is upgraded; anyone else gets a
   * 401 before a single frame is read. An upgrade `answer` returns something for is answered
   * so instead (a follower's redirect to the leader), whoever the peer is.
   */
  attach(server: Server, answer?: (req: IncomingMessage) => UpgradeAnswer | undefined): void {
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      try {
        const path = new URL(req.url ?? '/', 'http://x').pathname;
        if (path.startsWith(STREAM_PATH)) return this.#acceptStream(req, socket, head, path.slice(STREAM_PATH.length));
        if (path !== DISPATCHER_PATH) return refuse(socket, 404, 'not found');
        const instead = answer?.(req);
        if (instead) return refuse(socket, instead.status, instead.message, instead.headers);
        const peer = peerIdentity(req.socket as TLSSocket, [OU_WORKER, OU_MANAGER]);
        if (!peer) return refuse(socket, 401, 'a node certificate from this cluster\'s CA is required');
        const cert = (req.socket as TLSSocket).getPeerX509Certificate();
        this.#wss.handleUpgrade(req, socket, head, (ws) => this.#accept(ws, peer, remoteIp(req.socket.remoteAddress), cert));
      } catch {
        socket.destroy(); // an unparseable request line: nothing to answer
      }
    });
  }

  /** A stream an agent dials back: only the node it was asked of, only while its request waits. */
  #acceptStream(req: IncomingMessage, socket: Duplex, head: Buffer, id: string): void {
    const peer = peerIdentity(req.socket as TLSSocket, [OU_WORKER, OU_MANAGER]);
    if (!peer) return refuse(socket, 401, 'a node certificate from this cluster\'s CA is required');
    if (!this.containers.accepts(peer.commonName, id)) return refuse(socket, 404, 'no such stream');
    this.#streams.handleUpgrade(req, socket, head, (ws) => this.containers.dialed(id, ws));
  }

  /**
   * run holds the sessions until signal aborts: the manager stops, or (several managers) loses
   * the lead — then it may run again for its next term, from what the store holds then.
   */
  run(signal: AbortSignal): Promise<void> {
    this.#stopping = false;
    signal.addEventListener('abort', () => {
      this.#stopping = true;
      clearTimeout(this.#statusTimer);
      clearTimeout(this.#attachmentTimer);
      // Reports not yet written belong to this term: the next leader hears them again.
      this.#statusQueue.length = 0;
      this.#attachmentQueue.clear();
      this.logs.closeAll(); // ends log responses, which would otherwise hold the API server open
      this.containers.closeAll();
      for (const ws of this.#sockets) ws.close(1001, 'manager shutting down');
      this.#lastSeen.clear();
      this.#suspects.clear();
      this.#disconnected.clear();
    });
    return driveLoop(this.store, signal, this, { onError: (err) => this.#log.error({ err }, 'dispatcher pass failed') });
  }

  /** close refuses sessions for good (the manager stops). */
  close(): void {
    this.#stopping = true;
    this.#wss.close();
    this.#streams.close();
  }

  init(tx: ReadTx): void {
    // Nodes known from before a restart get twice the usual grace to reconnect, as in Swarm.
    const start = monotonic() + this.heartbeatMs * HEARTBEAT_GRACE_MULTIPLIER;
    for (const n of tx.nodes.list()) if (n.Status.State !== 'down' && !this.#lastSeen.has(n.ID)) this.#lastSeen.set(n.ID, start);
  }

  observe(commit: Commit): void {
    for (const c of commit.changes) {
      if (!this.#viewsDirty && viewChanged(c)) this.#viewsDirty = true;
      if (c.kind === 'task') {
        const after = c.action === 'delete' ? undefined : c.object;
        const before = c.action === 'delete' ? c.object : c.old;
        for (const nodeId of new Set([before?.NodeID, after?.NodeID])) {
          const session = nodeId ? this.#sessions.get(nodeId) : undefined;
          if (!session) continue;
          const d = deltaFor(nodeId!, before, after);
          if (d?.kind === 'upsert') session.queueUpsert(d.task);
          else if (d?.kind === 'remove') session.queueRemove(d.id);
        }
        if (after) this.logs.taskChanged(after);
      } else if (c.kind === 'cluster' && c.old) {
        if (c.old.Spec.Dispatcher.HeartbeatPeriod !== c.object.Spec.Dispatcher.HeartbeatPeriod) this.#periodChanged = true;
        const root = c.object.BerthCA?.RootCert;
        if (root && root !== c.old.BerthCA?.RootCert) this.#closeOldRootSessions(root);
      } else if (c.kind === 'node' && c.action === 'update' && c.object.Certificate?.State === 'rotate' && c.old?.Certificate?.State !== 'rotate') {
        this.#sessions.get(c.object.ID)?.send({ type: 'renew' });
      } else if (c.kind === 'node' && c.action === 'delete') {
        this.#lastSeen.delete(c.object.ID);
        this.#disconnected.delete(c.object.ID);
        this.#sessions.get(c.object.ID)?.close(CLOSE_REMOVED, 'node was removed from the cluster');
      } else if (c.kind === 'node' && c.action === 'create' && !this.#lastSeen.has(c.object.ID)) {
        // A node that joined must open its session within the grace, or it is down.
        this.#lastSeen.set(c.object.ID, monotonic());
      }
    }
  }

  reconcile(): number | undefined {
    // Views first: a node builds the data path for a task before it starts the task's container.
    if (this.#viewsDirty) this.#sendViews();
    const dependencies = (tasks: Task[]) => this.store.view((tx) => dependenciesOf(tx, tasks));
    for (const s of this.#sessions.values()) s.flush(dependencies);
    if (this.#periodChanged) {
      // Agents learn the new period now; their grace restarts from here, so a shorter period
      // cannot condemn nodes still heartbeating at the old one.
      this.#periodChanged = false;
      const heartbeatPeriodMs = this.heartbeatMs;
      for (const s of this.#sessions.values()) s.send({ type: 'config', heartbeatPeriodMs });
      for (const id of this.#lastSeen.keys()) this.#lastSeen.set(id, monotonic());
      this.#suspects.clear();
    }
    const grace = this.heartbeatMs * HEARTBEAT_GRACE_MULTIPLIER;
    const t = monotonic();
    // A closed session (the agent process died, or its host shut down cleanly) gets one period
    // to come back: an agent restart rides it out, a dead agent's tasks move within seconds.
    const reconnectGrace = this.heartbeatMs;
    const gone = [...this.#disconnected].filter(([, at]) => t - at >= reconnectGrace).map(([id]) => id);
    const expired = [...this.#lastSeen].filter(([, seen]) => t - seen > grace).map(([id]) => id);
    // Mark down only what stayed expired across a second look: after a long stall of this
    // process, heartbeats already received are read in between.
    const confirmed = expired.filter((id) => this.#suspects.has(id));
    this.#suspects.clear();
    for (const id of expired) if (!confirmed.includes(id)) this.#suspects.add(id);
    if (confirmed.length + gone.length > 0) this.#markDown([...new Set([...confirmed, ...gone])], gone);
    if (this.#suspects.size > 0) return Date.now() + CONFIRM_DOWN_MS;
    let next: number | undefined;
    for (const seen of this.#lastSeen.values()) next = Math.min(next ?? Infinity, seen + grace + 1);
    for (const at of this.#disconnected.values()) next = Math.min(next ?? Infinity, at + reconnectGrace);
    return next === undefined ? undefined : Date.now() + Math.max(0, next - t);
  }

  /** Sends every connected node its network view, where it differs from the one it has. */
  #sendViews(): void {
    this.#viewsDirty = false;
    if (this.#sessions.size === 0) return;
    const index = this.store.view((tx) => new NetworkIndex(tx));
    for (const s of this.#sessions.values()) s.sendView(index.viewFor(s.nodeId));
  }

  #markDown(ids: string[], disconnected: string[]): void {
    this.store.update((tx) => {
      for (const id of ids) {
        const node = tx.nodes.get(id);
        if (node && node.Status.State !== 'down') {
          const why = disconnected.includes(id) ? 'agent disconnected' : 'heartbeat failure';
          tx.nodes.update({ ...node, Status: { ...node.Status, State: 'down', Message: why } });
          this.#log.warn({ node: id, hostname: node.Description.Hostname, why }, 'node marked down');
        }
      }
    });
    for (const id of ids) {
      this.#lastSeen.delete(id);
      this.#disconnected.delete(id);
      this.#sessions.get(id)?.close(CLOSE_EXPIRED, 'heartbeat expired');
    }
  }

  /** After a root rotation, sessions opened with an old-root certificate end: their agents reconnect with their new one. */
  #closeOldRootSessions(rootPem: string): void {
    const key = new X509Certificate(rootPem).publicKey;
    for (const s of this.#sessions.values()) {
      if (s.peerCert && !s.peerCert.verify(key)) s.close(CLOSE_OLD_ROOT, 'certificate from a root CA the cluster no longer trusts');
    }
  }

  /** #closed records that a node's session ended; a commit wakes the loop to time its grace. */
  #closed(nodeId: string): void {
    this.#disconnected.set(nodeId, monotonic());
    try {
      this.store.update((tx) => {
        const node = tx.nodes.get(nodeId);
        if (node && node.Status.State === 'ready') tx.nodes.update({ ...node, Status: { ...node.Status, State: 'disconnected', Message: 'agent disconnected' } });
      });
    } catch (err) {
      this.#log.error({ err, node: nodeId }, 'recording a closed session failed');
    }
  }

  #accept(ws: WebSocket, peer: CertIdentity, remote: string, cert: X509Certificate | undefined): void {
    // Between terms (several managers): the agent tries again, and is sent to the leader.
    if (this.#stopping) return void ws.close(1013, 'this manager is not the leader now; try again');
    this.#sockets.add(ws);
    const helloTimer = setTimeout(() => ws.close(CLOSE_AUTH, 'no hello received'), HELLO_TIMEOUT_MS);
    let session: AgentSession | undefined;
    ws.on('message', (data) => {
      try {
        const msg: unknown = JSON.parse(data.toString());
        if (!isObj(msg) || typeof msg.type !== 'string') return ws.close(1007, 'messages are JSON objects with a type');
        if (!session) {
          clearTimeout(helloTimer);
          if (msg.type !== 'hello') return ws.close(CLOSE_AUTH, 'the first message must be hello');
          session = this.#open(ws, peer, msg, remote, cert);
          return;
        }
        this.#lastSeen.set(session.nodeId, monotonic());
        if (msg.type === 'status' && Array.isArray(msg.updates)) this.#queueStatus(session.nodeId, msg.updates);
        else if (msg.type === 'attachments') this.#queueAttachments(session.nodeId, msg.attachments);
        else if (msg.type === 'logs') {
          const logs = validLogs(msg);
          if (!logs) return ws.close(1007, 'malformed logs message');
          this.logs.received(session.nodeId, logs);
        } else if (msg.type === 'container-result') {
          const answer = containerResult(msg);
          if (!answer) return ws.close(1007, 'malformed container-result message');
          this.containers.received(session.nodeId, answer.id, answer.result);
        }
      } catch (err) {
        this.#log.warn({ err, remote }, 'bad message from agent');
        ws.close(1007, 'bad message');
      }
    });
    ws.on('close', () => {
      clearTimeout(helloTimer);
      this.#sockets.delete(ws);
      if (session && this.#sessions.get(session.nodeId) === session) {
        this.#sessions.delete(session.nodeId);
        this.logs.nodeDown(session.nodeId);
        this.containers.nodeDown(session.nodeId);
        if (!this.#stopping && this.#lastSeen.has(session.nodeId)) this.#closed(session.nodeId);
      }
    });
    ws.on('error', (err) => this.#log.debug({ err }, 'agent socket error'));
  }

  /** #open admits a hello and sends the node its complete task set; on refusal it says why and closes. */
  #open(ws: WebSocket, peer: CertIdentity, hello: Record<string, unknown>, remote: string, cert: X509Certificate | undefined): AgentSession | undefined {
    let node;
    try {
      node = admit(this.store, peer, hello, remote);
    } catch (err) {
      const refused = err instanceof SessionRefused ? err : new SessionRefused('internal', 'join failed; retrying later');
      if (!(err instanceof SessionRefused)) this.#log.error({ err, remote }, 'admitting agent failed');
      else this.#log.warn({ remote, reason: refused.message }, 'agent refused');
      ws.send(JSON.stringify({ type: 'error', code: refused.code, message: refused.message }));
      ws.close(CLOSE_AUTH, refused.message.slice(0, 120));
      return undefined;
    }
    const previous = this.#sessions.get(node.ID);
    if (previous) {
      previous.close(CLOSE_REPLACED, 'replaced by a newer session of the same node');
      this.#sessions.delete(node.ID);
      this.logs.nodeDown(node.ID); // what the old session's agent was reading is lost with it
      this.containers.nodeDown(node.ID);
    }
    const session = new AgentSession(node.ID, ws, cert);
    this.#sessions.set(node.ID, session);
    this.#lastSeen.set(node.ID, monotonic());
    this.#disconnected.delete(node.ID);
    this.#log.info({ node: node.ID, hostname: node.Description.Hostname }, 'agent session started');
    session.send({ type: 'welcome', nodeId: node.ID, heartbeatPeriodMs: this.heartbeatMs, ...(this.#registries.length > 0 && { registries: this.#registries }) });
    if (this.#managers.length > 0) session.send({ type: 'managers', managers: this.#managers });
    // The network view before the tasks: the data path exists before their containers start.
    const [view, assignments] = this.store.view((tx) => {
      const tasks = tx.tasks.byNode(node.ID).filter((t) => visibleTo(t, node.ID));
      return [new NetworkIndex(tx).viewFor(node.ID), { tasks, ...dependenciesOf(tx, tasks) }] as const;
    });
    session.sendView(view);
    session.send({ type: 'assignments', full: true, removed: [], ...assignments });
    if (node.Certificate?.State === 'rotate') session.send({ type: 'renew' });
    this.logs.nodeUp(node.ID);
    return session;
  }

  #queueStatus(nodeId: string, updates: unknown[]): void {
    for (const u of updates) {
      if (!isObj(u) || typeof u.taskId !== 'string') continue;
      const s = validStatus(u.status);
      if (s) this.#statusQueue.push({ nodeId, taskId: u.taskId, status: s });
    }
    this.#statusTimer ??= setTimeout(() => this.#applyStatus(), STATUS_BATCH_MS);
  }

  #queueAttachments(nodeId: string, attachments: unknown): void {
    this.#attachmentQueue.set(nodeId, attachments);
    this.#attachmentTimer ??= setTimeout(() => this.#applyAttachments(), STATUS_BATCH_MS);
  }

  /** Writes queued attachment reports in one commit: each node's own, inside its blocks (src/dispatcher/attachments.ts). */
  #applyAttachments(): void {
    this.#attachmentTimer = undefined;
    const batch = [...this.#attachmentQueue];
    this.#attachmentQueue.clear();
    try {
      this.store.update((tx) => {
        for (const [nodeId, raw] of batch) {
          const node = tx.nodes.get(nodeId);
          if (!node) continue;
          const accepted = acceptAttachments(tx, node, raw);
          if (!accepted) {
            this.#log.warn({ node: nodeId }, 'malformed attachments report ignored');
            continue;
          }
          if (accepted.dropped > 0) this.#log.warn({ node: nodeId, dropped: accepted.dropped }, 'attachments outside the node\'s blocks or malformed were ignored');
          if (JSON.stringify(node.BerthAttachments ?? []) === JSON.stringify(accepted.kept)) continue;
          const { BerthAttachments: _old, ...rest } = node;
          tx.nodes.update({ ...rest, ...(accepted.kept.length > 0 && { BerthAttachments: accepted.kept }) });
        }
      });
    } catch (err) {
      // Nothing was written: the agents resend their reports when they reconnect.
      this.#log.error({ err }, 'writing attachments failed; asking agents to resend');
      for (const [nodeId] of batch) this.#sessions.get(nodeId)?.close(CLOSE_RESYNC, 'resend attachments');
    }
  }

  /** Writes queued statuses in one commit: only the reporting node's tasks, only forward. */
  #applyStatus(): void {
    this.#statusTimer = undefined;
    const batch = this.#statusQueue.splice(0);
    try {
      this.store.update((tx) => {
        for (const { nodeId, taskId, status } of batch) {
          const t = tx.tasks.get(taskId);
          // A task reaches its agent from ASSIGNED on; earlier it is not the agent's to report.
          if (!t || t.NodeID !== nodeId || stateRank(t.Status.State) < stateRank('assigned')) continue;
          if (!canAdvance(t.Status.State, status.State)) continue;
          if (t.Status.State === status.State && t.Status.Message === status.Message && t.Status.Err === status.Err) continue;
          tx.tasks.update({ ...t, Status: status });
        }
      });
    } catch (err) {
      // Nothing was written: make the reporting agents reconnect, which resends every status.
      this.#log.error({ err }, 'writing task statuses failed; asking agents to resend');
      for (const nodeId of new Set(batch.map((b) => b.nodeId))) this.#sessions.get(nodeId)?.close(CLOSE_RESYNC, 'resend statuses');
    }
  }
}

/** What an upgrade is answered with instead of a session. */
export interface UpgradeAnswer {
  status: number;
  message: string;
  headers?: Record<string, string>;
}

function refuse(socket: Duplex, status: number, message: string, headers: Record<string, string> = {}): void {
  const body = JSON.stringify({ message });
  const extra = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('');
  socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\n${extra}Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
}

