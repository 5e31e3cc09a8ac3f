// Cluster objects in the Docker Engine API v1.41 shapes (PascalCase), so the API layer serves
// them as stored and the stock docker CLI reads them unchanged. Berth-internal fields that the
// Engine API does not define are prefixed `Berth` and documented where they are declared.

import type { TaskState } from './task-state.js';

export type Labels = Record<string, string>;

export interface ObjectVersion {
  Index: number;
}

/** Fields every stored object carries. Version.Index is the store commit that last wrote it. */
export interface Meta {
  ID: string;
  Version: ObjectVersion;
  CreatedAt: string;
  UpdatedAt: string;
}

// ---------------------------------------------------------------------------------------------
// Nodes

export type NodeRole = 'worker' | 'manager';
export type NodeAvailability = 'active' | 'pause' | 'drain';
export type NodeState = 'unknown' | 'down' | 'ready' | 'disconnected';

export interface NodeSpec {
  Name?: string;
  Labels?: Labels;
  Role?: NodeRole;
  Availability?: NodeAvailability;
}

export interface Platform {
  Architecture?: string;
  OS?: string;
}

export interface ResourceObject {
  NanoCPUs?: number;
  MemoryBytes?: number;
  GenericResources?: unknown[];
}

export interface NodeDescription {
  Hostname?: string;
  Platform?: Platform;
  Resources?: ResourceObject;
  Engine?: { EngineVersion?: string; Labels?: Labels; Plugins?: { Type: string; Name: string }[] };
  TLSInfo?: { TrustRoot?: string; CertIssuerSubject?: string; CertIssuerPublicKey?: string };
}

export interface NodeStatus {
  State: NodeState;
  Message?: string;
  Addr?: string;
}

export interface ManagerStatus {
  Leader?: boolean;
  Reachability?: 'unknown' | 'unreachable' | 'reachable';
  Addr?: string;
}

/**
 * The node's current certificate from the cluster CA (Berth shows what Swarm keeps internal):
 * `issued` while it chains to the current root, `rotate` while the node still has to move to a
 * new root CA.
 */
export interface NodeCertificate {
  Serial: string;
  NotBefore: string;
  NotAfter: string;
  State: 'issued' | 'rotate';
}

export interface Node extends Meta {
  Spec: NodeSpec;
  Description: NodeDescription;
  Status: NodeStatus;
  ManagerStatus?: ManagerStatus;
  /** A manager with no agent of its own (`berth manager` on etcd): drained, and Ready while its lease in etcd lives. */
  BerthManagerOnly?: boolean;
  Certificate?: NodeCertificate;
  /** Berth: SHA-256 (hex) of the public key the node joined with; a second join with it is refused. */
  BerthKeyDigest?: string;
  /**
   * Berth: the node's own address on each overlay network it takes part in (network ID → CIDR
   * address, e.g. 10.0.0.3/24), as Swarm's per-node load-balancer endpoints; written by the
   * allocator only.
   */
  BerthNetworkAddresses?: Record<string, string>;
  /** Berth: the node's WireGuard public key (base64), from its hello; written by the dispatcher only. */
  BerthTunnelKey?: string;
  /** Berth: the node's address inside the encrypted overlays' tunnel (CIDR, from TUNNEL_SUBNET); written by the allocator only. */
  BerthTunnelAddress?: string;
  /**
   * Berth: on each attachable network (network ID → CIDR block, e.g. 10.0.1.16/28), the addresses
   * the node's engine hands to plain containers (`docker run --network`), so they never clash with
   * the manager's; written by the allocator only.
   */
  BerthAttachableRanges?: Record<string, string>;
  /** Berth: the plain containers attached to attachable networks on the node, as its agent reports them; written by the dispatcher only. */
  BerthAttachments?: NodeAttachment[];
}

/** A plain container on an attachable network, as its node's agent reports it (Swarm's network attachment). */
export interface NodeAttachment {
  NetworkID: string;
  ContainerID: string;
  /** The container's name, which tasks and containers on the network resolve. */
  Name: string;
  /** Its address on the network, no prefix: inside the node's BerthAttachableRanges block. */
  Address: string;
  MacAddress: string;
}

// ---------------------------------------------------------------------------------------------
// Services

export interface Mount {
  Target?: string;
  Source?: string;
  Type?: 'bind' | 'volume' | 'tmpfs' | 'npipe' | 'cluster';
  ReadOnly?: boolean;
  Consistency?: string;
  BindOptions?: { Propagation?: string; NonRecursive?: boolean };
  VolumeOptions?: {
    NoCopy?: boolean;
    Labels?: Labels;
    DriverConfig?: { Name?: string; Options?: Record<string, string> };
  };
  TmpfsOptions?: { SizeBytes?: number; Mode?: number };
}

export interface HealthConfig {
  Test?: string[];
  Interval?: number;
  Timeout?: number;
  Retries?: number;
  StartPeriod?: number;
}

export interface SecretReference {
  File?: { Name?: string; UID?: string; GID?: string; Mode?: number };
  SecretID?: string;
  SecretName?: string;
}

export interface ConfigReference {
  File?: { Name?: string; UID?: string; GID?: string; Mode?: number };
  Runtime?: Record<string, never>;
  ConfigID?: string;
  ConfigName?: string;
}

export interface ContainerSpec {
  Image?: string;
  Labels?: Labels;
  Command?: string[];
  Args?: string[];
  Hostname?: string;
  Env?: string[];
  Dir?: string;
  User?: string;
  Groups?: string[];
  Privileges?: unknown;
  TTY?: boolean;
  OpenStdin?: boolean;
  ReadOnly?: boolean;
  Mounts?: Mount[];
  StopSignal?: string;
  StopGracePeriod?: number;
  /** dockerd's key (moby swarm.ContainerSpec); the v1.41 yaml's `HealthCheck` is accepted on input only. */
  Healthcheck?: HealthConfig;
  Hosts?: string[];
  DNSConfig?: { Nameservers?: string[]; Search?: string[]; Options?: string[] };
  Secrets?: SecretReference[];
  Configs?: ConfigReference[];
  Isolation?: string;
  Init?: boolean | null;
  Sysctls?: Record<string, string>;
  CapabilityAdd?: string[];
  CapabilityDrop?: string[];
  Ulimits?: { Name?: string; Soft?: number; Hard?: number }[];
  /** Berth: ID of the ServiceRegistryAuth (X-Registry-Auth) this spec pulls with; never shown by the API. */
  BerthRegistryAuth?: string;
}

export interface Limit {
  NanoCPUs?: number;
  MemoryBytes?: number;
  Pids?: number;
}

export interface Resources {
  Limits?: Limit;
  Reservations?: ResourceObject;
}

export type RestartCondition = 'none' | 'on-failure' | 'any';

export interface RestartPolicy {
  Condition?: RestartCondition;
  Delay?: number;
  MaxAttempts?: number;
  Window?: number;
}

export interface PlacementPreference {
  Spread?: { SpreadDescriptor?: string };
}

export interface Placement {
  Constraints?: string[];
  Preferences?: PlacementPreference[];
  MaxReplicas?: number;
  Platforms?: Platform[];
}

export interface NetworkAttachmentConfig {
  Target?: string;
  Aliases?: string[];
  DriverOpts?: Record<string, string>;
}

export interface TaskSpec {
  PluginSpec?: unknown;
  ContainerSpec?: ContainerSpec;
  NetworkAttachmentSpec?: { ContainerID?: string };
  Resources?: Resources;
  RestartPolicy?: RestartPolicy;
  Placement?: Placement;
  ForceUpdate?: number;
  Runtime?: string;
  Networks?: NetworkAttachmentConfig[];
  LogDriver?: { Name?: string; Options?: Record<string, string> };
}

export interface ServiceMode {
  Replicated?: { Replicas?: number };
  Global?: Record<string, never>;
  ReplicatedJob?: { MaxConcurrent?: number; TotalCompletions?: number };
  GlobalJob?: Record<string, never>;
}

export interface UpdateConfig {
  Parallelism?: number;
  Delay?: number;
  FailureAction?: 'continue' | 'pause' | 'rollback';
  Monitor?: number;
  MaxFailureRatio?: number;
  Order?: 'stop-first' | 'start-first';
}

export interface EndpointPortConfig {
  Name?: string;
  Protocol?: 'tcp' | 'udp' | 'sctp';
  TargetPort?: number;
  PublishedPort?: number;
  PublishMode?: 'ingress' | 'host';
}

export interface EndpointSpec {
  Mode?: 'vip' | 'dnsrr';
  Ports?: EndpointPortConfig[];
}

export interface ServiceSpec {
  Name?: string;
  Labels?: Labels;
  TaskTemplate?: TaskSpec;
  Mode?: ServiceMode;
  UpdateConfig?: UpdateConfig;
  RollbackConfig?: UpdateConfig;
  Networks?: NetworkAttachmentConfig[];
  EndpointSpec?: EndpointSpec;
}

export interface UpdateStatus {
  State?: 'updating' | 'paused' | 'completed' | 'rollback_started' | 'rollback_paused' | 'rollback_completed';
  StartedAt?: string;
  CompletedAt?: string;
  Message?: string;
}

export interface Service extends Meta {
  Spec: ServiceSpec;
  PreviousSpec?: ServiceSpec;
  Endpoint?: { Spec?: EndpointSpec; Ports?: EndpointPortConfig[]; VirtualIPs?: { NetworkID?: string; Addr?: string }[] };
  UpdateStatus?: UpdateStatus;
  JobStatus?: { JobIteration?: ObjectVersion; LastExecution?: string };
  /** Berth: the store index at which Spec last changed; tasks record it to tell up-to-date from stale. */
  BerthSpecVersion: number;
  /** Berth: whether the last spec change was a user's update or a rollback (manual or automatic). */
  BerthUpdateKind?: 'update' | 'rollback';
  /** Berth: the spec version UpdateStatus speaks of, so a paused or unfinished update survives a manager restart. */
  BerthUpdateVersion?: number;
}

// ---------------------------------------------------------------------------------------------
// Tasks

export interface ContainerStatus {
  ContainerID?: string;
  PID?: number;
  ExitCode?: number;
}

export interface PortStatus {
  Ports?: EndpointPortConfig[];
}

export interface TaskStatus {
  Timestamp: string;
  State: TaskState;
  Message: string;
  Err?: string;
  ContainerStatus?: ContainerStatus;
  PortStatus?: PortStatus;
}

export interface Task extends Meta {
  Name?: string;
  Labels?: Labels;
  Spec: TaskSpec;
  ServiceID: string;
  /** Replicated services: 1..N. Global services: 0 (the task is keyed by NodeID). */
  Slot?: number;
  NodeID?: string;
  Status: TaskStatus;
  DesiredState: TaskState;
  /** Engine-API field name for the service spec version the task was made from (`_up-to-date` filter). */
  SpecVersion?: ObjectVersion;
  /** For job services: the execution of the job this task belongs to. */
  JobIteration?: ObjectVersion;
  /** Berth: service name and labels at task creation, so agents and filters need no service lookup. */
  BerthService: { Name: string; Labels: Labels; Endpoint?: EndpointSpec };
  /** Berth: earliest time the orchestrator lets a restarted task go from desired READY to RUNNING. */
  BerthRestartAt?: string;
  /** Berth: stop-first replacement: stays desired READY until this (old) task has stopped. */
  BerthStartAfter?: string;
  /** Berth: the restart policy decided this ended task is not replaced; it keeps its slot. */
  BerthNoRestart?: boolean;
  /** The networks the task is attached to (set by the allocator), with their addresses if allocated. */
  NetworksAttachments?: NetworkAttachment[];
}

// ---------------------------------------------------------------------------------------------
// Secrets, configs, networks

/** A named driver with options (secret drivers, templating drivers, network and IPAM drivers). */
export interface Driver {
  Name: string;
  Options?: Record<string, string>;
}

export interface SecretSpec {
  Name?: string;
  Labels?: Labels;
  /** base64. Stored (encrypted at rest) but never returned by the API. */
  Data?: string;
  Driver?: Driver;
  Templating?: Driver;
}

export interface Secret extends Meta {
  Spec: SecretSpec;
}

/**
 * The managers' unlock key while autolock is on (Swarm keeps it in Raft too): one row, sealed at
 * rest by the store key, from which every manager seals its own key files. Absent when off.
 */
export interface ManagerUnlockKey extends Meta {
  /** Swarm's SWMKEY-1-... form. */
  Key: string;
}

/** The ID of the one ManagerUnlockKey row. */
export const MANAGER_UNLOCK_KEY_ID = 'manager-unlock-key';

export interface ConfigSpec {
  Name?: string;
  Labels?: Labels;
  /** base64; returned by the API, unlike a secret's. */
  Data?: string;
  Templating?: Driver;
}

export interface Config extends Meta {
  Spec: ConfigSpec;
}

export interface IPAMConfig {
  Subnet?: string;
  IPRange?: string;
  Gateway?: string;
  AuxiliaryAddresses?: Record<string, string>;
}

/** Swarm's network object (swarmkit api.Network); the API serves it in the Engine's network shape. */
export interface NetworkSpec {
  Name: string;
  Labels?: Labels;
  DriverConfiguration?: Driver;
  IPv6Enabled?: boolean;
  Internal?: boolean;
  Attachable?: boolean;
  Ingress?: boolean;
  IPAMOptions?: { Driver?: Driver; Configs?: IPAMConfig[] };
}

export interface Network extends Meta {
  Spec: NetworkSpec;
  DriverState?: Driver;
  /** The IPAM configuration in force (the subnet Berth allocated when none was asked for). */
  IPAMOptions?: { Driver?: Driver; Configs?: IPAMConfig[] };
}

export interface NetworkAttachment {
  Network: Network;
  Addresses?: string[];
  /** Berth: the aliases the task answers to on this network (service name first). */
  BerthAliases?: string[];
}

// ---------------------------------------------------------------------------------------------
// Cluster

export interface Cluster extends Meta {
  Spec: {
    Name: string;
    Labels?: Labels;
    Orchestration: { TaskHistoryRetentionLimit: number };
    Dispatcher: { HeartbeatPeriod: number };
    Raft?: Record<string, number>;
    CAConfig?: Record<string, unknown>;
    TaskDefaults?: Record<string, unknown>;
    EncryptionConfig?: { AutoLockManagers: boolean };
  };
  JoinTokens: { Worker: string; Manager: string };
  /** Berth: the cluster CA (its keys stay in the first manager's data dir; see docs/security.md). */
  BerthCA?: {
    /** The current root certificate (PEM): the one join tokens name. */
    RootCert: string;
    /** The Spec.CAConfig.ForceRotate the current root answers. */
    ForceRotate?: number;
    /**
     * A root rotation in progress: in `certs` nodes move to certificates from NewRootCert (they
     * trust both roots; CrossSigned bridges the old trust to the new root); in `trust` the new
     * root is current and nodes drop the old one from what they trust.
     */
    Rotation?: { Phase: 'certs' | 'trust'; NewRootCert?: string; CrossSigned?: string };
  };
}

// ---------------------------------------------------------------------------------------------
// API client certificates (Berth)

/**
 * A client certificate the cluster CA issued for the API (`berth cert client NAME`): its ID is
 * the certificate's serial. Only the record is kept, never the key; a revoked one is refused on
 * every connection and request.
 */
/** What a client of the manager API may do (docs/access.md): see, change workloads, or everything. */
export type ClusterRole = 'viewer' | 'operator' | 'admin';

export interface ClientCertificate extends Meta {
  /** Role absent: a certificate issued before roles existed, an admin's. */
  /** User: the directory user it acts for (named Name, capped by Role); absent: it acts with Role alone (a machine's certificate, such as CI's). */
  Spec: { Name: string; Role?: ClusterRole; User?: string };
  NotAfter: string;
  /** When it was revoked (RFC 3339), if it was. */
  Revoked?: string;
}
