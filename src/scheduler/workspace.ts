// Placement's private, mutable copy of the cluster's load for one batch. The NodeInfo snapshot
// stays untouched: what tasks placed in this batch add (counts, CPU, memory, ports) lives here,
// in flat arrays indexed by the node's position in ID order (which is also the tie-break).
// The filters run here, in Swarm's order, answering the first reason a node cannot take a task.
// Filters that depend only on the node and the spec (ready, constraints, platform) are run once
// per distinct spec for all nodes and remembered: services often share their constraints.

import { matchNode } from '../common/constraints.js';
import { normaliseArch } from '../common/platform.js';
import type { HostPort, NodeInfo } from './node-info.js';
import { Reason } from './reasons.js';
import type { Requirements } from './requirements.js';

/** FITS is what the checks return for a node that can take the task. */
export const FITS = -1;
const STATIC_PASS = 255;

export class Workspace {
  /** Nodes in ID order; a node's index is its position here. */
  readonly infos: readonly NodeInfo[];
  /** Active tasks on each node, including this batch's. */
  readonly total: Int32Array;
  readonly #freeCPU: Float64Array;
  readonly #freeMemory: Float64Array;
  readonly #ready: Uint8Array;
  readonly #os: string[];
  /** Normalised once per node (src/common/platform.ts): the platform filter then compares strings. */
  readonly #arch: string[];
  readonly #index = new Map<string, number>();
  /** service ID -> node index -> tasks of the service placed in this batch. */
  readonly #added = new Map<string, Map<number, number>>();
  readonly #addedPorts = new Map<number, Set<HostPort>>();
  readonly #serviceCounts: Int32Array;
  /** staticKey -> per node: the failing node-only filter's Reason, or STATIC_PASS. */
  readonly #staticVerdicts = new Map<string, Uint8Array>();
  #lastReq: Requirements | undefined;
  #lastVerdicts: Uint8Array = new Uint8Array(0);

  constructor(nodes: Iterable<NodeInfo>) {
    this.infos = [...nodes].sort((a, b) => (a.node.ID < b.node.ID ? -1 : a.node.ID > b.node.ID ? 1 : 0));
    const n = this.infos.length;
    this.total = new Int32Array(n);
    this.#freeCPU = new Float64Array(n);
    this.#freeMemory = new Float64Array(n);
    this.#ready = new Uint8Array(n);
    this.#os = new Array<string>(n);
    this.#arch = new Array<string>(n);
    this.#serviceCounts = new Int32Array(n);
    this.infos.forEach((info, i) => {
      const { node } = info;
      this.#index.set(node.ID, i);
      this.total[i] = info.activeTotal;
      const capacity = node.Description.Resources;
      this.#freeCPU[i] = (capacity?.NanoCPUs ?? 0) - info.reservedNanoCPUs;
      this.#freeMemory[i] = (capacity?.MemoryBytes ?? 0) - info.reservedMemoryBytes;
      this.#ready[i] = node.Status.State === 'ready' && (node.Spec.Availability ?? 'active') === 'active' ? 1 : 0;
      this.#os[i] = (node.Description.Platform?.OS ?? '').toLowerCase();
      this.#arch[i] = normaliseArch(node.Description.Platform?.Architecture);
    });
  }

  get size(): number {
    return this.infos.length;
  }

  indexOf(nodeId: string): number | undefined {
    return this.#index.get(nodeId);
  }

  /** serviceCount is the number of the service's tasks on node i, including this batch's. */
  serviceCount(i: number, serviceId: string): number {
    return (this.infos[i]!.activeByService.get(serviceId) ?? 0) + (this.#added.get(serviceId)?.get(i) ?? 0);
  }

  /**
   * serviceCounts fills and returns a buffer of serviceCount for every node. The buffer is
   * reused by the next call; callers keep it in step with place() while they use it.
   */
  serviceCounts(serviceId: string): Int32Array {
    const out = this.#serviceCounts;
    const added = this.#added.get(serviceId);
    for (let i = 0; i < out.length; i++) out[i] = (this.infos[i]!.activeByService.get(serviceId) ?? 0) + (added?.get(i) ?? 0);
    return out;
  }

  /** check runs every filter in Swarm's order on node i; it returns the first failing Reason or FITS. */
  check(i: number, req: Requirements, serviceCount: number): Reason | typeof FITS {
    const verdict = this.#verdicts(req)[i]!;
    if (verdict === Reason.NotReady) return Reason.NotReady;
    const resources = this.#checkResources(i, req);
    if (resources !== FITS) return resources;
    if (verdict !== STATIC_PASS) return verdict as Reason;
    return this.#checkLoad(i, req, serviceCount);
  }

  /** checkDynamic runs only the filters whose answer changes as tasks land (resources, ports, replicas). */
  checkDynamic(i: number, req: Requirements, serviceCount: number): Reason | typeof FITS {
    const resources = this.#checkResources(i, req);
    return resources !== FITS ? resources : this.#checkLoad(i, req, serviceCount);
  }

  /** place records a task of `req` landing on node i. */
  place(i: number, req: Requirements): void {
    this.total[i]!++;
    this.#freeCPU[i]! -= req.nanoCPUs;
    this.#freeMemory[i]! -= req.memoryBytes;
    let added = this.#added.get(req.serviceId);
    if (!added) this.#added.set(req.serviceId, (added = new Map()));
    added.set(i, (added.get(i) ?? 0) + 1);
    if (req.hostPorts.length > 0) {
      let ports = this.#addedPorts.get(i);
      if (!ports) this.#addedPorts.set(i, (ports = new Set()));
      for (const p of req.hostPorts) ports.add(p);
    }
  }

  #verdicts(req: Requirements): Uint8Array {
    if (req === this.#lastReq) return this.#lastVerdicts;
    let verdicts = this.#staticVerdicts.get(req.staticKey);
    if (!verdicts) {
      verdicts = new Uint8Array(this.size);
      for (let i = 0; i < this.size; i++) verdicts[i] = this.#staticCheck(i, req);
      this.#staticVerdicts.set(req.staticKey, verdicts);
    }
    this.#lastReq = req;
    this.#lastVerdicts = verdicts;
    return verdicts;
  }

  #staticCheck(i: number, req: Requirements): Reason | typeof STATIC_PASS {
    if (this.#ready[i] === 0) return Reason.NotReady;
    const node = this.infos[i]!.node;
    for (const c of req.constraints) if (!matchNode(c, node)) return Reason.Constraints;
    if (req.platforms.length > 0 && !this.#platformMatches(i, req)) return Reason.Platform;
    return STATIC_PASS;
  }

  #checkResources(i: number, req: Requirements): Reason | typeof FITS {
    if (req.memoryBytes > 0 && req.memoryBytes > this.#freeMemory[i]!) return Reason.Memory;
    if (req.nanoCPUs > 0 && req.nanoCPUs > this.#freeCPU[i]!) return Reason.CPU;
    return FITS;
  }

  #checkLoad(i: number, req: Requirements, serviceCount: number): Reason | typeof FITS {
    if (req.hostPorts.length > 0) {
      const used = this.infos[i]!.hostPorts;
      const added = this.#addedPorts.get(i);
      for (const p of req.hostPorts) if (used.has(p) || added?.has(p)) return Reason.HostPort;
    }
    if (req.maxReplicas > 0 && serviceCount >= req.maxReplicas) return Reason.MaxReplicas;
    return FITS;
  }

  #platformMatches(i: number, req: Requirements): boolean {
    const os = this.#os[i]!;
    const arch = this.#arch[i]!;
    return req.platforms.some((p) => (p.os === '' || p.os === os) && (p.arch === '' || p.arch === arch));
  }
}
