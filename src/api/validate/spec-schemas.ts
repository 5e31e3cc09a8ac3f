// JSON Schemas for the request bodies the API accepts, derived from the Engine API v1.41
// definitions (ServiceSpec, TaskSpec, Mount, HealthConfig, EndpointSpec, NodeSpec). They check
// types and ranges only; rules that span fields live in validate-service.ts.
//
// Structs carry `additionalProperties: false` so that ajv's removeAdditional drops fields the
// v1.41 API does not define, as the Engine's Go decoder does; maps keep every key and check
// the value type.

import type { SchemaObject } from 'ajv';

const str: SchemaObject = { type: 'string' };
const bool: SchemaObject = { type: 'boolean' };
const strings: SchemaObject = { type: 'array', items: str };
const strMap: SchemaObject = { type: 'object', additionalProperties: str };
/**
 * Every integer is bounded: ajv's "integer" admits 1e300, which JavaScript can neither count
 * nor compare exactly, and the loops would try to act on.
 */
const int = (minimum: number, maximum: number): SchemaObject => ({ type: 'integer', minimum, maximum });
const count = int(0, Number.MAX_SAFE_INTEGER);
const signed = int(-Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
/** Durations are integers in nanoseconds; none may be negative. The description is the unit in messages. */
const duration: SchemaObject = { ...count, description: 'nanoseconds' };
/** The most tasks one service may ask for at once; far above any cluster Berth runs. */
const MAX_TASKS = 100_000;
/** Replicas, Parallelism and MaxReplicas count tasks, which the loops create and track one by one. */
const taskCount = int(0, MAX_TASKS);
const port = (min: number): SchemaObject => int(min, 65535);
const oneOf = (...values: string[]): SchemaObject => ({ type: 'string', enum: values });
const struct = (properties: Record<string, SchemaObject>): SchemaObject => ({
  type: 'object',
  properties,
  additionalProperties: false,
});
const list = (items: SchemaObject): SchemaObject => ({ type: 'array', items });

const fileTarget = struct({ Name: str, UID: str, GID: str, Mode: count });

const mount = struct({
  Target: str,
  Source: str,
  Type: oneOf('bind', 'volume', 'tmpfs', 'npipe', 'cluster'),
  ReadOnly: bool,
  Consistency: str,
  BindOptions: struct({
    Propagation: oneOf('private', 'rprivate', 'shared', 'rshared', 'slave', 'rslave'),
    NonRecursive: bool,
  }),
  VolumeOptions: struct({
    NoCopy: bool,
    Labels: strMap,
    DriverConfig: struct({ Name: str, Options: strMap }),
  }),
  TmpfsOptions: struct({ SizeBytes: count, Mode: count }),
});

const containerSpec = struct({
  Image: str,
  Labels: strMap,
  Command: strings,
  Args: strings,
  Hostname: str,
  Env: strings,
  Dir: str,
  User: str,
  Groups: strings,
  Privileges: struct({
    CredentialSpec: struct({ Config: str, File: str, Registry: str }),
    SELinuxContext: struct({ Disable: bool, User: str, Role: str, Type: str, Level: str }),
  }),
  TTY: bool,
  OpenStdin: bool,
  ReadOnly: bool,
  Mounts: list(mount),
  StopSignal: str,
  StopGracePeriod: duration,
  Healthcheck: struct({ Test: strings, Interval: duration, Timeout: duration, Retries: count, StartPeriod: duration }),
  Hosts: strings,
  DNSConfig: struct({ Nameservers: strings, Search: strings, Options: strings }),
  Secrets: list(struct({ File: fileTarget, SecretID: str, SecretName: str })),
  Configs: list(struct({ File: fileTarget, Runtime: { type: 'object' }, ConfigID: str, ConfigName: str })),
  Isolation: oneOf('default', 'process', 'hyperv', ''),
  Init: bool,
  Sysctls: strMap,
  CapabilityAdd: strings,
  CapabilityDrop: strings,
  Ulimits: list(struct({ Name: str, Soft: signed, Hard: signed })),
});

const genericResources = list(
  struct({
    NamedResourceSpec: struct({ Kind: str, Value: str }),
    DiscreteResourceSpec: struct({ Kind: str, Value: signed }),
  }),
);

const platform = struct({ Architecture: str, OS: str });
const networkAttachment = struct({ Target: str, Aliases: strings, DriverOpts: strMap });

const taskSpec = struct({
  PluginSpec: { type: 'object' },
  ContainerSpec: containerSpec,
  NetworkAttachmentSpec: struct({ ContainerID: str }),
  Resources: struct({
    Limits: struct({ NanoCPUs: count, MemoryBytes: count, Pids: count }),
    Reservations: struct({ NanoCPUs: count, MemoryBytes: count, GenericResources: genericResources }),
  }),
  RestartPolicy: struct({
    Condition: oneOf('none', 'on-failure', 'any'),
    Delay: duration,
    MaxAttempts: count,
    Window: duration,
  }),
  Placement: struct({
    Constraints: strings,
    Preferences: list(struct({ Spread: struct({ SpreadDescriptor: str }) })),
    MaxReplicas: taskCount,
    Platforms: list(platform),
  }),
  ForceUpdate: count,
  Runtime: str,
  Networks: list(networkAttachment),
  LogDriver: struct({ Name: str, Options: strMap }),
});

const updateConfig = (...failureActions: string[]): SchemaObject =>
  struct({
    Parallelism: taskCount,
    Delay: duration,
    FailureAction: oneOf(...failureActions),
    Monitor: duration,
    MaxFailureRatio: { type: 'number', minimum: 0, maximum: 1 },
    Order: oneOf('stop-first', 'start-first'),
  });

export const serviceSpecSchema: SchemaObject = struct({
  Name: str,
  Labels: strMap,
  TaskTemplate: taskSpec,
  Mode: struct({
    Replicated: struct({ Replicas: taskCount }),
    Global: struct({}),
    ReplicatedJob: struct({ MaxConcurrent: int(1, MAX_TASKS), TotalCompletions: taskCount }),
    GlobalJob: struct({}),
  }),
  UpdateConfig: updateConfig('continue', 'pause', 'rollback'),
  RollbackConfig: updateConfig('continue', 'pause'),
  Networks: list(networkAttachment),
  EndpointSpec: struct({
    Mode: oneOf('vip', 'dnsrr'),
    Ports: list(
      struct({
        Name: str,
        Protocol: oneOf('tcp', 'udp', 'sctp'),
        TargetPort: port(1),
        PublishedPort: port(0),
        PublishMode: oneOf('ingress', 'host'),
      }),
    ),
  }),
});

export const nodeSpecSchema: SchemaObject = struct({
  Name: str,
  Labels: strMap,
  Role: oneOf('worker', 'manager'),
  Availability: oneOf('active', 'pause', 'drain'),
});

/** SwarmSpec for POST /swarm/update; ranges that need a clearer message are checked in validate-swarm.ts. */
export const swarmSpecSchema: SchemaObject = struct({
  Name: str,
  Labels: strMap,
  Orchestration: struct({ TaskHistoryRetentionLimit: signed }),
  Raft: struct({ SnapshotInterval: count, KeepOldSnapshots: count, LogEntriesForSlowFollowers: count, ElectionTick: count, HeartbeatTick: count }),
  Dispatcher: struct({ HeartbeatPeriod: duration }),
  CAConfig: struct({
    NodeCertExpiry: duration,
    ExternalCAs: list({ type: 'object' }),
    SigningCACert: str,
    SigningCAKey: str,
    ForceRotate: count,
  }),
  TaskDefaults: struct({ LogDriver: struct({ Name: str, Options: strMap }) }),
  EncryptionConfig: struct({ AutoLockManagers: bool }),
});

const driver = struct({ Name: str, Options: strMap });

/** SecretSpec (Data base64); semantic rules live in validate-data-object.ts. */
export const secretSpecSchema: SchemaObject = struct({ Name: str, Labels: strMap, Data: str, Driver: driver, Templating: driver });

export const configSpecSchema: SchemaObject = struct({ Name: str, Labels: strMap, Data: str, Templating: driver });

/** The Engine's NetworkCreateRequest (v1.41); Berth's own rules are in validate-network.ts. */
export const networkCreateSchema: SchemaObject = struct({
  Name: str,
  CheckDuplicate: bool,
  Driver: str,
  Scope: str,
  Internal: bool,
  Attachable: bool,
  Ingress: bool,
  ConfigOnly: bool,
  ConfigFrom: struct({ Network: str }),
  IPAM: struct({
    Driver: str,
    Config: list(struct({ Subnet: str, IPRange: str, Gateway: str, AuxiliaryAddresses: strMap })),
    Options: strMap,
  }),
  EnableIPv6: bool,
  Options: strMap,
  Labels: strMap,
});
