// What the scheduler knows about a node: the node object plus the load its active tasks put on
// it (task counts per service, reserved CPU and memory, host-mode ports in use). NodeLoad is
// the mutable accumulator the scheduler loop keeps current from watch events; NodeInfo is the
// read-only snapshot the pure placement function takes.

import { publishMode } from '../common/networks.js';
import { stateRank, type Node, type Task } from '../types/index.js';

/** A host-mode published port as `${protocol}/${port}`, e.g. `tcp/8080`. */
export type HostPort = `${string}/${number}`;

export interface NodeInfo {
  readonly node: Node;
  readonly activeByService: ReadonlyMap<string, number>;
  readonly activeTotal: number;
  readonly reservedNanoCPUs: number;
  readonly reservedMemoryBytes: number;
  readonly hostPorts: ReadonlySet<HostPort>;
}

const ASSIGNED = stateRank('assigned');
const RUNNING = stateRank('running');

/**
 * isActiveTask tells whether a task holds a place on its node, judged by its OBSERVED state as
 * Swarm's nodeinfo does: it has a node and is between assigned and running. The desired state
 * does not matter: a task the manager wants shut down still holds its host ports, memory and
 * replica place until its agent reports it ended, so a stop-first replacement cannot land on a
 * port its predecessor still binds. A task still pending (a global task whose node was preset)
 * does not count yet: it holds nothing until the scheduler confirms it fits.
 */
export function isActiveTask(t: Task): boolean {
  if (!t.NodeID) return false;
  const rank = stateRank(t.Status.State);
  return rank >= ASSIGNED && rank <= RUNNING;
}

/** isSchedulable tells whether a task waits for the scheduler: pending and still wanted. */
export function isSchedulable(t: Task): boolean {
  return t.Status.State === 'pending' && stateRank(t.DesiredState) <= RUNNING;
}

/**
 * taskHostPorts lists the ports a task binds on its node: those published in host mode. Ingress
 * ports belong to the routing mesh, which answers them on every node whatever runs there.
 */
export function taskHostPorts(t: Task): HostPort[] {
  const out: HostPort[] = [];
  for (const p of t.BerthService.Endpoint?.Ports ?? []) {
    if (p.PublishedPort && publishMode(p) === 'host') out.push(`${p.Protocol ?? 'tcp'}/${p.PublishedPort}`);
  }
  return out;
}

/** NodeLoad accumulates the active tasks on one node; add and remove must be given the same task value. */
export class NodeLoad {
  readonly activeByService = new Map<string, number>();
  activeTotal = 0;
  reservedNanoCPUs = 0;
  reservedMemoryBytes = 0;
  readonly hostPorts = new Set<HostPort>();
  // Two tasks may briefly hold one port (e.g. around a failover); the set drops it only when both are gone.
  readonly #portHolders = new Map<HostPort, number>();

  get empty(): boolean {
    return this.activeTotal === 0;
  }

  add(t: Task): void {
    this.#apply(t, 1);
  }

  remove(t: Task): void {
    this.#apply(t, -1);
  }

  /** info pairs the load with its node; the snapshot shares this load's maps, so it is valid until the next add/remove. */
  info(node: Node): NodeInfo {
    return {
      node,
      activeByService: this.activeByService,
      activeTotal: this.activeTotal,
      reservedNanoCPUs: this.reservedNanoCPUs,
      reservedMemoryBytes: this.reservedMemoryBytes,
      hostPorts: this.hostPorts,
    };
  }

  #apply(t: Task, delta: 1 | -1): void {
    const count = (this.activeByService.get(t.ServiceID) ?? 0) + delta;
    if (count > 0) this.activeByService.set(t.ServiceID, count);
    else this.activeByService.delete(t.ServiceID);
    this.activeTotal += delta;
    const r = t.Spec.Resources?.Reservations;
    this.reservedNanoCPUs += delta * (r?.NanoCPUs ?? 0);
    this.reservedMemoryBytes += delta * (r?.MemoryBytes ?? 0);
    for (const port of taskHostPorts(t)) {
      const holders = (this.#portHolders.get(port) ?? 0) + delta;
      if (holders > 0) {
        this.#portHolders.set(port, holders);
        this.hostPorts.add(port);
      } else {
        this.#portHolders.delete(port);
        this.hostPorts.delete(port);
      }
    }
  }
}

/** newNodeInfo builds a node's info from tasks (any tasks: only those active on this node count). */
export function newNodeInfo(node: Node, tasks: Iterable<Task>): NodeInfo {
  const load = new NodeLoad();
  for (const t of tasks) {
    if (t.NodeID === node.ID && isActiveTask(t)) load.add(t);
  }
  return load.info(node);
}
