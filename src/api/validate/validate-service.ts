// ServiceSpec validation for create and update: first the structural check against the JSON
// Schema (spec-schemas.ts), then the rules Swarm's control API enforces across fields, and a
// refusal (501) of what Berth does not implement yet, so that it is never accepted and ignored.
// Returns the spec normalised the way the Engine stores it (exactly one Mode, with its defaults;
// the enums' zero values and the always-present fields: engine-form.ts).

import { isDeepStrictEqual } from 'node:util';
import { InvalidArgumentError, NotImplementedError } from '../../types/index.js';
import type { EndpointPortConfig, Mount, ServiceMode, ServiceSpec } from '../../types/index.js';
import { parseConstraints } from '../../common/constraints.js';
import { publishMode } from '../../common/networks.js';
import { engineForm } from './engine-form.js';
import { schemaChecker } from './schema-check.js';
import { serviceSpecSchema } from './spec-schemas.js';

const checkStructure = schemaChecker<ServiceSpec>('ServiceSpec', serviceSpecSchema);

/**
 * Swarm's rule: the name must be usable as one DNS label (controlapi isValidDNSName). The same
 * names as swarmkit's `^[a-zA-Z0-9](?:[-_]*[A-Za-z0-9]+)*$`, written so that a backtracking
 * engine cannot take exponential time: that one took seconds on 30 letters and a "!".
 */
const NAME_RE = /^[a-zA-Z0-9](?:[-_a-zA-Z0-9]*[a-zA-Z0-9])?$/;
const MIN_MEMORY = 4 * 1024 * 1024;
const MIN_NANO_CPUS = 1e6;
const MODE_KEYS = ['Replicated', 'Global', 'ReplicatedJob', 'GlobalJob'] as const;

export type ModeKind = 'replicated' | 'global' | 'replicated-job' | 'global-job';

/**
 * validateServiceSpec checks a request body and returns the normalised spec; throws
 * InvalidArgumentError.
 */
export function validateServiceSpec(body: unknown): ServiceSpec {
  const spec = checkStructure(body);
  const mode = normaliseMode(spec.Mode);
  if (spec.Name) checkName(spec.Name);
  const image = spec.TaskTemplate?.ContainerSpec?.Image?.trim();
  if (!image) {
    throw new InvalidArgumentError('invalid ServiceSpec: TaskTemplate.ContainerSpec.Image is required: name the image the tasks run, e.g. nginx:1.27');
  }
  checkRuntime(spec.TaskTemplate?.Runtime);
  parseConstraints(spec.TaskTemplate?.Placement?.Constraints);
  checkResources(spec);
  checkMounts(spec.TaskTemplate?.ContainerSpec?.Mounts ?? []);
  checkPorts(spec);
  return engineForm(normaliseNetworks({ ...spec, Mode: mode }));
}

/** Berth runs containers only; the Engine's own word for a runtime it does not know (moby convert ErrUnsupportedRuntime). */
function checkRuntime(runtime: string | undefined): void {
  if (!runtime || runtime === 'container') return;
  if (runtime === 'plugin') {
    throw new NotImplementedError('invalid ServiceSpec: TaskTemplate.Runtime plugin is not supported: Berth runs container services only; leave Runtime out or set it to container');
  }
  throw new InvalidArgumentError(`unsupported runtime: TaskTemplate.Runtime ${JSON.stringify(runtime)} is not one of container, plugin; leave it out for a container service`);
}

/**
 * normaliseNetworks moves the deprecated ServiceSpec.Networks into TaskTemplate.Networks, where
 * Swarm reads them today, and refuses a network attached twice. Targets are resolved to IDs
 * later, against the store (routes/services.ts).
 */
function normaliseNetworks(spec: ServiceSpec): ServiceSpec {
  const { Networks: legacy, ...rest } = spec;
  const task = spec.TaskTemplate?.Networks ?? [];
  if (legacy?.length && task.length && !isDeepStrictEqual(legacy, task)) {
    throw new InvalidArgumentError(
      'invalid ServiceSpec: networks are given both in Networks (deprecated) and in TaskTemplate.Networks: give them in TaskTemplate.Networks only',
    );
  }
  const networks = task.length ? task : (legacy ?? []);
  if (networks.length === 0) return rest;
  const seen = new Set<string>();
  networks.forEach((n, i) => {
    if (!n.Target) throw new InvalidArgumentError(`invalid ServiceSpec: TaskTemplate.Networks[${i}].Target is required: the network's name or ID`);
    if (seen.has(n.Target)) throw new InvalidArgumentError(`invalid ServiceSpec: network ${n.Target} is attached more than once`);
    seen.add(n.Target);
    for (const alias of n.Aliases ?? []) {
      if (alias.length > 253 || !isValidDnsName(alias.replace(/\./g, '-'))) {
        throw new InvalidArgumentError(`invalid ServiceSpec: TaskTemplate.Networks[${i}].Aliases: "${alias}" is not a valid DNS name`);
      }
    }
  });
  return { ...rest, TaskTemplate: { ...rest.TaskTemplate, Networks: networks } };
}

export function modeKind(spec: ServiceSpec): ModeKind {
  if (spec.Mode?.ReplicatedJob) return 'replicated-job';
  if (spec.Mode?.GlobalJob) return 'global-job';
  return spec.Mode?.Global ? 'global' : 'replicated';
}

export function isValidDnsName(name: string): boolean {
  return NAME_RE.test(name);
}

function checkName(name: string): void {
  if (name.length > 63) {
    throw new InvalidArgumentError(`invalid name "${name}": a service name is at most 63 characters (it is used as a DNS name)`);
  }
  if (!NAME_RE.test(name)) {
    throw new InvalidArgumentError(
      `invalid name "${name}": only [a-zA-Z0-9][a-zA-Z0-9_-] are allowed, and it must end with a letter or digit (it is used as a DNS name)`,
    );
  }
}

function normaliseMode(mode: ServiceMode | undefined): ServiceMode {
  const set = MODE_KEYS.filter((k) => mode?.[k] !== undefined);
  if (set.length > 1) {
    throw new InvalidArgumentError(`invalid ServiceSpec: Mode must set exactly one of ${MODE_KEYS.join(', ')} (got ${set.join(' and ')})`);
  }
  if (mode?.ReplicatedJob) {
    const maxConcurrent = mode.ReplicatedJob.MaxConcurrent ?? 1;
    return { ReplicatedJob: { MaxConcurrent: maxConcurrent, TotalCompletions: mode.ReplicatedJob.TotalCompletions ?? maxConcurrent } };
  }
  if (mode?.GlobalJob) return { GlobalJob: {} };
  if (mode?.Global) return { Global: {} };
  return { Replicated: { Replicas: mode?.Replicated?.Replicas ?? 1 } };
}

function checkResources(spec: ServiceSpec): void {
  const res = spec.TaskTemplate?.Resources;
  for (const [field, r] of [['Limits', res?.Limits], ['Reservations', res?.Reservations]] as const) {
    const path = `TaskTemplate.Resources.${field}`;
    if (r?.MemoryBytes && r.MemoryBytes < MIN_MEMORY) {
      throw new InvalidArgumentError(`invalid ServiceSpec: ${path}.MemoryBytes ${r.MemoryBytes} is too small: it must be at least 4MiB (${MIN_MEMORY} bytes)`);
    }
    if (r?.NanoCPUs && r.NanoCPUs < MIN_NANO_CPUS) {
      throw new InvalidArgumentError(`invalid ServiceSpec: ${path}.NanoCPUs ${r.NanoCPUs} is too small: it must be at least ${MIN_NANO_CPUS} (0.001 CPU)`);
    }
  }
}

function checkMounts(mounts: readonly Mount[]): void {
  const targets = new Set<string>();
  mounts.forEach((m, i) => {
    const path = `TaskTemplate.ContainerSpec.Mounts[${i}]`;
    const fail = (what: string): never => {
      throw new InvalidArgumentError(`invalid ServiceSpec: ${path}.${what}`);
    };
    if (!m.Type) fail('Type is required: use bind, volume or tmpfs');
    if (m.Type === 'npipe' || m.Type === 'cluster') fail(`Type ${m.Type} is not supported on Linux nodes: use bind, volume or tmpfs`);
    if (!m.Target?.startsWith('/')) fail(`Target must be an absolute path in the container (got ${JSON.stringify(m.Target ?? '')})`);
    if (m.Type === 'bind' && !m.Source?.startsWith('/')) fail(`Source of a bind mount must be an absolute host path (got ${JSON.stringify(m.Source ?? '')})`);
    if (m.Type === 'tmpfs' && m.Source) fail('Source must be empty for a tmpfs mount');
    if (targets.has(m.Target!)) fail(`Target ${m.Target} is mounted twice: each mount needs its own target`);
    targets.add(m.Target!);
  });
}

function checkPorts(spec: ServiceSpec): void {
  const ep = spec.EndpointSpec;
  const ports = ep?.Ports ?? [];
  const seen = new Set<string>();
  ports.forEach((p, i) => {
    if (!p.TargetPort) {
      throw new InvalidArgumentError(`invalid ServiceSpec: EndpointSpec.Ports[${i}].TargetPort is required: the port the container listens on`);
    }
    if (ep?.Mode === 'dnsrr' && publishMode(p) === 'ingress') {
      throw new InvalidArgumentError(
        `invalid ServiceSpec: EndpointSpec.Ports[${i}] publishes port ${p.PublishedPort || p.TargetPort} in ingress mode, which can't be used with dnsrr mode: use PublishMode host or EndpointSpec.Mode vip`,
      );
    }
    if (!p.PublishedPort) return;
    const key = portKey(p);
    if (seen.has(key)) {
      throw new InvalidArgumentError(`invalid ServiceSpec: EndpointSpec.Ports: published port ${key} is given more than once`);
    }
    seen.add(key);
  });
}


/** "8080/tcp": a published port is unique per protocol. */
export function portKey(p: EndpointPortConfig): string {
  return `${p.PublishedPort ?? 0}/${p.Protocol ?? 'tcp'}`;
}
