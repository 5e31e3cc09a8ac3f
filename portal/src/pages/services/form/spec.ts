// The service form's values and the ServiceSpec they make, both ways: an update starts from the
// service's spec, so what the form does not show (hosts, DNS, ...) is kept as it was.

import type { ServiceSpec } from '../../../api/types';
import { formatDuration, formatMemory, joinWords, parseCpus, parseDuration, parseMemory, splitWords } from './units';

export interface PortRow {
  published: string;
  target: string;
  protocol: 'tcp' | 'udp' | 'sctp';
  mode: 'ingress' | 'host';
}

export interface MountRow {
  type: 'volume' | 'bind' | 'tmpfs';
  source: string;
  target: string;
  readOnly: boolean;
}

export interface ServiceForm {
  name: string;
  image: string;
  mode: 'replicated' | 'global';
  replicas: number;
  command: string;
  args: string;
  env: string;
  labels: string;
  ports: PortRow[];
  mounts: MountRow[];
  networks: string[];
  secrets: string[];
  configs: string[];
  constraints: string;
  cpuLimit: string;
  memoryLimit: string;
  cpuReservation: string;
  memoryReservation: string;
  restartCondition: 'any' | 'on-failure' | 'none';
  restartDelay: string;
  restartMaxAttempts: string;
  updateParallelism: string;
  updateDelay: string;
  updateFailureAction: 'pause' | 'continue' | 'rollback';
  updateOrder: 'stop-first' | 'start-first';
  healthCmd: string;
  healthInterval: string;
  healthTimeout: string;
  healthRetries: string;
}

export type Field = keyof ServiceForm;

/** A value the form itself cannot turn into a spec, named by its field. */
export class FieldError extends Error {
  constructor(
    readonly field: Field,
    message: string,
  ) {
    super(message);
  }
}

export const EMPTY: ServiceForm = {
  name: '',
  image: '',
  mode: 'replicated',
  replicas: 1,
  command: '',
  args: '',
  env: '',
  labels: '',
  ports: [],
  mounts: [],
  networks: [],
  secrets: [],
  configs: [],
  constraints: '',
  cpuLimit: '',
  memoryLimit: '',
  cpuReservation: '',
  memoryReservation: '',
  restartCondition: 'any',
  restartDelay: '5s',
  restartMaxAttempts: '',
  updateParallelism: '1',
  updateDelay: '',
  updateFailureAction: 'pause',
  updateOrder: 'stop-first',
  healthCmd: '',
  healthInterval: '',
  healthTimeout: '',
  healthRetries: '',
};

const lines = (s: string) =>
  s
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);

function field<T>(name: Field, parse: () => T): T {
  try {
    return parse();
  } catch (err) {
    throw new FieldError(name, (err as Error).message);
  }
}

function keyValues(name: Field, s: string): Record<string, string> | undefined {
  const out: Record<string, string> = {};
  for (const l of lines(s)) {
    const eq = l.indexOf('=');
    if (eq <= 0) throw new FieldError(name, `"${l}": one KEY=VALUE per line`);
    out[l.slice(0, eq)] = l.slice(eq + 1);
  }
  return Object.keys(out).length ? out : undefined;
}

function count(name: Field, s: string): number | undefined {
  if (!s.trim()) return undefined;
  const n = Number(s);
  if (!Number.isInteger(n) || n < 0) throw new FieldError(name, `"${s}" is not a whole number`);
  return n;
}

const nonEmpty = <T extends object>(o: T): T | undefined => (Object.values(o).some((v) => v !== undefined) ? o : undefined);

export interface Named {
  ID: string;
  Spec: { Name: string };
}

/** toSpec builds the spec to send; `base` is the spec an update starts from. */
export function toSpec(f: ServiceForm, lookups: { secrets: Named[]; configs: Named[] }, base?: ServiceSpec): ServiceSpec {
  if (!f.image.trim()) throw new FieldError('image', 'an image is required, e.g. nginx:1.27');
  const healthTest = f.healthCmd.trim() ? ['CMD-SHELL', f.healthCmd.trim()] : undefined;
  const ref = (kind: 'secrets' | 'configs', name: string) => {
    const found = lookups[kind].find((x) => x.Spec.Name === name);
    if (!found) throw new FieldError(kind, `${kind === 'secrets' ? 'secret' : 'config'} ${name} not found`);
    return found;
  };
  const container = base?.TaskTemplate.ContainerSpec;
  return {
    ...base,
    Name: f.name.trim(),
    Labels: keyValues('labels', f.labels),
    TaskTemplate: {
      ...base?.TaskTemplate,
      ContainerSpec: {
        ...container,
        Image: f.image.trim(),
        Command: field('command', () => splitWords(f.command)).length ? splitWords(f.command) : undefined,
        Args: field('args', () => splitWords(f.args)).length ? splitWords(f.args) : undefined,
        Env: lines(f.env).length ? lines(f.env) : undefined,
        Mounts: f.mounts.length
          ? f.mounts.map((m, i) => {
              if (!m.target.trim()) throw new FieldError('mounts', `mount ${i + 1}: the path in the container is required`);
              return { Type: m.type, Source: m.source.trim() || undefined, Target: m.target.trim(), ReadOnly: m.readOnly || undefined };
            })
          : undefined,
        Secrets: f.secrets.length
          ? f.secrets.map((n) => {
              const s = ref('secrets', n);
              // As the CLI: mounted at /run/secrets/NAME, readable by all in the container.
              return { SecretID: s.ID, SecretName: n, File: { Name: n, UID: '0', GID: '0', Mode: 0o444 } };
            })
          : undefined,
        Configs: f.configs.length
          ? f.configs.map((n) => {
              const c = ref('configs', n);
              return { ConfigID: c.ID, ConfigName: n, File: { Name: `/${n}`, UID: '0', GID: '0', Mode: 0o444 } };
            })
          : undefined,
        Healthcheck: healthTest
          ? {
              Test: healthTest,
              Interval: field('healthInterval', () => parseDuration(f.healthInterval)),
              Timeout: field('healthTimeout', () => parseDuration(f.healthTimeout)),
              Retries: count('healthRetries', f.healthRetries),
            }
          : container?.Healthcheck?.Test?.[0] === 'NONE'
            ? container.Healthcheck
            : undefined,
      },
      Resources: nonEmpty({
        Limits: nonEmpty({ NanoCPUs: field('cpuLimit', () => parseCpus(f.cpuLimit)), MemoryBytes: field('memoryLimit', () => parseMemory(f.memoryLimit)) }),
        Reservations: nonEmpty({ NanoCPUs: field('cpuReservation', () => parseCpus(f.cpuReservation)), MemoryBytes: field('memoryReservation', () => parseMemory(f.memoryReservation)) }),
      }),
      RestartPolicy: { Condition: f.restartCondition, Delay: field('restartDelay', () => parseDuration(f.restartDelay)), MaxAttempts: count('restartMaxAttempts', f.restartMaxAttempts) },
      Placement: { ...base?.TaskTemplate.Placement, Constraints: lines(f.constraints).length ? lines(f.constraints) : undefined },
      Networks: f.networks.length ? f.networks.map((n) => ({ Target: n, ...base?.TaskTemplate.Networks?.find((x) => x.Target === n) })) : undefined,
    },
    Mode: f.mode === 'global' ? { Global: {} } : { Replicated: { Replicas: f.replicas } },
    UpdateConfig: {
      ...base?.UpdateConfig,
      Parallelism: count('updateParallelism', f.updateParallelism),
      Delay: field('updateDelay', () => parseDuration(f.updateDelay)),
      FailureAction: f.updateFailureAction,
      Order: f.updateOrder,
    },
    EndpointSpec: {
      ...base?.EndpointSpec,
      Ports: f.ports.length
        ? f.ports.map((p, i) => {
            const target = Number(p.target);
            const published = p.published.trim() ? Number(p.published) : undefined;
            if (!Number.isInteger(target) || target < 1 || target > 65535) throw new FieldError('ports', `port ${i + 1}: the container port is a number from 1 to 65535`);
            if (published !== undefined && (!Number.isInteger(published) || published < 1 || published > 65535)) throw new FieldError('ports', `port ${i + 1}: the published port is a number from 1 to 65535, or empty to pick one`);
            return { Protocol: p.protocol, TargetPort: target, PublishedPort: published, PublishMode: p.mode };
          })
        : undefined,
    },
  };
}

const text = (kv: Record<string, string> | undefined) =>
  Object.entries(kv ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .join('\n');

/** fromSpec fills the form from a service's spec (to update it). */
export function fromSpec(s: ServiceSpec): ServiceForm {
  const c = s.TaskTemplate.ContainerSpec;
  const r = s.TaskTemplate.Resources;
  const h = c.Healthcheck?.Test?.[0] === 'CMD-SHELL' ? c.Healthcheck : undefined;
  return {
    ...EMPTY,
    name: s.Name,
    image: c.Image.replace(/@sha256:[0-9a-f]{64}$/, ''),
    mode: s.Mode.Global ? 'global' : 'replicated',
    replicas: s.Mode.Replicated?.Replicas ?? 1,
    command: joinWords(c.Command),
    args: joinWords(c.Args),
    env: (c.Env ?? []).join('\n'),
    labels: text(s.Labels),
    ports: (s.EndpointSpec?.Ports ?? []).map((p) => ({ published: p.PublishedPort ? String(p.PublishedPort) : '', target: String(p.TargetPort), protocol: p.Protocol ?? 'tcp', mode: p.PublishMode ?? 'ingress' })),
    mounts: (c.Mounts ?? []).map((m) => ({ type: m.Type, source: m.Source ?? '', target: m.Target, readOnly: !!m.ReadOnly })),
    networks: (s.TaskTemplate.Networks ?? []).map((n) => n.Target),
    secrets: (c.Secrets ?? []).map((x) => x.SecretName),
    configs: (c.Configs ?? []).map((x) => x.ConfigName),
    constraints: (s.TaskTemplate.Placement?.Constraints ?? []).join('\n'),
    cpuLimit: r?.Limits?.NanoCPUs ? String(r.Limits.NanoCPUs / 1e9) : '',
    memoryLimit: formatMemory(r?.Limits?.MemoryBytes),
    cpuReservation: r?.Reservations?.NanoCPUs ? String(r.Reservations.NanoCPUs / 1e9) : '',
    memoryReservation: formatMemory(r?.Reservations?.MemoryBytes),
    restartCondition: s.TaskTemplate.RestartPolicy?.Condition ?? 'any',
    restartDelay: formatDuration(s.TaskTemplate.RestartPolicy?.Delay),
    restartMaxAttempts: s.TaskTemplate.RestartPolicy?.MaxAttempts ? String(s.TaskTemplate.RestartPolicy.MaxAttempts) : '',
    updateParallelism: String(s.UpdateConfig?.Parallelism ?? 1),
    updateDelay: formatDuration(s.UpdateConfig?.Delay),
    updateFailureAction: (s.UpdateConfig?.FailureAction as ServiceForm['updateFailureAction']) ?? 'pause',
    updateOrder: (s.UpdateConfig?.Order as ServiceForm['updateOrder']) ?? 'stop-first',
    healthCmd: h?.Test?.[1] ?? '',
    healthInterval: formatDuration(h?.Interval),
    healthTimeout: formatDuration(h?.Timeout),
    healthRetries: h?.Retries ? String(h.Retries) : '',
  };
}

// Which field an API refusal is about: the spec path (or word) its message names.
const PATHS: Array<[RegExp, Field]> = [
  [/ContainerSpec\.Image|\bimage\b/i, 'image'],
  [/ContainerSpec\.Mounts|\bmount/i, 'mounts'],
  [/EndpointSpec|\bport/i, 'ports'],
  [/ContainerSpec\.Env\b/, 'env'],
  [/ContainerSpec\.Secrets|\bsecret/i, 'secrets'],
  [/ContainerSpec\.Configs|\bconfig\b/i, 'configs'],
  [/Placement|constraint/i, 'constraints'],
  [/Resources\.Limits|limit/i, 'memoryLimit'],
  [/Resources\.Reservations|reservation/i, 'memoryReservation'],
  [/RestartPolicy/, 'restartCondition'],
  [/UpdateConfig/, 'updateParallelism'],
  [/Healthcheck/, 'healthCmd'],
  [/Networks|\bnetwork/i, 'networks'],
  [/ContainerSpec\.Command/, 'command'],
  [/\bName\b|\bname\b/, 'name'],
];

/** fieldOf says which field the API's message is about (undefined: show it above the form). */
export function fieldOf(message: string): Field | undefined {
  return PATHS.find(([re]) => re.test(message))?.[1];
}
