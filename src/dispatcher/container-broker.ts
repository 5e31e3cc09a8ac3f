// The container broker serves the API's container and exec routes over the agents' sessions
// (docs/containers.md): calls go out as container-call messages and come back as
// container-result; streams (logs -f, stats, exec) go out as stream-open and come back as a
// WebSocket the agent dials to STREAM_PATH/<id> with its node certificate. A stream is paired
// with its request only if the certificate names the node it was asked of; ids are 128 random
// bits and live STREAM_DIAL_MS. Exec instances made through this manager are remembered (bounded)
// so that /exec/{id} routes reach their node.

import { randomBytes } from 'node:crypto';
import type { Duplex } from 'node:stream';
import type WebSocket from 'ws';
import type { Logger } from '../common/log.js';
import { WsStream } from '../common/ws-stream.js';
import { EngineRefusal, STREAM_MAX_FRAME, UnavailableError } from '../types/index.js';
import type { CallResult, ContainerCall, ContainerSource, ExecPlace, ManagerMessage, StreamSpec } from '../types/index.js';

/** How long one node may take to list its containers: a slow node cannot stall `docker ps`. */
export const LIST_TIMEOUT_MS = 5_000;
/** How long a call may take (a one-shot stats reads two samples, a second apart). */
const CALL_TIMEOUT_MS = 30_000;
/** How long the agent has to start a stream on its engine and dial back. */
const STREAM_DIAL_MS = 15_000;
/** Exec instances remembered; the oldest go first (Docker's own are kept until their container goes). */
const MAX_EXECS = 10_000;

interface Pending {
  nodeId: string;
  timer: NodeJS.Timeout;
  resolve: (r: CallResult) => void;
  reject: (err: Error) => void;
  /** For a stream: resolved by the agent's dial instead. */
  dialed?: (ws: WebSocket) => void;
}

export interface BrokerTransport {
  connected(nodeId: string): boolean;
  send(nodeId: string, msg: ManagerMessage): void;
}

export class ContainerBroker implements ContainerSource {
  readonly #pending = new Map<string, Pending>();
  readonly #execs = new Map<string, ExecPlace>();
  /** Streams paired with their request and not yet closed. */
  readonly #streams = new Set<WsStream>();

  constructor(
    private readonly transport: BrokerTransport,
    private readonly log: Logger,
  ) {}

  async list(call: Extract<ContainerCall, { op: 'list' }>, nodeIds: string[]): Promise<{ nodeId: string; containers: unknown[] }[]> {
    const answers = await Promise.all(
      nodeIds.filter((n) => this.transport.connected(n)).map(async (nodeId) => {
        try {
          const r = await this.#call(nodeId, call, LIST_TIMEOUT_MS);
          if (r.status === 200 && Array.isArray(r.body)) return { nodeId, containers: r.body };
          this.log.warn({ node: nodeId, status: r.status, reason: r.message }, 'a node could not list its containers');
        } catch (err) {
          this.log.warn({ node: nodeId, err: (err as Error).message }, 'a node did not list its containers in time: left out');
        }
        return undefined;
      }),
    );
    return answers.filter((a) => a !== undefined);
  }

  call(nodeId: string, call: ContainerCall): Promise<CallResult> {
    return this.#call(nodeId, call, CALL_TIMEOUT_MS);
  }

  #call(nodeId: string, call: ContainerCall, timeoutMs: number): Promise<CallResult> {
    return new Promise((resolve, reject) => {
      const id = this.#open(nodeId, timeoutMs, resolve, reject);
      this.transport.send(nodeId, { type: 'container-call', id, call });
    });
  }

  stream(nodeId: string, spec: StreamSpec): Promise<Duplex> {
    return new Promise((resolve, reject) => {
      const id = this.#open(nodeId, STREAM_DIAL_MS, (r) => reject(new EngineRefusal(r)), reject);
      this.#pending.get(id)!.dialed = (ws) => {
        const s = new WsStream(ws, STREAM_MAX_FRAME);
        this.#streams.add(s);
        s.once('close', () => this.#streams.delete(s));
        resolve(s);
      };
      this.transport.send(nodeId, { type: 'stream-open', id, stream: spec });
    });
  }

  #open(nodeId: string, timeoutMs: number, resolve: (r: CallResult) => void, reject: (err: Error) => void): string {
    if (!this.transport.connected(nodeId)) throw notConnected(nodeId);
    const id = randomBytes(16).toString('hex');
    const timer = setTimeout(() => {
      this.#pending.delete(id);
      reject(new UnavailableError(`node ${nodeId} did not answer within ${timeoutMs / 1000} s: retry, or check its agent`));
    }, timeoutMs);
    this.#pending.set(id, { nodeId, timer, resolve, reject });
    return id;
  }

  /** received takes a container-result from a node; only the node a request went to may answer it. */
  received(nodeId: string, id: string, result: CallResult): void {
    const p = this.#pending.get(id);
    if (!p || p.nodeId !== nodeId) return;
    this.#pending.delete(id);
    clearTimeout(p.timer);
    p.resolve(result);
  }

  /**
   * accepts says whether a stream dial is expected from this node (checked before the upgrade);
   * a dial with a known id from another node fails that request: its id has leaked.
   */
  accepts(nodeId: string, id: string): boolean {
    const p = this.#pending.get(id);
    if (!p?.dialed) return false;
    if (p.nodeId === nodeId) return true;
    this.#pending.delete(id);
    clearTimeout(p.timer);
    p.reject(new UnavailableError('the stream was dialed by another node: refused'));
    this.log.warn({ expected: p.nodeId, node: nodeId }, 'a stream was dialed by a node it was not asked of');
    return false;
  }

  /** dialed pairs an accepted stream's WebSocket with its request. */
  dialed(id: string, ws: WebSocket): void {
    const p = this.#pending.get(id);
    if (!p?.dialed) return void ws.close(1008, 'no such stream');
    this.#pending.delete(id);
    clearTimeout(p.timer);
    p.dialed(ws);
  }

  /** nodeDown fails what was asked of a node whose session ended. */
  nodeDown(nodeId: string): void {
    for (const [id, p] of this.#pending) {
      if (p.nodeId !== nodeId) continue;
      this.#pending.delete(id);
      clearTimeout(p.timer);
      p.reject(notConnected(nodeId));
    }
  }

  rememberExec(exec: ExecPlace): void {
    this.#execs.set(exec.execId, exec);
    if (this.#execs.size > MAX_EXECS) this.#execs.delete(this.#execs.keys().next().value!);
  }

  exec(execId: string): ExecPlace | undefined {
    return this.#execs.get(execId);
  }

  closeAll(): void {
    const gone = new UnavailableError('this manager is no longer the leader: retry');
    for (const [id, p] of this.#pending) {
      this.#pending.delete(id);
      clearTimeout(p.timer);
      p.reject(gone);
    }
    // Open streams (a followed log, an exec) end too: their connections would hold the cluster port open.
    for (const s of this.#streams) s.destroy(gone);
    this.#execs.clear();
  }
}

function notConnected(nodeId: string): UnavailableError {
  return new UnavailableError(`node ${nodeId} is not connected to the manager: its containers cannot be reached now`);
}
