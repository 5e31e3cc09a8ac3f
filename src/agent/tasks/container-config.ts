// Task -> engine container, with Swarm's semantics (moby daemon/cluster/executor/container):
// Command is the entrypoint, Args the command; durations stay in nanoseconds except the stop
// timeout (seconds). Pure: no engine calls, so it is unit-tested on its own.

import type Dockerode from 'dockerode';
import { DEFAULT_STOP_GRACE_MS } from '../../common/defaults.js';
import { nsToMs } from '../../common/time.js';
import { macForAddress } from '../../common/overlay-mac.js';
import { specHealthcheck } from '../../common/healthcheck.js';
import type { ContainerSpec, Mount, NetworkAttachment, Task } from '../../types/index.js';
import { engineNetworkName, subnetOf } from './networks.js';
import type { FileMount } from './task-files.js';
import { LABEL_CLUSTER, type Owner } from './ownership.js';

/** Labels Berth's ownership decisions key on; Swarm's com.docker.swarm.* labels are only mirrored. */
export const LABEL_NODE = 'berth.node.id';
export const LABEL_TASK = 'berth.task.id';
export const LABEL_SERVICE = 'berth.service.id';
export const LABEL_SLOT = 'berth.slot';

/** Swarm's task/container name: `<service>.<slot>.<task id>`, or the node id in place of the slot for global tasks. */
export function containerName(task: Task): string {
  const slot = task.Slot && task.Slot > 0 ? String(task.Slot) : (task.NodeID ?? '');
  return `${task.BerthService.Name}.${slot}.${task.ID}`;
}

/** Whole seconds the engine waits between the stop signal and SIGKILL (Swarm default 10 s). */
export function stopGraceSeconds(task: Task): number {
  const ms = nsToMs(task.Spec.ContainerSpec?.StopGracePeriod, DEFAULT_STOP_GRACE_MS);
  return Math.max(0, Math.ceil(ms / 1000));
}

export interface CreateOptions {
  /** The task's secret and config files on this host (task-files.ts), bound read-only at their targets. */
  files?: readonly FileMount[];
}

export function containerConfig(task: Task, owner: Owner, opts: CreateOptions = {}): Dockerode.ContainerCreateOptions {
  const spec: ContainerSpec = task.Spec.ContainerSpec ?? {};
  const limits = task.Spec.Resources?.Limits;
  const ports = publishedPorts(task);
  const attachments = task.NetworksAttachments ?? [];
  const dns = attachments.length > 0 ? overlayDns(spec.DNSConfig, subnetOf(attachments[0]!.Network).gateway) : spec.DNSConfig;
  // The first network is joined at create, the others before start (the Engine API takes one).
  const first = attachments[0] && engineNetworkName(attachments[0].Network);
  const hostConfig: Dockerode.HostConfig = {
    // Berth restarts tasks (as new tasks); an engine restart would hide exits from it.
    RestartPolicy: { Name: 'no' },
    // dockerode's mount typing makes optional Engine API fields required; the shapes match.
    Mounts: [
      ...(spec.Mounts ?? []).map(mountConfig),
      ...(opts.files ?? []).map((f) => ({ Type: 'bind', Source: f.source, Target: f.target, ReadOnly: true })),
    ] as unknown as Dockerode.MountConfig,
    ReadonlyRootfs: spec.ReadOnly,
    // Limits bound the container; Reservations are the scheduler's only, as Swarm's executor does.
    NanoCpus: limits?.NanoCPUs,
    Memory: limits?.MemoryBytes,
    PidsLimit: limits?.Pids,
    ExtraHosts: extraHosts(spec.Hosts),
    Dns: dns?.Nameservers,
    DnsSearch: dns?.Search,
    DnsOptions: dns?.Options,
    Init: typeof spec.Init === 'boolean' ? spec.Init : undefined,
    Sysctls: spec.Sysctls,
    CapAdd: spec.CapabilityAdd,
    CapDrop: spec.CapabilityDrop,
    Ulimits: spec.Ulimits?.map((u) => ({ Name: u.Name ?? '', Soft: u.Soft ?? 0, Hard: u.Hard ?? 0 })),
    GroupAdd: spec.Groups,
    PortBindings: ports.bindings,
    ...(first && { NetworkMode: first }),
    LogConfig: task.Spec.LogDriver?.Name
      ? { Type: task.Spec.LogDriver.Name, Config: task.Spec.LogDriver.Options ?? {} }
      : undefined,
  };
  return {
    name: containerName(task),
    Image: spec.Image,
    Labels: containerLabels(task, owner),
    Entrypoint: spec.Command,
    Cmd: spec.Args,
    Env: spec.Env,
    WorkingDir: spec.Dir,
    User: spec.User,
    Hostname: spec.Hostname,
    Tty: spec.TTY,
    OpenStdin: spec.OpenStdin,
    Healthcheck: specHealthcheck(spec),
    StopSignal: spec.StopSignal,
    StopTimeout: stopGraceSeconds(task),
    ExposedPorts: ports.exposed,
    HostConfig: hostConfig,
    ...(first && { NetworkingConfig: { EndpointsConfig: { [first]: endpointConfig(attachments[0]!) } } }),
  };
}

/**
 * endpointConfig: the task's address on a network, as the manager allocated it, with the MAC
 * every node derives from it (so peers need no word from this node to forward to it). No
 * aliases: Berth's resolver answers the task's names (src/agent/dns/).
 */
export function endpointConfig(a: NetworkAttachment): { IPAMConfig?: { IPv4Address: string }; MacAddress?: string } {
  const ip = a.Addresses?.[0]?.split('/')[0];
  return ip ? { IPAMConfig: { IPv4Address: ip }, MacAddress: macForAddress(ip) } : {};
}

/**
 * overlayDns points the task at Berth's resolver, which listens on its first network's gateway
 * on this node and forwards names it does not own to the host's nameservers; `ndots:0` as
 * Swarm's containers have. A DNSConfig given in the spec wins, field by field.
 */
export function overlayDns(given: ContainerSpec['DNSConfig'], gateway: string | undefined): ContainerSpec['DNSConfig'] {
  if (!gateway) return given;
  return {
    Nameservers: given?.Nameservers?.length ? given.Nameservers : [gateway],
    ...(given?.Search?.length && { Search: given.Search }),
    Options: given?.Options?.length ? given.Options : ['ndots:0'],
  };
}

export function containerLabels(task: Task, { clusterId, nodeId }: Owner): Record<string, string> {
  return {
    ...task.Spec.ContainerSpec?.Labels,
    'com.docker.swarm.task': '',
    'com.docker.swarm.task.id': task.ID,
    'com.docker.swarm.task.name': containerName(task),
    'com.docker.swarm.service.id': task.ServiceID,
    'com.docker.swarm.service.name': task.BerthService.Name,
    'com.docker.swarm.node.id': nodeId,
    [LABEL_CLUSTER]: clusterId,
    [LABEL_NODE]: nodeId,
    [LABEL_TASK]: task.ID,
    [LABEL_SERVICE]: task.ServiceID,
    [LABEL_SLOT]: String(task.Slot ?? 0),
  };
}

function mountConfig(m: Mount): Record<string, unknown> {
  return {
    Type: m.Type ?? 'volume',
    Source: m.Source ?? '',
    Target: m.Target,
    ReadOnly: m.ReadOnly,
    Consistency: m.Consistency,
    BindOptions: m.Type === 'bind' ? m.BindOptions : undefined,
    VolumeOptions:
      m.Type === 'volume' || m.Type === undefined
        ? m.VolumeOptions && {
            NoCopy: m.VolumeOptions.NoCopy,
            Labels: m.VolumeOptions.Labels,
            DriverConfig: m.VolumeOptions.DriverConfig,
          }
        : undefined,
    TmpfsOptions: m.Type === 'tmpfs' ? m.TmpfsOptions : undefined,
  };
}

/** Swarm writes hosts-file lines ("IP name [aliases...]"); the engine wants "name:IP" per name. */
function extraHosts(hosts: string[] | undefined): string[] | undefined {
  if (!hosts) return undefined;
  return hosts.flatMap((entry) => {
    const [ip, ...names] = entry.trim().split(/\s+/);
    return ip ? names.map((name) => `${name}:${ip}`) : [];
  });
}

/**
 * Host-mode ports bind on this node's engine. Ingress ports are not the engine's: every node's
 * load balancer answers them (src/agent/overlay/).
 */
function publishedPorts(task: Task): { exposed?: Record<string, object>; bindings?: Dockerode.PortMap } {
  const ports = (task.BerthService.Endpoint?.Ports ?? []).filter((p) => p.TargetPort && p.PublishMode === 'host');
  if (ports.length === 0) return {};
  const exposed: Record<string, object> = {};
  const bindings: Dockerode.PortMap = {};
  for (const p of ports) {
    const key = `${p.TargetPort}/${p.Protocol ?? 'tcp'}`;
    exposed[key] = {};
    (bindings[key] ??= []).push({ HostPort: p.PublishedPort ? String(p.PublishedPort) : '' });
  }
  return { exposed, bindings };
}
