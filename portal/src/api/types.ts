// The API shapes the portal reads: Docker Engine API v1.41 objects as Berth answers them (only
// the fields the pages use) and Berth's own under /berth/v1.

export interface Version {
  Index: number;
}

export interface Meta {
  ID: string;
  Version: Version;
  CreatedAt: string;
  UpdatedAt: string;
}

export interface Node extends Meta {
  Spec: { Name?: string; Labels?: Record<string, string>; Role: 'worker' | 'manager'; Availability: 'active' | 'pause' | 'drain' };
  Description: {
    Hostname: string;
    Platform?: { Architecture: string; OS: string };
    Resources?: { NanoCPUs: number; MemoryBytes: number };
    Engine?: { EngineVersion: string; Labels?: Record<string, string> };
    TLSInfo?: { TrustRoot?: string; CertIssuerSubject?: string };
  };
  Status: { State: 'unknown' | 'down' | 'ready' | 'disconnected'; Message?: string; Addr?: string };
  ManagerStatus?: { Leader?: boolean; Reachability: string; Addr: string };
  /** Berth shows the node's certificate from the cluster CA (Swarm keeps it internal). */
  Certificate?: { Serial: string; NotBefore: string; NotAfter: string; State: 'issued' | 'rotate' };
}

export interface Mount {
  Type: 'bind' | 'volume' | 'tmpfs';
  Source?: string;
  Target: string;
  ReadOnly?: boolean;
}

export interface ServiceSpec {
  Name: string;
  Labels?: Record<string, string>;
  TaskTemplate: {
    ContainerSpec: {
      Image: string;
      TTY?: boolean;
      Command?: string[];
      Args?: string[];
      Env?: string[];
      Mounts?: Mount[];
      Secrets?: Array<{ SecretID: string; SecretName: string; File?: { Name: string; UID: string; GID: string; Mode: number } }>;
      Configs?: Array<{ ConfigID: string; ConfigName: string; File?: { Name: string; UID: string; GID: string; Mode: number } }>;
      Healthcheck?: { Test?: string[]; Interval?: number; Timeout?: number; Retries?: number; StartPeriod?: number };
    };
    Resources?: { Limits?: { NanoCPUs?: number; MemoryBytes?: number }; Reservations?: { NanoCPUs?: number; MemoryBytes?: number } };
    RestartPolicy?: { Condition?: 'none' | 'on-failure' | 'any'; Delay?: number; MaxAttempts?: number; Window?: number };
    Placement?: { Constraints?: string[] };
    Networks?: Array<{ Target: string; Aliases?: string[] }>;
    ForceUpdate?: number;
  };
  Mode: { Replicated?: { Replicas: number }; Global?: object; ReplicatedJob?: { MaxConcurrent?: number; TotalCompletions?: number }; GlobalJob?: object };
  UpdateConfig?: { Parallelism?: number; Delay?: number; FailureAction?: string; Monitor?: number; MaxFailureRatio?: number; Order?: string };
  RollbackConfig?: ServiceSpec['UpdateConfig'];
  EndpointSpec?: { Mode?: 'vip' | 'dnsrr'; Ports?: Port[] };
}

export interface Port {
  Protocol?: 'tcp' | 'udp' | 'sctp';
  TargetPort: number;
  PublishedPort?: number;
  PublishMode?: 'ingress' | 'host';
}

export interface Service extends Meta {
  Spec: ServiceSpec;
  PreviousSpec?: ServiceSpec;
  Endpoint?: { Ports?: Port[]; VirtualIPs?: Array<{ NetworkID: string; Addr: string }> };
  UpdateStatus?: { State: 'updating' | 'paused' | 'completed' | 'rollback_started' | 'rollback_paused' | 'rollback_completed'; StartedAt?: string; CompletedAt?: string; Message?: string };
  ServiceStatus?: { RunningTasks: number; DesiredTasks: number; CompletedTasks?: number };
}

export type TaskState = 'new' | 'allocated' | 'pending' | 'assigned' | 'accepted' | 'preparing' | 'ready' | 'starting' | 'running' | 'complete' | 'shutdown' | 'failed' | 'rejected' | 'remove' | 'orphaned';

export interface Task extends Meta {
  Name?: string;
  ServiceID: string;
  NodeID?: string;
  Slot?: number;
  Spec: { ContainerSpec?: { Image: string } };
  Status: { Timestamp: string; State: TaskState; Message: string; Err?: string; ContainerStatus?: { ContainerID?: string; ExitCode?: number } };
  DesiredState: TaskState;
  NetworksAttachments?: Array<{ Network: { ID: string; Spec: { Name: string } }; Addresses?: string[] }>;
}

export interface Swarm extends Meta {
  Spec: {
    Name: string;
    Orchestration?: { TaskHistoryRetentionLimit?: number };
    Dispatcher?: { HeartbeatPeriod?: number };
    CAConfig?: { NodeCertExpiry?: number; ForceRotate?: number };
    EncryptionConfig?: { AutoLockManagers: boolean };
  };
  /** A root CA rotation (`docker swarm ca --rotate`) is under way: nodes are moving to the new root. */
  RootRotationInProgress?: boolean;
}

export interface Whoami {
  User: string;
  Auth: string;
  Role: '' | 'viewer' | 'operator' | 'admin';
  Teams: Array<{ Team: string; Role: 'viewer' | 'operator' | 'lead'; Stacks: string[] }>;
}

export interface EngineEvent {
  Type: string;
  Action: string;
  Actor: { ID: string; Attributes: Record<string, string> };
  scope: string;
  time: number;
  timeNano: number;
}
