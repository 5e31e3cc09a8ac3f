// `berth service create` options → ServiceSpec, as `docker service create` builds it. Only what
// the user gave goes into the spec; the manager fills Swarm's defaults.

import { InvalidArgumentError } from '../../types/index.js';
import type {
  ContainerSpec,
  EndpointPortConfig,
  HealthConfig,
  Labels,
  Mount,
  Placement,
  PlacementPreference,
  Resources,
  RestartCondition,
  RestartPolicy,
  ServiceSpec,
  TaskSpec,
} from '../../types/index.js';

/** Option values as parsed by the command line (units already converted: bytes, NanoCPUs, ns). */
export interface CreateOptions {
  name?: string;
  mode?: 'replicated' | 'global';
  replicas?: number;
  env?: string[];
  label?: Labels;
  containerLabel?: Labels;
  constraint?: string[];
  placementPref?: PlacementPreference[];
  replicasMaxPerNode?: number;
  publish?: EndpointPortConfig[];
  mount?: Mount[];
  limitCpu?: number;
  limitMemory?: number;
  reserveCpu?: number;
  reserveMemory?: number;
  restartCondition?: RestartCondition;
  restartDelay?: number;
  restartMaxAttempts?: number;
  restartWindow?: number;
  stopGracePeriod?: number;
  stopSignal?: string;
  workdir?: string;
  user?: string;
  hostname?: string;
  healthCmd?: string;
  healthInterval?: number;
  healthRetries?: number;
  healthTimeout?: number;
  healthStartPeriod?: number;
  /** false when --no-healthcheck was given. */
  healthcheck?: boolean;
  /** --entrypoint split into words: the container's Command. */
  entrypoint?: string[];
}

/** buildServiceSpec: IMAGE [COMMAND] [ARG...] become Image and Args; --entrypoint becomes Command. */
export function buildServiceSpec(image: string, args: readonly string[], o: CreateOptions): ServiceSpec {
  const global = o.mode === 'global';
  if (global && o.replicas !== undefined) throw new InvalidArgumentError('--replicas can only be used with replicated mode');
  if (global && o.replicasMaxPerNode !== undefined) {
    throw new InvalidArgumentError('--replicas-max-per-node can only be used with replicated mode');
  }
  const task: TaskSpec = compact({
    ContainerSpec: containerSpec(image, args, o),
    Resources: resources(o),
    RestartPolicy: restartPolicy(o),
    Placement: placement(o),
  });
  return compact({
    Name: o.name,
    Labels: nonEmpty(o.label),
    TaskTemplate: task,
    Mode: global ? { Global: {} } : { Replicated: { Replicas: o.replicas ?? 1 } },
    EndpointSpec: o.publish?.length ? { Ports: o.publish } : undefined,
  });
}

function containerSpec(image: string, args: readonly string[], o: CreateOptions): ContainerSpec {
  return compact({
    Image: image,
    Labels: nonEmpty(o.containerLabel),
    Command: o.entrypoint,
    Args: args.length > 0 ? [...args] : undefined,
    Hostname: o.hostname,
    Env: o.env?.length ? o.env : undefined,
    Dir: o.workdir,
    User: o.user,
    Mounts: o.mount?.length ? o.mount : undefined,
    StopSignal: o.stopSignal,
    StopGracePeriod: o.stopGracePeriod,
    Healthcheck: healthCheck(o),
  });
}

function healthCheck(o: CreateOptions): HealthConfig | undefined {
  const tuned = [o.healthCmd, o.healthInterval, o.healthRetries, o.healthTimeout, o.healthStartPeriod].some((v) => v !== undefined);
  if (o.healthcheck === false) {
    if (tuned) throw new InvalidArgumentError('--no-healthcheck conflicts with --health-* options');
    return { Test: ['NONE'] };
  }
  if (!tuned) return undefined;
  return compact({
    // Without --health-cmd the image's own test stays; only its timing changes.
    Test: o.healthCmd !== undefined ? ['CMD-SHELL', o.healthCmd] : undefined,
    Interval: o.healthInterval,
    Timeout: o.healthTimeout,
    Retries: o.healthRetries,
    StartPeriod: o.healthStartPeriod,
  });
}

function resources(o: CreateOptions): Resources | undefined {
  const limits = compact({ NanoCPUs: o.limitCpu, MemoryBytes: o.limitMemory });
  const reservations = compact({ NanoCPUs: o.reserveCpu, MemoryBytes: o.reserveMemory });
  return nonEmpty(compact({ Limits: nonEmpty(limits), Reservations: nonEmpty(reservations) }));
}

function restartPolicy(o: CreateOptions): RestartPolicy | undefined {
  return nonEmpty(
    compact({ Condition: o.restartCondition, Delay: o.restartDelay, MaxAttempts: o.restartMaxAttempts, Window: o.restartWindow }),
  );
}

function placement(o: CreateOptions): Placement | undefined {
  return nonEmpty(
    compact({
      Constraints: o.constraint?.length ? o.constraint : undefined,
      Preferences: o.placementPref?.length ? o.placementPref : undefined,
      MaxReplicas: o.replicasMaxPerNode,
    }),
  );
}

/** compact drops undefined fields so the spec carries only what the user set. */
function compact<T extends object>(obj: T): T {
  return Object.fromEntries(Object.entries(obj).filter(([, v]) => v !== undefined)) as T;
}

function nonEmpty<T extends object>(obj: T | undefined): T | undefined {
  return obj && Object.keys(obj).length > 0 ? obj : undefined;
}
