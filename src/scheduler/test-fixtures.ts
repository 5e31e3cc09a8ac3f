// Builders for the scheduler's tests: nodes and tasks in the stored shapes, with only the
// fields a test cares about spelled out.

import type { EndpointPortConfig, Node, NodeAvailability, NodeState, Task, TaskSpec, TaskState } from '../types/index.js';

export interface NodeOpts {
  state?: NodeState;
  availability?: NodeAvailability;
  labels?: Record<string, string>;
  engineLabels?: Record<string, string>;
  nanoCPUs?: number;
  memoryBytes?: number;
  os?: string;
  arch?: string;
}

export const GiB = 1024 ** 3;
export const CPU = 1e9;

export function makeNode(id: string, o: NodeOpts = {}): Node {
  return {
    ID: id,
    Version: { Index: 0 },
    CreatedAt: '',
    UpdatedAt: '',
    Spec: { Role: 'worker', Availability: o.availability ?? 'active', Labels: o.labels ?? {} },
    Description: {
      Hostname: id,
      Platform: { OS: o.os ?? 'linux', Architecture: o.arch ?? 'x86_64' },
      Resources: { NanoCPUs: o.nanoCPUs ?? 4 * CPU, MemoryBytes: o.memoryBytes ?? 8 * GiB },
      Engine: { Labels: o.engineLabels ?? {} },
    },
    Status: { State: o.state ?? 'ready', Addr: '10.0.0.1' },
  };
}

export interface TaskOpts {
  spec?: TaskSpec;
  nodeId?: string;
  state?: TaskState;
  desired?: TaskState;
  ports?: EndpointPortConfig[];
  specVersion?: number;
}

export function makeTask(id: string, serviceId: string, o: TaskOpts = {}): Task {
  return {
    ID: id,
    Version: { Index: 0 },
    CreatedAt: '',
    UpdatedAt: '',
    Spec: o.spec ?? { ContainerSpec: { Image: 'nginx' } },
    ServiceID: serviceId,
    Slot: 1,
    NodeID: o.nodeId ?? '',
    Status: { Timestamp: '2024-01-01T00:00:00.000000000Z', State: o.state ?? 'pending', Message: 'pending' },
    DesiredState: o.desired ?? 'running',
    SpecVersion: { Index: o.specVersion ?? 1 },
    BerthService: { Name: serviceId, Labels: {}, ...(o.ports ? { Endpoint: { Ports: o.ports } } : {}) },
  };
}

/** makeTasks makes n pending tasks of one service, IDs `${prefix}1`..`${prefix}n`. */
export function makeTasks(n: number, prefix: string, serviceId: string, o: TaskOpts = {}): Task[] {
  return Array.from({ length: n }, (_, k) => makeTask(`${prefix}${k + 1}`, serviceId, o));
}

/** countByNode tallies assignments per node ID. */
export function countByNode(assignments: ReadonlyMap<string, string>): Map<string, number> {
  const out = new Map<string, number>();
  for (const nodeId of assignments.values()) out.set(nodeId, (out.get(nodeId) ?? 0) + 1);
  return out;
}
