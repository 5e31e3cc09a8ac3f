// What the API shows of stored objects: the Engine API shapes as stored, minus Berth's internal
// fields (everything named Berth*), plus what Swarm derives on read.

import type { Cluster, Config, Node, Secret, Service, Task } from '../types/index.js';
import type { ServiceStatus } from './service-status.js';

type Public<T> = { [K in keyof T as K extends `Berth${string}` ? never : K]: T[K] };

function withoutBerth<T extends object>(obj: T): Public<T> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) if (!k.startsWith('Berth')) out[k] = v;
  return out as Public<T>;
}

/** Berth has one manager, so a node in the manager role is the reachable leader. */
export function apiNode(n: Node): Public<Node> {
  const node = withoutBerth(n);
  if (n.Spec.Role !== 'manager') return node;
  return { ...node, ManagerStatus: { Leader: true, Reachability: 'reachable', Addr: n.Status.Addr, ...n.ManagerStatus } };
}

export function apiService(s: Service, status?: ServiceStatus): Public<Service> & { ServiceStatus?: ServiceStatus } {
  return status ? { ...withoutBerth(s), ServiceStatus: status } : withoutBerth(s);
}

/** Swarm leaves a task's Name empty and the CLI derives one; a stored Name is not shown. */
export function apiTask(t: Task): Omit<Public<Task>, 'Name'> {
  const { Name: _name, ...rest } = withoutBerth(t);
  return rest;
}

/** A secret as every endpoint shows it: never with its data (Swarm clears Spec.Data on every read). */
export function apiSecret(s: Secret): Public<Secret> {
  const { Data: _data, ...spec } = s.Spec;
  return { ...withoutBerth(s), Spec: spec };
}

/** Configs are not secret: their data is shown, as in Swarm. */
export function apiConfig(c: Config): Public<Config> {
  return withoutBerth(c);
}

/**
 * The cluster as /info shows it (Engine ClusterInfo): no join tokens. Berth has no TLS, overlay
 * data path or address pools yet; those fields carry Swarm's defaults so the CLI prints them.
 */
export function apiClusterInfo(c: Cluster): Record<string, unknown> {
  return {
    ID: c.ID,
    Version: c.Version,
    CreatedAt: c.CreatedAt,
    UpdatedAt: c.UpdatedAt,
    Spec: c.Spec,
    TLSInfo: { TrustRoot: '', CertIssuerSubject: '', CertIssuerPublicKey: '' },
    RootRotationInProgress: false,
    DataPathPort: 4789,
    DefaultAddrPool: ['10.0.0.0/8'],
    SubnetSize: 24,
  };
}

/** The cluster as GET /swarm shows it (Engine Swarm): ClusterInfo plus the join tokens. */
export function apiSwarm(c: Cluster): Record<string, unknown> {
  return { ...apiClusterInfo(c), JoinTokens: c.JoinTokens };
}
