// What the API shows of stored objects: the Engine API shapes as stored, minus Berth's internal
// fields (everything named Berth*), plus what Swarm derives on read.

import type { Cluster, Config, Network, Node, Secret, Service, ServiceSpec, Task } from '../../types/index.js';
import { tlsInfo } from '../../common/pki.js';
import type { ServiceStatus } from '../services/service-status.js';
import type { ManagerView } from '../server.js';
import { hidePullAuth } from '../services/service-pull-auth.js';

type Public<T> = { [K in keyof T as K extends `Berth${string}` ? never : K]: T[K] };

function withoutBerth<T extends object>(obj: T): Public<T> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) if (!k.startsWith('Berth')) out[k] = v;
  return out as Public<T>;
}

/**
 * A node as the API shows it; its TLSInfo is what the CA gave it last (the roots it trusts and
 * who signed its certificate). With one manager, a node in the manager role is the reachable
 * leader; with several (etcd), the election says which leads and which are alive. Only managers
 * have a ManagerStatus: a demoted manager-only node keeps its address there, stored, not shown.
 */
export function apiNode(n: Node, managers?: ManagerView): Public<Node> {
  const { ManagerStatus: stored, ...node } = withoutBerth(n);
  const status = { Leader: true, Reachability: 'reachable' as const, Addr: n.Status.Addr, ...stored };
  const reachable = managers?.reachable.has(status.Addr ?? '') ?? false;
  // A manager with no agent is up exactly while its lease in etcd is, demoted or not.
  if (managers && n.BerthManagerOnly) node.Status = { ...n.Status, State: reachable ? 'ready' : 'down', Message: reachable ? '' : 'the manager is unreachable' };
  if (n.Spec.Role !== 'manager') return node;
  if (!managers) return { ...node, ManagerStatus: status };
  return { ...node, ManagerStatus: { ...status, Leader: managers.leader === status.Addr, Reachability: reachable ? 'reachable' : 'unreachable' } };
}

/**
 * A service as the API shows it (moby convert ServiceFromGRPC): its registry logins hidden, the
 * runtime dockerd derives from the container spec, and Endpoint always there with its Spec (a
 * struct in moby's types) but no empty Ports or VirtualIPs.
 */
export function apiService(s: Service, status?: ServiceStatus): Public<Service> & { ServiceStatus?: ServiceStatus } {
  const { Spec, Ports, VirtualIPs } = s.Endpoint ?? {};
  const shown = {
    ...withoutBerth(s),
    Spec: apiServiceSpec(s.Spec),
    ...(s.PreviousSpec && { PreviousSpec: apiServiceSpec(s.PreviousSpec) }),
    Endpoint: { Spec: Spec ?? {}, ...(Ports?.length ? { Ports } : {}), ...(VirtualIPs?.length ? { VirtualIPs } : {}) },
  };
  return status ? { ...shown, ServiceStatus: status } : shown;
}

function apiServiceSpec(spec: ServiceSpec): ServiceSpec {
  return { ...spec, TaskTemplate: { ...hidePullAuth(spec.TaskTemplate), Runtime: 'container' } };
}

/**
 * A network in the Engine's shape for a swarm-scoped one (moby convert BasicNetworkFromGRPC):
 * Scope swarm, the IPAM config in force (with the subnet Berth allocated), and no containers —
 * a manager does not see them; `docker network inspect` on a node's engine does.
 */
export function apiNetwork(n: Network): Record<string, unknown> {
  const ipam = n.IPAMOptions ?? n.Spec.IPAMOptions;
  return {
    Name: n.Spec.Name,
    Id: n.ID,
    Created: n.CreatedAt,
    Scope: 'swarm',
    Driver: n.DriverState?.Name ?? n.Spec.DriverConfiguration?.Name ?? 'overlay',
    EnableIPv6: n.Spec.IPv6Enabled ?? false,
    IPAM: {
      Driver: ipam?.Driver?.Name ?? 'default',
      Options: ipam?.Driver?.Options ?? null,
      Config: (ipam?.Configs ?? []).map((c) => ({ Subnet: c.Subnet, ...(c.IPRange && { IPRange: c.IPRange }), Gateway: c.Gateway, ...(c.AuxiliaryAddresses && { AuxiliaryAddresses: c.AuxiliaryAddresses }) })),
    },
    Internal: n.Spec.Internal ?? false,
    Attachable: n.Spec.Attachable ?? false,
    Ingress: n.Spec.Ingress ?? false,
    ConfigFrom: { Network: '' },
    ConfigOnly: false,
    Containers: {},
    Options: n.DriverState?.Options ?? n.Spec.DriverConfiguration?.Options ?? {},
    Labels: n.Spec.Labels ?? {},
  };
}

/** moby's swarm.IPAMOptions, as a task's network shows it: the IP range is `Range`, and there are no auxiliary addresses. */
type SwarmIPAM = { Driver?: Network['DriverState']; Configs?: { Subnet?: string; Range?: string; Gateway?: string }[] };
type SwarmNetwork = Omit<Network, 'Spec' | 'IPAMOptions'> & { Spec: Omit<Network['Spec'], 'IPAMOptions'> & { IPAMOptions?: SwarmIPAM }; IPAMOptions?: SwarmIPAM };
type ApiTask = Omit<Public<Task>, 'Name' | 'NetworksAttachments'> & { NetworksAttachments?: { Network: SwarmNetwork; Addresses?: string[] }[] };

/**
 * A task as the API shows it (moby convert TaskFromGRPC). Swarm leaves a task's Name empty and the
 * CLI derives one; a stored Name is not shown. Labels and Status.PortStatus are always there (no
 * omitempty in moby's types).
 */
export function apiTask(t: Task): ApiTask {
  const { Name: _name, NetworksAttachments: attachments, ...rest } = {
    ...withoutBerth(t),
    Labels: t.Labels ?? {},
    Spec: hidePullAuth(t.Spec),
    Status: { ...t.Status, PortStatus: t.Status.PortStatus ?? {} },
  };
  if (!attachments) return rest;
  return { ...rest, NetworksAttachments: attachments.map((a) => ({ Network: swarmNetwork(a.Network), ...(a.Addresses && { Addresses: a.Addresses }) })) };
}

function swarmNetwork(n: Network): SwarmNetwork {
  const { IPAMOptions: ipam, ...spec } = n.Spec;
  return { ...n, Spec: { ...spec, ...(ipam && { IPAMOptions: swarmIpam(ipam) }) }, IPAMOptions: n.IPAMOptions && swarmIpam(n.IPAMOptions) };
}

function swarmIpam(o: NonNullable<Network['IPAMOptions']>): SwarmIPAM {
  return { ...o, ...(o.Configs && { Configs: o.Configs.map(({ Subnet, IPRange, Gateway }) => ({ Subnet, ...(IPRange && { Range: IPRange }), Gateway })) }) };
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
 * The cluster as /info shows it (Engine ClusterInfo): no join tokens; TLSInfo is the root CA's
 * (`docker swarm ca` prints its TrustRoot). The data path port and the address pool are Swarm's
 * defaults, which Berth uses.
 */
export function apiClusterInfo(c: Cluster): Record<string, unknown> {
  return {
    ID: c.ID,
    Version: c.Version,
    CreatedAt: c.CreatedAt,
    UpdatedAt: c.UpdatedAt,
    Spec: c.Spec,
    // During a rotation Swarm shows the root nodes are moving to; `docker swarm ca --rotate` follows it.
    TLSInfo: c.BerthCA ? tlsInfo(c.BerthCA.Rotation?.NewRootCert ?? c.BerthCA.RootCert) : { TrustRoot: '', CertIssuerSubject: '', CertIssuerPublicKey: '' },
    // Requested (ForceRotate raised, the new root not made yet) counts as in progress, so a client
    // that follows the rotation does not see it as done before it began.
    RootRotationInProgress:
      c.BerthCA?.Rotation?.Phase === 'certs' || (!c.BerthCA?.Rotation && Number(c.Spec.CAConfig?.ForceRotate ?? 0) !== (c.BerthCA?.ForceRotate ?? 0)),
    DataPathPort: 4789,
    DefaultAddrPool: ['10.0.0.0/8'],
    SubnetSize: 24,
  };
}

/** The cluster as GET /swarm shows it (Engine Swarm): ClusterInfo plus the join tokens. */
export function apiSwarm(c: Cluster): Record<string, unknown> {
  return { ...apiClusterInfo(c), JoinTokens: c.JoinTokens };
}
