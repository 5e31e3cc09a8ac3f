// The agent's side of the manager's container routes (docs/containers.md): calls on its engine
// for the manager (container-call → container-result) and streams it dials back to the manager
// (stream-open → a WebSocket to STREAM_PATH/<id>). Only this node's task containers are
// reached, and only the exec instances made through this agent: anything else is "No such
// container" / "No such exec instance", whatever the manager asks.

import type Dockerode from 'dockerode';
import type { Duplex, Readable } from 'node:stream';
import type WebSocket from 'ws';
import type { Logger } from '../../common/log.js';
import { WsStream } from '../../common/ws-stream.js';
import { STREAM_MAX_FRAME } from '../../types/index.js';
import type { CallResult, ContainerCall, ContainerCallMessage, ContainerLogQuery, ContainerResultMessage, StreamOpenMessage, StreamSpec } from '../../types/index.js';
import { engineMessage, statusOf } from '../engine/engine-errors.js';
import { LABEL_NODE, LABEL_TASK } from '../tasks/container-config.js';
import { ownedBy } from '../tasks/ownership.js';

/** Exec instances this agent remembers; the oldest go first. */
const MAX_EXECS = 1000;
/** An answer beyond this does not fit a session frame (8 MiB): it is refused instead. */
const MAX_RESULT_BYTES = 6 * 2 ** 20;
/** How long an exec's end may lag behind its output's (Podman reports it a moment later). */
const EXEC_EXIT_WAIT_MS = 2000;

export interface ContainerServiceOptions {
  docker: Dockerode;
  clusterId: string;
  nodeId: string;
  log: Logger;
  send: (msg: ContainerResultMessage) => void;
  /** Dials the manager for the stream `id` (its cluster port, with the node certificate). */
  dial: (id: string) => WebSocket;
}

class Refused extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export class ContainerService {
  /** exec id → container id, for the execs made through this agent. */
  readonly #execs = new Map<string, string>();
  readonly #streams = new Set<Duplex>();

  constructor(private readonly opts: ContainerServiceOptions) {}

  /** Streams open now (each with its engine request). */
  get streams(): number {
    return this.#streams.size;
  }

  handle(msg: ContainerCallMessage | StreamOpenMessage): void {
    if (typeof msg.id !== 'string') return;
    if (msg.type === 'container-call') void this.#answer(msg.id, () => this.#call(msg.call));
    else void this.#open(msg.id, msg.stream);
  }

  /** closeAll ends every stream (the agent stops). */
  closeAll(): void {
    for (const s of this.#streams) s.destroy();
  }

  async #answer(id: string, run: () => Promise<CallResult>): Promise<void> {
    let result: CallResult;
    try {
      result = await run();
    } catch (err) {
      result = failure(err);
    }
    const json = JSON.stringify({ type: 'container-result', id, ...result });
    if (json.length > MAX_RESULT_BYTES) result = { status: 500, message: `the engine's answer is too large to pass on (${json.length} bytes)` };
    this.opts.send({ type: 'container-result', id, ...result });
  }

  async #call(call: ContainerCall): Promise<CallResult> {
    const { docker } = this.opts;
    switch (call.op) {
      case 'list': {
        const label = [...(call.filters.label ?? []), LABEL_TASK, `${LABEL_NODE}=${this.opts.nodeId}`];
        const list = await docker.listContainers({ all: call.all, size: call.size, ...(call.limit !== undefined && { limit: call.limit }), filters: { ...call.filters, label } });
        return { status: 200, body: list.filter((c) => ownedBy(c.Labels, this.opts.clusterId)) };
      }
      case 'inspect':
        return { status: 200, body: await (await this.#own(call.container)).inspect({ size: call.size } as Dockerode.ContainerInspectOptions) };
      case 'top':
        return { status: 200, body: await (await this.#own(call.container)).top(call.psArgs ? { ps_args: call.psArgs } : {}) };
      case 'stats':
        return { status: 200, body: await (await this.#own(call.container)).stats({ stream: false }) };
      case 'exec-create': {
        const container = await this.#own(call.container);
        const exec = await container.exec(call.options);
        this.#execs.set(exec.id, container.id);
        if (this.#execs.size > MAX_EXECS) this.#execs.delete(this.#execs.keys().next().value!);
        return { status: 201, body: { Id: exec.id } };
      }
      case 'exec-inspect':
        return { status: 200, body: await this.#exec(call.exec).inspect() };
      case 'exec-resize':
        await this.#exec(call.exec).resize({ h: call.h, w: call.w });
        return { status: 200 };
      case 'exec-start-detached':
        await this.#exec(call.exec).start({ Detach: true });
        return { status: 200 };
      default:
        return { status: 400, message: 'unknown container call' };
    }
  }

  /** #own gives a container of this node's tasks, or refuses as the engine would for a missing one. */
  async #own(ref: string): Promise<Dockerode.Container> {
    const container = this.opts.docker.getContainer(ref);
    const info = await container.inspect().catch((err: unknown) => {
      if (statusOf(err) === 404) throw new Refused(404, `No such container: ${ref}`);
      throw err;
    });
    const labels = info.Config.Labels ?? {};
    if (!labels[LABEL_TASK] || labels[LABEL_NODE] !== this.opts.nodeId || !ownedBy(labels, this.opts.clusterId)) throw new Refused(404, `No such container: ${ref}`);
    return this.opts.docker.getContainer(info.Id);
  }

  #exec(id: string): Dockerode.Exec {
    if (!this.#execs.has(id)) throw new Refused(404, `No such exec instance: ${id}`);
    return this.opts.docker.getExec(id);
  }

  /** #open starts the stream on the engine (a refusal is answered over the session), then dials the manager and carries the bytes. */
  async #open(id: string, spec: StreamSpec): Promise<void> {
    let engine: Duplex | Readable;
    try {
      engine = await this.#engineStream(spec);
    } catch (err) {
      return this.opts.send({ type: 'container-result', id, ...failure(err) });
    }
    this.#streams.add(engine as Duplex);
    engine.once('close', () => this.#streams.delete(engine as Duplex));
    let ws: WebSocket;
    try {
      ws = this.opts.dial(id);
    } catch (err) {
      this.opts.log.warn({ err: (err as Error).message }, 'dialing the manager for a stream failed');
      return void engine.destroy();
    }
    ws.on('unexpected-response', (_req, res) => {
      res.resume();
      this.opts.log.warn({ status: res.statusCode }, 'the manager refused a stream (its request may have timed out)');
      ws.terminate();
    });
    ws.on('error', (err) => this.opts.log.debug({ err: err.message }, 'stream connection error'));
    // Refused or never open: the engine's side goes too.
    ws.once('close', () => engine.destroy());
    ws.once('open', () => this.#carry(ws, engine, spec));
  }

  #carry(ws: WebSocket, engine: Duplex | Readable, spec: StreamSpec): void {
    const wire = new WsStream(ws, STREAM_MAX_FRAME);
    engine.pipe(wire);
    // The client's stdin; its end half-closes the exec's (the output goes on).
    if (spec.op === 'exec' && spec.stdin) wire.pipe(engine as Duplex);
    wire.once('finish', () => {
      // The exit code is the client's next question: answer it only once the engine knows it.
      const done = spec.op === 'exec' ? this.#exited(spec.exec) : Promise.resolve();
      void done.finally(() => wire.close());
    });
    wire.once('close', () => engine.destroy());
    wire.on('error', (err) => this.opts.log.debug({ err: err.message }, 'stream ended early'));
    engine.once('error', (err) => wire.destroy(err));
  }

  async #engineStream(spec: StreamSpec): Promise<Duplex | Readable> {
    switch (spec.op) {
      case 'logs':
        return this.#logs((await this.#own(spec.container)).id, spec.query);
      case 'stats':
        return (await (await this.#own(spec.container)).stats({ stream: true })) as unknown as Readable;
      case 'exec':
        return (await this.#exec(spec.exec).start({ hijack: true, stdin: spec.stdin, Tty: spec.tty })) as Duplex;
    }
  }

  #logs(containerId: string, q: ContainerLogQuery): Promise<Readable> {
    const options = { follow: q.follow, stdout: q.stdout, stderr: q.stderr, timestamps: q.timestamps, tail: q.tail, ...(q.since && { since: q.since }), ...(q.until && { until: q.until }) };
    return new Promise((resolve, reject) =>
      this.opts.docker.modem.dial(
        { path: `/containers/${encodeURIComponent(containerId)}/logs?`, method: 'GET', isStream: true, options, statusCodes: { 200: true, 400: 'bad parameter', 404: 'no such container', 500: 'server error' } },
        (err, res) => (err ? reject(err) : resolve(res as Readable)),
      ),
    );
  }

  /** #exited waits (briefly) until the engine reports the exec ended. */
  async #exited(execId: string): Promise<void> {
    const until = Date.now() + EXEC_EXIT_WAIT_MS;
    while (Date.now() < until) {
      const info = await this.opts.docker.getExec(execId).inspect().catch(() => undefined);
      if (!info?.Running) return;
      await new Promise((r) => setTimeout(r, 25));
    }
  }
}

/** failure is an engine error as the manager passes it on: its status and message. */
function failure(err: unknown): CallResult {
  if (err instanceof Refused) return { status: err.status, message: err.message };
  return { status: statusOf(err) ?? 500, message: engineMessage(err) };
}
