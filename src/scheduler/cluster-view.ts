// The scheduler loop's picture of the cluster, kept current change by change from the store's
// watch: the nodes, each node's load from its active tasks, and the tasks waiting to be placed.
// Applying a change also tells whether pending tasks deserve another attempt: a new pending
// task, a node whose schedulable fields changed, or a task that freed its place — its observed
// state left assigned..running (it ended) or it was deleted. A task merely desired shut down
// still holds its place (see isActiveTask), so that alone triggers nothing.

import { isDeepStrictEqual } from 'node:util';
import type { Node, Task } from '../types/index.js';
import type { Change, ReadTx } from '../store/index.js';
import { isActiveTask, isSchedulable, NodeLoad, type NodeInfo } from './node-info.js';

export class ClusterView {
  readonly #nodes = new Map<string, Node>();
  /** Loads by node ID; a load may outlive its node (or precede it) while tasks still name it. */
  readonly #loads = new Map<string, NodeLoad>();
  readonly #pending = new Map<string, Task>();

  /** load (re)builds the view from a snapshot; safe to call again to resynchronise. */
  load(tx: ReadTx): void {
    this.#nodes.clear();
    this.#loads.clear();
    this.#pending.clear();
    for (const n of tx.nodes.list()) this.#nodes.set(n.ID, n);
    for (const t of tx.tasks.list()) this.#taskChanged(undefined, t);
  }

  /** apply folds one change in; it returns true when pending tasks should be tried again. */
  apply(c: Change): boolean {
    if (c.kind === 'task') {
      const old = c.action === 'delete' ? c.object : c.old;
      return this.#taskChanged(old, c.action === 'delete' ? undefined : c.object);
    }
    if (c.kind !== 'node') return false;
    if (c.action === 'delete') {
      this.#nodes.delete(c.object.ID);
      return false;
    }
    const before = this.#nodes.get(c.object.ID);
    this.#nodes.set(c.object.ID, c.object);
    return !before || !isDeepStrictEqual(schedulingFields(before), schedulingFields(c.object));
  }

  get pendingCount(): number {
    return this.#pending.size;
  }

  pendingTasks(): Task[] {
    return [...this.#pending.values()];
  }

  node(id: string): Node | undefined {
    return this.#nodes.get(id);
  }

  /** nodeInfos snapshots every node with its load; valid until the next apply. */
  nodeInfos(): NodeInfo[] {
    const out: NodeInfo[] = [];
    for (const node of this.#nodes.values()) out.push((this.#loads.get(node.ID) ?? EMPTY_LOAD).info(node));
    return out;
  }

  #taskChanged(old: Task | undefined, now: Task | undefined): boolean {
    const wasActive = old !== undefined && isActiveTask(old);
    const isActive = now !== undefined && isActiveTask(now);
    if (wasActive) this.#loadOf(old.NodeID!).remove(old);
    if (isActive) this.#loadOf(now.NodeID!).add(now);
    if (wasActive && !isActive) this.#dropIfUnused(old.NodeID!);
    const id = (now ?? old)!.ID;
    const wasPending = this.#pending.has(id);
    if (now !== undefined && isSchedulable(now)) this.#pending.set(id, now);
    else this.#pending.delete(id);
    return (wasActive && !isActive) || (!wasPending && this.#pending.has(id));
  }

  #loadOf(nodeId: string): NodeLoad {
    let load = this.#loads.get(nodeId);
    if (!load) this.#loads.set(nodeId, (load = new NodeLoad()));
    return load;
  }

  #dropIfUnused(nodeId: string): void {
    if (this.#loads.get(nodeId)?.empty) this.#loads.delete(nodeId);
  }
}

const EMPTY_LOAD = new NodeLoad();

/** The node fields the filters read; other changes (e.g. a status message) cannot help a task fit. */
function schedulingFields(n: Node): unknown {
  const d = n.Description;
  return [n.Spec, n.Status.State, n.Status.Addr, d.Hostname, d.Platform, d.Resources, d.Engine?.Labels];
}
