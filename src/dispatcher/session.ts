// One agent's session: the socket, its node, and the assignment messages queued for it.

import type { X509Certificate } from 'node:crypto';
import type { WebSocket } from 'ws';
import type { ManagerMessage, NetworkViewMessage, Task } from '../types/index.js';
import type { Dependencies } from './assignments.js';

export class AgentSession {
  readonly #upserts = new Map<string, Task>();
  readonly #removed = new Set<string>();
  /** The JSON of the last network view sent: an unchanged view is not sent again. */
  #lastView: string | undefined;

  constructor(
    readonly nodeId: string,
    private readonly socket: WebSocket,
    /** The certificate the session was opened with: after a root rotation, one from the old root ends it. */
    readonly peerCert?: X509Certificate,
  ) {}

  send(msg: ManagerMessage): void {
    if (this.socket.readyState === this.socket.OPEN) this.socket.send(JSON.stringify(msg));
  }

  sendView(view: NetworkViewMessage): void {
    const json = JSON.stringify(view);
    if (json === this.#lastView || this.socket.readyState !== this.socket.OPEN) return;
    this.#lastView = json;
    this.socket.send(json);
  }

  queueUpsert(task: Task): void {
    this.#removed.delete(task.ID);
    this.#upserts.set(task.ID, task);
  }

  queueRemove(id: string): void {
    this.#upserts.delete(id);
    this.#removed.add(id);
  }

  /** flush sends the queued changes as one incremental assignments message, with what its tasks reference. */
  flush(dependencies: (tasks: Task[]) => Dependencies): void {
    if (this.#upserts.size === 0 && this.#removed.size === 0) return;
    const tasks = [...this.#upserts.values()];
    this.send({ type: 'assignments', full: false, tasks, removed: [...this.#removed], ...dependencies(tasks) });
    this.#upserts.clear();
    this.#removed.clear();
  }

  close(code: number, reason: string): void {
    this.socket.close(code, reason);
  }
}
