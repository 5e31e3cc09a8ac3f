// One compose service as the ServiceSpec `docker stack deploy` sends (docker/cli
// cli/compose/convert/service.go): named STACK_name, the namespace label on the service and its
// containers, the image as written in com.docker.stack.image, the compose name as a network alias
// on every network, lists sorted so that a redeploy of the same file changes nothing.

import type { EndpointPortConfig, HealthConfig, Mount, RestartPolicy, ServiceMode, ServiceSpec, UpdateConfig } from '../../types/index.js';
import { isObj } from '../../common/is-object.js';
import type { Dict, Path } from './source.js';
import { bool, bytes, clean, cpus, dict, duration, fail, int, labels, list, listOrDict, num, shellSplit, str } from './values.js';

export const NAMESPACE_LABEL = 'com.docker.stack.namespace';
export const IMAGE_LABEL = 'com.docker.stack.image';
/** The network a service without networks is on: STACK_default. */
export const DEFAULT_NETWORK = 'default';

export interface StackFile {
  namespace: string;
  networks: Dict;
  volumes: Dict;
  secrets: Dict;
  configs: Dict;
  vars: Readonly<Record<string, string>>;
}

export const scoped = (f: StackFile, name: string): string => `${f.namespace}_${name}`;

/** The name of a top-level network, volume, secret or config: its name:, else its key when external, else STACK_key. */
export function objectName(f: StackFile, kind: 'networks' | 'volumes' | 'secrets' | 'configs', key: string): string {
  const top = dict(f[kind][key]);
  return str(top.name, [kind, key, 'name']) ?? (isExternal(top.external, [kind, key, 'external']) ? key : scoped(f, key));
}
export const withStackLabel = (f: StackFile, l: Record<string, string> = {}): Record<string, string> => ({ ...l, [NAMESPACE_LABEL]: f.namespace });

/** convertService gives the spec and the compose networks it is on. */
export function convertService(f: StackFile, name: string, s: Dict): { spec: ServiceSpec; networks: string[] } {
  const at = (...p: (string | number)[]): Path => ['services', name, ...p];
  const image = str(s.image, at('image'));
  if (!image) fail(at('image'), `invalid image reference for service ${name}: no image specified`);
  const deploy = dict(s.deploy);
  const networks = serviceNetworks(f, name, s.networks, at('networks'));
  const ports = (Array.isArray(s.ports) ? s.ports : []).flatMap((p, i) => port(p, at('ports', i)));
  ports.sort(comparePorts);
  const command = (v: unknown, key: string) => (typeof v === 'string' ? shellSplit(v, at(key)) : list(v, at(key)));
  const container = clean({
    Image: image,
    Labels: withStackLabel(f, labels(s.labels, at('labels'))),
    Command: command(s.entrypoint, 'entrypoint'),
    Args: command(s.command, 'command'),
    Hostname: str(s.hostname, at('hostname')),
    Env: environment(f, s.environment, at('environment')),
    Dir: str(s.working_dir, at('working_dir')),
    User: str(s.user, at('user')),
    Mounts: nonEmpty((Array.isArray(s.volumes) ? s.volumes : []).map((v, i) => mount(f, v, at('volumes', i)))),
    StopGracePeriod: duration(s.stop_grace_period, at('stop_grace_period')),
    StopSignal: str(s.stop_signal, at('stop_signal')),
    TTY: bool(s.tty, at('tty')),
    OpenStdin: bool(s.stdin_open, at('stdin_open')),
    ReadOnly: bool(s.read_only, at('read_only')),
    Init: bool(s.init, at('init')),
    Isolation: str(s.isolation, at('isolation')),
    Healthcheck: healthcheck(s.healthcheck, at('healthcheck')),
    Hosts: extraHosts(s.extra_hosts, at('extra_hosts')),
    DNSConfig: s.dns === undefined && s.dns_search === undefined ? undefined : clean({ Nameservers: list(s.dns, at('dns')), Search: list(s.dns_search, at('dns_search')) }),
    Secrets: nonEmpty(fileRefs(f, 'secrets', s.secrets, at('secrets')).map(({ name: n, file }) => ({ SecretName: n, File: file }))),
    Configs: nonEmpty(fileRefs(f, 'configs', s.configs, at('configs')).map(({ name: n, file }) => ({ ConfigName: n, File: file }))),
    // The CLI always sends it, empty: so does a stack, or its services would differ from the CLI's.
    Privileges: {},
    Sysctls: s.sysctls === undefined ? undefined : labels(s.sysctls, at('sysctls')),
    CapabilityAdd: list(s.cap_add, at('cap_add')),
    CapabilityDrop: list(s.cap_drop, at('cap_drop')),
    Ulimits: ulimits(s.ulimits, at('ulimits')),
  });
  if (s.credential_spec !== undefined) fail(at('credential_spec'), 'credential specs are for Windows containers: Berth runs Linux containers; leave it out');
  if (s.oom_score_adj !== undefined) fail(at('oom_score_adj'), 'is not supported by Berth services yet; leave it out');
  const logging = dict(s.logging);
  const spec: ServiceSpec = clean({
    Name: scoped(f, name),
    Labels: { ...withStackLabel(f, labels(deploy.labels, at('deploy', 'labels'))), [IMAGE_LABEL]: image },
    TaskTemplate: clean({
      ContainerSpec: container,
      LogDriver: s.logging === undefined ? undefined : clean({ Name: str(logging.driver, at('logging', 'driver')), Options: logging.options === undefined ? undefined : labels(logging.options, at('logging', 'options')) }),
      Resources: resources(dict(deploy.resources), at('deploy', 'resources')),
      RestartPolicy: restartPolicy(deploy.restart_policy, s.restart, at('deploy', 'restart_policy')),
      Placement: placement(dict(deploy.placement), at('deploy', 'placement')),
      Networks: networks.map((n) => ({ Target: n.target, Aliases: [...n.aliases, name] })),
    }),
    Mode: mode(deploy.mode, deploy.replicas, at('deploy')),
    UpdateConfig: updateConfig(deploy.update_config, at('deploy', 'update_config')),
    RollbackConfig: updateConfig(deploy.rollback_config, at('deploy', 'rollback_config')),
    EndpointSpec: clean({ Mode: str(deploy.endpoint_mode, at('deploy', 'endpoint_mode'))?.toLowerCase() as 'vip' | 'dnsrr' | undefined, Ports: ports.length ? ports : undefined }),
  });
  return { spec, networks: networks.map((n) => n.key) };
}

const nonEmpty = <T>(list: T[]): T[] | undefined => (list.length > 0 ? list : undefined);

/** A variable named without a value takes the deploy's value, as the CLI takes its own environment's. */
function environment(f: StackFile, v: unknown, path: Path): string[] | undefined {
  if (v === undefined) return undefined;
  const env = listOrDict(v, path);
  return Object.entries(env)
    .map(([k, x]) => (x !== undefined ? `${k}=${x}` : Object.hasOwn(f.vars, k) ? `${k}=${f.vars[k]}` : k))
    .sort();
}

function serviceNetworks(f: StackFile, service: string, v: unknown, path: Path): { key: string; target: string; aliases: string[] }[] {
  const entries: [string, unknown][] = Array.isArray(v) ? v.map((n, i) => [str(n, [...path, i]) ?? '', undefined]) : isObj(v) ? Object.entries(v) : [];
  if (entries.length === 0) entries.push([DEFAULT_NETWORK, undefined]);
  return entries
    .map(([key, cfg]) => {
      if (key !== DEFAULT_NETWORK && !Object.hasOwn(f.networks, key)) fail(path, `service ${service}: undefined network "${key}"`);
      return { key, target: objectName(f, 'networks', key), aliases: list(dict(cfg).aliases, [...path, key, 'aliases']) ?? [] };
    })
    .sort((a, b) => (a.target < b.target ? -1 : a.target > b.target ? 1 : 0));
}

const PORT_RE = /^(?:(?<ip>[^:]*):)??(?:(?<published>[\d-]*):)?(?<target>\d+(?:-\d+)?)(?:\/(?<protocol>tcp|udp|sctp))?$/;

/** port reads a long-form port or the short form: [[IP:]PUBLISHED:]TARGET[/PROTOCOL], with ranges. */
function port(v: unknown, path: Path): EndpointPortConfig[] {
  if (isObj(v)) {
    return [
      clean({
        Protocol: (str(v.protocol, [...path, 'protocol']) ?? 'tcp') as EndpointPortConfig['Protocol'],
        TargetPort: int(v.target, [...path, 'target']),
        PublishedPort: portNumber(v.published, [...path, 'published']),
        PublishMode: (str(v.mode, [...path, 'mode']) ?? 'ingress') as EndpointPortConfig['PublishMode'],
      }),
    ];
  }
  const text = str(v, path) ?? '';
  const m = PORT_RE.exec(text);
  if (!m?.groups) return fail(path, `invalid port ${JSON.stringify(text)}: use [PUBLISHED:]TARGET[/PROTOCOL], e.g. 8080:80 or 53:53/udp`);
  if (m.groups.ip) fail(path, `invalid port ${JSON.stringify(text)}: a service publishes on every address of its nodes; leave out the IP address`);
  const range = (s: string | undefined): number[] => {
    if (!s) return [];
    const [lo, hi = lo] = s.split('-').map(Number) as [number, number?];
    if (!(hi! >= lo) || hi! > 65535) fail(path, `invalid port range ${JSON.stringify(s)}`);
    return Array.from({ length: hi! - lo + 1 }, (_, i) => lo + i);
  };
  const targets = range(m.groups.target);
  const published = range(m.groups.published);
  if (published.length > 0 && published.length !== targets.length) fail(path, `invalid port ${JSON.stringify(text)}: the published and target ranges must be the same size`);
  return targets.map((t, i) => clean({ Protocol: (m.groups!.protocol ?? 'tcp') as EndpointPortConfig['Protocol'], TargetPort: t, PublishedPort: published[i], PublishMode: 'ingress' as const }));
}

function portNumber(v: unknown, path: Path): number | undefined {
  const n = int(v, path);
  if (n !== undefined && n > 65535) fail(path, `must be a port number up to 65535 (got ${n})`);
  return n;
}

function comparePorts(a: EndpointPortConfig, b: EndpointPortConfig): number {
  return (a.Protocol ?? '').localeCompare(b.Protocol ?? '') || (a.TargetPort ?? 0) - (b.TargetPort ?? 0) || (a.PublishedPort ?? 0) - (b.PublishedPort ?? 0) || (a.PublishMode ?? '').localeCompare(b.PublishMode ?? '');
}

/** mount reads a long-form volume or the short form SOURCE:TARGET[:MODE]; named volumes are the stack's (STACK_name) unless external. */
function mount(f: StackFile, v: unknown, path: Path): Mount {
  let m: { type: string; source?: string; target?: string; readOnly?: boolean; noCopy?: boolean; propagation?: string; tmpfsSize?: number };
  if (isObj(v)) {
    m = {
      type: str(v.type, [...path, 'type']) ?? 'volume',
      source: str(v.source, [...path, 'source']),
      target: str(v.target, [...path, 'target']),
      readOnly: bool(v.read_only, [...path, 'read_only']),
      noCopy: bool(dict(v.volume).nocopy, [...path, 'volume', 'nocopy']),
      propagation: str(dict(v.bind).propagation, [...path, 'bind', 'propagation']),
      tmpfsSize: bytes(dict(v.tmpfs).size, [...path, 'tmpfs', 'size']),
    };
  } else {
    const parts = (str(v, path) ?? '').split(':');
    if (parts.length === 1) m = { type: 'volume', target: parts[0] };
    else {
      const [source, target, options = ''] = parts as [string, string, string?];
      const opts = options.split(',');
      m = { type: /^[./~]/.test(source) ? 'bind' : 'volume', source, target, readOnly: opts.includes('ro') || undefined, noCopy: opts.includes('nocopy') || undefined };
    }
  }
  if (!m.target) fail(path, 'a mount needs a target path in the container');
  if (m.type === 'bind') {
    if (!m.source?.startsWith('/')) fail(path, `bind source ${JSON.stringify(m.source ?? '')} must be an absolute path on the node: the server has no working directory to resolve a relative one`);
    return clean({ Type: 'bind' as const, Source: m.source, Target: m.target, ReadOnly: m.readOnly, BindOptions: m.propagation ? { Propagation: m.propagation } : undefined });
  }
  if (m.type === 'tmpfs') return clean({ Type: 'tmpfs' as const, Target: m.target, ReadOnly: m.readOnly, TmpfsOptions: m.tmpfsSize === undefined ? undefined : { SizeBytes: m.tmpfsSize } });
  if (m.type !== 'volume') fail([...path, 'type'], `mount type ${JSON.stringify(m.type)} is not supported: use volume, bind or tmpfs`);
  // An anonymous volume.
  if (!m.source) return clean({ Type: 'volume' as const, Target: m.target, ReadOnly: m.readOnly });
  if (!Object.hasOwn(f.volumes, m.source)) fail(path, `undefined volume "${m.source}": declare it under the top-level volumes`);
  const top = dict(f.volumes[m.source]);
  const tp: Path = ['volumes', m.source];
  const external = isExternal(top.external, [...tp, 'external']);
  const driver = str(top.driver, [...tp, 'driver']);
  const driverOpts = top.driver_opts === undefined ? undefined : labels(top.driver_opts, [...tp, 'driver_opts']);
  return clean({
    Type: 'volume' as const,
    Source: objectName(f, 'volumes', m.source),
    Target: m.target,
    ReadOnly: m.readOnly,
    VolumeOptions: clean({
      NoCopy: m.noCopy,
      Labels: external ? undefined : withStackLabel(f, labels(top.labels, [...tp, 'labels'])),
      DriverConfig: external || (driver === undefined && driverOpts === undefined) ? undefined : clean({ Name: driver, Options: driverOpts }),
    }),
  });
}

export function isExternal(v: unknown, path: Path): boolean {
  if (isObj(v)) fail(path, 'external: {name: ...} is the old form: write external: true and give the name in name');
  return bool(v, path) ?? false;
}

function healthcheck(v: unknown, path: Path): HealthConfig | undefined {
  if (v === undefined) return undefined;
  const h = dict(v);
  if (bool(h.disable, [...path, 'disable'])) {
    if (h.test !== undefined) fail(path, "test and disable can't be set at the same time");
    return { Test: ['NONE'] };
  }
  const test = typeof h.test === 'string' ? ['CMD-SHELL', h.test] : list(h.test, [...path, 'test']);
  return clean({
    Test: test,
    Interval: duration(h.interval, [...path, 'interval']),
    Timeout: duration(h.timeout, [...path, 'timeout']),
    Retries: int(h.retries, [...path, 'retries']),
    StartPeriod: duration(h.start_period, [...path, 'start_period']),
  });
}

/** extra_hosts as HOST:IP or {HOST: IP}, in Swarm's "IP HOST" form. */
function extraHosts(v: unknown, path: Path): string[] | undefined {
  if (v === undefined) return undefined;
  const hosts = isObj(v) ? Object.entries(v).map(([h, ip]) => [h, str(ip, [...path, h]) ?? ''] as const) : (list(v, path) ?? []).map((e) => [e.slice(0, e.indexOf(':')), e.slice(e.indexOf(':') + 1)] as const);
  return hosts.map(([h, ip]) => `${ip} ${h}`);
}

function ulimits(v: unknown, path: Path): { Name: string; Soft: number; Hard: number }[] | undefined {
  if (v === undefined) return undefined;
  return Object.entries(dict(v))
    .map(([name, u]) => {
      if (!isObj(u)) {
        const n = int(u, [...path, name])!;
        return { Name: name, Soft: n, Hard: n };
      }
      return { Name: name, Soft: int(u.soft, [...path, name, 'soft']) ?? 0, Hard: int(u.hard, [...path, name, 'hard']) ?? 0 };
    })
    .sort((a, b) => a.Name.localeCompare(b.Name));
}

/** A service's secrets or configs: STACK_name (or the top-level name:), mounted as target, uid and gid 0, mode 0444 unless given. */
function fileRefs(f: StackFile, kind: 'secrets' | 'configs', v: unknown, path: Path): { name: string; file: { Name: string; UID: string; GID: string; Mode: number } }[] {
  if (v === undefined) return [];
  if (!Array.isArray(v)) return fail(path, 'must be a list');
  return v
    .map((r, i) => {
      const p = [...path, i];
      const ref: Dict = isObj(r) ? r : { source: r };
      const source = str(ref.source, [...p, 'source']) ?? fail(p, 'source is required');
      if (!Object.hasOwn(f[kind], source)) fail(p, `undefined ${kind.slice(0, -1)} "${source}": declare it under the top-level ${kind}`);
      return {
        name: objectName(f, kind, source),
        file: { Name: str(ref.target, [...p, 'target']) ?? source, UID: str(ref.uid, [...p, 'uid']) ?? '0', GID: str(ref.gid, [...p, 'gid']) ?? '0', Mode: int(ref.mode, [...p, 'mode']) ?? 0o444 },
      };
    })
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

function resources(r: Dict, path: Path): NonNullable<ServiceSpec['TaskTemplate']>['Resources'] {
  const limits = r.limits === undefined ? undefined : dict(r.limits);
  const reservations = r.reservations === undefined ? undefined : dict(r.reservations);
  return clean({
    Limits: limits && clean({ NanoCPUs: cpus(limits.cpus, [...path, 'limits', 'cpus']), MemoryBytes: bytes(limits.memory, [...path, 'limits', 'memory']), Pids: int(limits.pids, [...path, 'limits', 'pids']) }),
    Reservations: reservations && clean({
      NanoCPUs: cpus(reservations.cpus, [...path, 'reservations', 'cpus']),
      MemoryBytes: bytes(reservations.memory, [...path, 'reservations', 'memory']),
      GenericResources: Array.isArray(reservations.generic_resources)
        ? reservations.generic_resources.map((g, i) => {
            const d = dict(dict(g).discrete_resource_spec);
            const gp = [...path, 'reservations', 'generic_resources', i, 'discrete_resource_spec'];
            return { DiscreteResourceSpec: { Kind: str(d.kind, [...gp, 'kind']) ?? '', Value: int(d.value, [...gp, 'value']) ?? 0 } };
          })
        : undefined,
    }),
  }) as NonNullable<ServiceSpec['TaskTemplate']>['Resources'];
}

/** deploy.restart_policy, else the legacy restart key, as the CLI falls back to it. */
function restartPolicy(v: unknown, legacy: unknown, path: Path): RestartPolicy | undefined {
  if (v !== undefined) {
    const r = dict(v);
    return clean({
      Condition: str(r.condition, [...path, 'condition']) as RestartPolicy['Condition'],
      Delay: duration(r.delay, [...path, 'delay']),
      MaxAttempts: int(r.max_attempts, [...path, 'max_attempts']),
      Window: duration(r.window, [...path, 'window']),
    });
  }
  const text = str(legacy, ['restart']);
  if (!text || text === 'no') return undefined;
  const [policy, count] = text.split(':');
  const attempts = count === undefined ? undefined : int(count, ['restart']);
  if (policy === 'always' || policy === 'unless-stopped') return clean({ Condition: 'any' as const, MaxAttempts: attempts || undefined });
  if (policy === 'on-failure') return clean({ Condition: 'on-failure' as const, MaxAttempts: attempts || undefined });
  return fail(['restart'], `invalid restart policy: unknown policy '${policy}' (must be one of 'no', 'always', 'on-failure', or 'unless-stopped')`);
}

function placement(p: Dict, path: Path): NonNullable<ServiceSpec['TaskTemplate']>['Placement'] {
  return clean({
    Constraints: list(p.constraints, [...path, 'constraints']),
    Preferences: Array.isArray(p.preferences) ? p.preferences.map((x, i) => ({ Spread: { SpreadDescriptor: str(dict(x).spread, [...path, 'preferences', i, 'spread']) ?? '' } })) : undefined,
    MaxReplicas: int(p.max_replicas_per_node, [...path, 'max_replicas_per_node']),
  });
}

function mode(m: unknown, r: unknown, path: Path): ServiceMode {
  const kind = str(m, [...path, 'mode']) ?? 'replicated';
  const replicas = int(r, [...path, 'replicas']);
  switch (kind) {
    case 'replicated':
      return { Replicated: clean({ Replicas: replicas }) };
    case 'replicated-job':
      return { ReplicatedJob: clean({ MaxConcurrent: replicas, TotalCompletions: replicas }) };
    case 'global':
    case 'global-job':
      if (replicas !== undefined) fail([...path, 'replicas'], 'replicas can only be used with replicated or replicated-job mode');
      return kind === 'global' ? { Global: {} } : { GlobalJob: {} };
    default:
      return fail([...path, 'mode'], `unknown mode: ${kind} (use replicated, global, replicated-job or global-job)`);
  }
}

function updateConfig(v: unknown, path: Path): UpdateConfig | undefined {
  if (v === undefined) return undefined;
  const u = dict(v);
  return clean({
    Parallelism: int(u.parallelism, [...path, 'parallelism']) ?? 1,
    Delay: duration(u.delay, [...path, 'delay']),
    FailureAction: str(u.failure_action, [...path, 'failure_action']) as UpdateConfig['FailureAction'],
    Monitor: duration(u.monitor, [...path, 'monitor']),
    MaxFailureRatio: num(u.max_failure_ratio, [...path, 'max_failure_ratio']),
    Order: str(u.order, [...path, 'order']) as UpdateConfig['Order'],
  });
}
