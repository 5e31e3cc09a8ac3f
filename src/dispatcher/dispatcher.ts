// The dispatcher is the manager's side of every agent session (see docs/dispatcher.md): it
// admits nodes, streams each node its complete task set and then the changes, writes the task
// statuses agents report (forward only, own tasks only), and marks a node down when its
// heartbeats stop for HEARTBEAT_GRACE_MULTIPLIER periods.

import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { DEFAULT_HEARTBEAT_MS, HEARTBEAT_GRACE_MULTIPLIER } from '../common/defaults.js';
import { newId } from '../common/ids.js';
import { silentLogger, type Logger } from '../common/log.js';
import { now } from '../common/time.js';
import { driveLoop, type Commit, type ReadTx, type Store } from '../store/index.js';
import {
  DISPATCHER_PATH,
  UnauthorizedError,
  canAdvance,
  isTaskState,
  type AgentMessage,
  type HelloMessage,
  type Node,
  type TaskStatusUpdate,
} from '../types/index.js';
import { deltaFor, visibleTo } from './assignments.js';
import { hashSecret, newSecret, sameSecret, sameToken } from './auth.js';
import { AgentSession } from './session.js';

export interface DispatcherOptions {
  log?: Logger;
  /** Token the in-process agent of `berth up` joins with; its node becomes the manager's node. */
  localToken?: string;
  /** Address shown as the manager node's ManagerStatus.Addr (known once the server listens). */
  managerAddr?: () => string;
  heartbeatMs?: number;
}

const CLOSE_AUTH = 4001;
const CLOSE_REPLACED = 4002;
const CLOSE_REMOVED = 4003;
const CLOSE_EXPIRED = 4004;
const HELLO_TIMEOUT_MS = 10_000;
const STATUS_BATCH_MS = 20;

export class Dispatcher {
  readonly #sessions = new Map<string, AgentSession>();
  readonly #lastSeen = new Map<string, number>();
  readonly #statusQueue: { nodeId: string; updates: TaskStatusUpdate[] }[] = [];
  readonly #wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 2 ** 20 });
  readonly #log: Logger;
  #statusTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly store: Store,
    private readonly opts: DispatcherOptions = {},
  ) {
    this.#log = opts.log ?? silentLogger();
  }

  get heartbeatMs(): number {
    const ns = this.store.view((tx) => tx.cluster()?.Spec.Dispatcher.HeartbeatPeriod);
    return this.opts.heartbeatMs ?? (ns ? ns / 1e6 : DEFAULT_HEARTBEAT_MS);
  }

  /** attach takes over WebSocket upgrades on DISPATCHER_PATH of the manager's HTTP server. */
  attach(server: Server): void {
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      if (new URL(req.url ?? '/', 'http://x').pathname !== DISPATCHER_PATH) return socket.destroy();
      this.#wss.handleUpgrade(req, socket, head, (ws) => this.#accept(ws, req.socket.remoteAddress ?? ''));
    });
  }

  run(signal: AbortSignal): Promise<void> {
    signal.addEventListener('abort', () => {
      for (const s of this.#sessions.values()) s.close(1001, 'manager shutting down');
      this.#wss.close();
    });
    return driveLoop(this.store, signal, this, { onError: (err) => this.#log.error({ err }, 'dispatcher pass failed') });
  }

  init(tx: ReadTx): void {
    // Nodes known from before a restart get twice the usual grace to reconnect, as in Swarm.
    const start = Date.now() + this.heartbeatMs * HEARTBEAT_GRACE_MULTIPLIER;
    for (const n of tx.nodes.list()) if (n.Status.State !== 'down') this.#lastSeen.set(n.ID, start);
  }

  observe(commit: Commit): void {
    for (const c of commit.changes) {
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
      } else if (c.kind === 'node' && c.action === 'delete') {
        this.#lastSeen.delete(c.object.ID);
        this.#sessions.get(c.object.ID)?.close(CLOSE_REMOVED, 'node was removed from the cluster; join again with a join token');
      }
    }
  }

  reconcile(): number | undefined {
    for (const s of this.#sessions.values()) s.flush();
    const grace = this.heartbeatMs * HEARTBEAT_GRACE_MULTIPLIER;
    const t = Date.now();
    const expired = [...this.#lastSeen].filter(([, seen]) => t - seen > grace).map(([id]) => id);
    if (expired.length > 0) this.#markDown(expired);
    let next: number | undefined;
    for (const seen of this.#lastSeen.values()) next = Math.min(next ?? Infinity, seen + grace + 1);
    return next;
  }

  #markDown(ids: string[]): void {
    this.store.update((tx) => {
      for (const id of ids) {
        this.#lastSeen.delete(id);
        const node = tx.nodes.get(id);
        if (node && node.Status.State !== 'down') {
          tx.nodes.update({ ...node, Status: { ...node.Status, State: 'down', Message: 'heartbeat failure' } });
          this.#log.warn({ node: id, hostname: node.Description.Hostname }, 'node missed its heartbeats: marked down');
        }
      }
    });
    for (const id of ids) this.#sessions.get(id)?.close(CLOSE_EXPIRED, 'heartbeat expired');
  }

  #accept(ws: WebSocket, remote: string): void {
    const helloTimer = setTimeout(() => ws.close(CLOSE_AUTH, 'no hello received'), HELLO_TIMEOUT_MS);
    let session: AgentSession | undefined;
    ws.on('message', (data) => {
      let msg: AgentMessage;
      try {
        msg = JSON.parse(data.toString()) as AgentMessage;
      } catch {
        return ws.close(1007, 'messages must be JSON');
      }
      if (!session) {
        clearTimeout(helloTimer);
        if (msg.type !== 'hello') return ws.close(CLOSE_AUTH, 'the first message must be hello');
        try {
          session = this.#admit(ws, msg, remote);
        } catch (err) {
          const message = err instanceof UnauthorizedError ? err.message : 'join failed';
          this.#log.warn({ err, remote }, 'agent rejected');
          ws.send(JSON.stringify({ type: 'error', message }));
          return ws.close(CLOSE_AUTH, message.slice(0, 120));
        }
        return;
      }
      this.#lastSeen.set(session.nodeId, Date.now());
      if (msg.type === 'status' && Array.isArray(msg.updates)) this.#queueStatus(session.nodeId, msg.updates);
    });
    ws.on('close', () => {
      clearTimeout(helloTimer);
      if (session && this.#sessions.get(session.nodeId) === session) this.#sessions.delete(session.nodeId);
    });
    ws.on('error', (err) => this.#log.debug({ err }, 'agent socket error'));
  }

  /** #admit authenticates a hello, records the node as ready and sends it its complete task set. */
  #admit(ws: WebSocket, hello: HelloMessage, remote: string): AgentSession {
    let secret: string | undefined;
    const node = this.store.update((tx) => {
      const cluster = tx.cluster();
      const known = hello.nodeId ? tx.nodes.get(hello.nodeId) : undefined;
      const status = { State: 'ready' as const, Message: '', Addr: hello.addr || remote };
      if (known && hello.secret && sameSecret(hello.secret, known.BerthSecretHash)) {
        return tx.nodes.update({ ...known, Description: hello.description, Status: status });
      }
      const local = sameToken(hello.joinToken, this.opts.localToken);
      if (!local && sameToken(hello.joinToken, cluster?.JoinTokens.Manager)) {
        throw new UnauthorizedError('joining as a manager is not supported yet: Berth runs a single manager; join with the worker token');
      }
      if (!local && !sameToken(hello.joinToken, cluster?.JoinTokens.Worker)) {
        throw new UnauthorizedError(
          hello.nodeId ? `node ${hello.nodeId} is not known or its secret is wrong; join again with a join token` : 'invalid join token',
        );
      }
      secret = newSecret();
      const fresh: Node = {
        ID: newId(),
        Version: { Index: 0 },
        CreatedAt: '',
        UpdatedAt: '',
        Spec: { Role: local ? 'manager' : 'worker', Availability: 'active', Labels: hello.labels ?? {} },
        Description: hello.description,
        Status: status,
        BerthSecretHash: hashSecret(secret),
        ...(local ? { ManagerStatus: { Leader: true, Reachability: 'reachable' as const, Addr: this.opts.managerAddr?.() ?? '' } } : {}),
      };
      return tx.nodes.create(fresh);
    });
    this.#sessions.get(node.ID)?.close(CLOSE_REPLACED, 'replaced by a newer session of the same node');
    const session = new AgentSession(node.ID, ws);
    this.#sessions.set(node.ID, session);
    this.#lastSeen.set(node.ID, Date.now());
    this.#log.info({ node: node.ID, hostname: node.Description.Hostname, joined: !!secret }, 'agent session started');
    session.send({ type: 'welcome', nodeId: node.ID, heartbeatPeriodMs: this.heartbeatMs, ...(secret ? { secret } : {}) });
    const tasks = this.store.view((tx) => tx.tasks.byNode(node.ID).filter((t) => visibleTo(t, node.ID)));
    session.send({ type: 'assignments', full: true, tasks, removed: [] });
    return session;
  }

  #queueStatus(nodeId: string, updates: TaskStatusUpdate[]): void {
    this.#statusQueue.push({ nodeId, updates });
    this.#statusTimer ??= setTimeout(() => this.#applyStatus(), STATUS_BATCH_MS);
  }

  /** Writes queued statuses in one commit: only for the reporting node's tasks, only forward. */
  #applyStatus(): void {
    this.#statusTimer = undefined;
    const batch = this.#statusQueue.splice(0);
    try {
      this.store.update((tx) => {
        for (const { nodeId, updates } of batch) {
          for (const u of updates) {
            const t = u && typeof u.taskId === 'string' ? tx.tasks.get(u.taskId) : undefined;
            if (!t || t.NodeID !== nodeId || !u.status || !isTaskState(u.status.State)) continue;
            if (!canAdvance(t.Status.State, u.status.State)) continue;
            if (t.Status.State === u.status.State && t.Status.Message === u.status.Message && t.Status.Err === u.status.Err) continue;
            tx.tasks.update({ ...t, Status: { ...u.status, Timestamp: u.status.Timestamp || now() } });
          }
        }
      });
    } catch (err) {
      this.#log.error({ err }, 'writing task statuses failed');
    }
  }
}
