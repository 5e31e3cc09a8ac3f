// GET /_ping, /version and /info: what the CLI reads to negotiate and to know it talks to a
// swarm manager (ping's Swarm header, info's Swarm.ControlAvailable and NodeID).

import { readFileSync } from 'node:fs';
import os from 'node:os';
import type { FastifyInstance } from 'fastify';
import type { Node } from '../../types/index.js';
import { now } from '../../common/time.js';
import { apiClusterInfo } from '../present/present.js';
import type { ApiServerOptions } from '../server.js';
import { API_VERSION, MIN_API_VERSION } from '../http/version.js';

/** Go's GOARCH names, which /version reports. */
const GOARCH: Record<string, string> = { x64: 'amd64', ia32: '386', arm64: 'arm64', arm: 'arm', ppc64: 'ppc64le', s390x: 's390x' };

export function systemRoutes(app: FastifyInstance, opts: ApiServerOptions): void {
  const { store, info } = opts;

  pingAndVersionRoutes(app, info.version, 'active/manager');

  app.get('/info', () =>
    store.view((tx) => {
      const nodes = tx.nodes.list();
      const self = info.nodeId?.();
      const selfNode = self ? tx.nodes.get(self) : undefined;
      const managers = nodes.filter((n) => n.Spec.Role === 'manager');
      const cluster = tx.cluster();
      return {
        ...hostInfo(info.hostname, info.version),
        ID: self ?? '',
        Swarm: {
          NodeID: self ?? '',
          NodeAddr: selfNode ? nodeAddr(selfNode) : '',
          LocalNodeState: 'active',
          ControlAvailable: true,
          Error: '',
          // A manager without a local agent has no node of its own; its cluster port is still where machines join.
          RemoteManagers:
            managers.length > 0 || !info.clusterAddr?.()
              ? managers.map((n) => ({ NodeID: n.ID, Addr: n.ManagerStatus?.Addr ?? n.Status.Addr ?? '' }))
              : [{ NodeID: '', Addr: info.clusterAddr() }],
          Nodes: nodes.length,
          // A manager without a local agent has no node; it still counts.
          Managers: Math.max(managers.length, 1),
          ...(cluster && { Cluster: apiClusterInfo(cluster) }),
        },
      };
    }),
  );
}

/** GET /_ping and /version. `swarm` is ping's Swarm header: the node's state, and its role when active (moby Cluster.Status). */
export function pingAndVersionRoutes(app: FastifyInstance, version: string, swarm: string): void {
  app.get('/_ping', (_request, reply) => {
    reply.header('Swarm', swarm);
    reply.header('Cache-Control', 'no-cache, no-store, must-revalidate');
    reply.header('Pragma', 'no-cache');
    reply.type('text/plain; charset=utf-8');
    return reply.send('OK');
  });

  app.get('/version', () => {
    const arch = GOARCH[process.arch] ?? process.arch;
    const details = { ApiVersion: API_VERSION, MinAPIVersion: MIN_API_VERSION, Os: 'linux', Arch: arch, KernelVersion: os.release() };
    return {
      Platform: { Name: 'Berth' },
      Components: [{ Name: 'Berth', Version: version, Details: details }],
      Version: version,
      ...details,
      GitCommit: '',
      GoVersion: `node ${process.version}`,
      BuildTime: '',
    };
  });
}

/**
 * Swarm's NodeAddr is the address other nodes reach this one at, without a port. The manager's
 * node is reached at the manager's API address; its Status.Addr names the engine its agent drives.
 */
function nodeAddr(n: Node): string {
  const managerAddr = n.ManagerStatus?.Addr;
  if (!managerAddr) return n.Status.Addr ?? '';
  return managerAddr.replace(/:\d+$/, '').replace(/^\[(.*)\]$/, '$1');
}

/** The host part of /info: a manager runs no containers itself, so the engine counters are zero. */
export function hostInfo(hostname: string, version: string): Record<string, unknown> {
  return {
    Containers: 0,
    ContainersRunning: 0,
    ContainersPaused: 0,
    ContainersStopped: 0,
    Images: 0,
    Driver: '',
    DriverStatus: [],
    Plugins: { Volume: [], Network: [], Authorization: null, Log: [] },
    MemoryLimit: false,
    SwapLimit: false,
    CpuCfsPeriod: false,
    CpuCfsQuota: false,
    CPUShares: false,
    CPUSet: false,
    PidsLimit: false,
    OomKillDisable: false,
    IPv4Forwarding: false,
    Debug: false,
    NFd: 0,
    NGoroutines: 0,
    SystemTime: now(),
    LoggingDriver: '',
    CgroupDriver: '',
    CgroupVersion: '',
    NEventsListener: 0,
    KernelVersion: os.release(),
    OperatingSystem: operatingSystem(),
    OSVersion: '',
    OSType: 'linux',
    Architecture: os.machine(),
    NCPU: os.cpus().length,
    MemTotal: os.totalmem(),
    IndexServerAddress: 'https://index.docker.io/v1/',
    RegistryConfig: { AllowNondistributableArtifactsCIDRs: [], AllowNondistributableArtifactsHostnames: [], InsecureRegistryCIDRs: [], IndexConfigs: {}, Mirrors: [] },
    GenericResources: null,
    HttpProxy: '',
    HttpsProxy: '',
    NoProxy: '',
    Name: hostname,
    Labels: [],
    ExperimentalBuild: false,
    ServerVersion: version,
    Runtimes: {},
    DefaultRuntime: '',
    LiveRestoreEnabled: false,
    Isolation: '',
    InitBinary: '',
    ContainerdCommit: { ID: '', Expected: '' },
    RuncCommit: { ID: '', Expected: '' },
    InitCommit: { ID: '', Expected: '' },
    SecurityOptions: [],
    Warnings: [],
  };
}

let osName: string | undefined;

function operatingSystem(): string {
  if (osName === undefined) {
    try {
      osName = /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(readFileSync('/etc/os-release', 'utf8'))?.[1] ?? os.type();
    } catch {
      osName = os.type();
    }
  }
  return osName;
}
