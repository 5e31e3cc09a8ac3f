// What a stack takes of a compose file, with the docker CLI's rules and words (docker/cli
// cli/compose/types and stack/loader): forbidden service keys fail the deploy, unsupported and
// deprecated ones are ignored with a warning. Keys the Compose Specification has and a stack's
// compose format (v3) does not are refused by name, as `docker stack deploy` refuses them; the
// server reads no files, so what would come from a file must come with the request.

import { InvalidArgumentError } from '../../types/index.js';
import { isObj } from '../../common/is-object.js';
import type { Dict } from './source.js';

const FORBIDDEN: Record<string, string> = {
  extends: 'Support for `extends` is not implemented yet.',
  volume_driver: 'Instead of setting the volume driver on the service, define a volume using the top-level `volumes` option and specify the driver there.',
  volumes_from: 'To share a volume between services, define it using the top-level `volumes` option and reference it from each service that shares it using the service-level `volumes` option.',
  cpu_quota: 'Set resource limits using deploy.resources',
  cpu_shares: 'Set resource limits using deploy.resources',
  cpuset: 'Set resource limits using deploy.resources',
  mem_limit: 'Set resource limits using deploy.resources',
  memswap_limit: 'Set resource limits using deploy.resources',
};

const UNSUPPORTED = ['build', 'cgroupns_mode', 'cgroup_parent', 'devices', 'domainname', 'external_links', 'ipc', 'links', 'mac_address', 'network_mode', 'pid', 'privileged', 'restart', 'security_opt', 'shm_size', 'userns_mode'];

const DEPRECATED: Record<string, string> = {
  container_name: 'Setting the container name is not supported.',
  expose: "Exposing ports is unnecessary - services on the same network can access each other's containers on any port.",
};

/** Compose Specification keys a stack's format does not have (docker stack deploy fails on them too). */
const NOT_IN_STACKS = {
  top: ['include', 'models', 'name'],
  service: [
    'annotations', 'attach', 'blkio_config', 'cgroup', 'cpu_count', 'cpu_percent', 'cpu_period', 'cpu_rt_period', 'cpu_rt_runtime', 'cpus',
    'develop', 'device_cgroup_rules', 'dns_opt', 'gpus', 'group_add', 'label_file', 'mem_reservation', 'mem_swappiness', 'models',
    'oom_kill_disable', 'pids_limit', 'platform', 'post_start', 'pre_stop', 'profiles', 'provider', 'pull_policy', 'pull_refresh_after',
    'runtime', 'scale', 'storage_opt', 'use_api_socket', 'uts',
  ],
  network: ['enable_ipv4', 'enable_ipv6'],
};

const propertyWarnings = (found: Record<string, string>): string =>
  Object.entries(found)
    .map(([k, v]) => `${k}: ${v}`)
    .sort()
    .join('\n\n');

const services = (dict: Dict): [string, Dict][] => (isObj(dict.services) ? Object.entries(dict.services).filter((e): e is [string, Dict] => isObj(e[1])) : []);

/** checkForbidden runs first, on the file as written, as the CLI's loader does. */
export function checkForbidden(dict: Dict): void {
  const found: Record<string, string> = {};
  for (const [, s] of services(dict)) for (const k of Object.keys(FORBIDDEN)) if (k in s) found[k] = FORBIDDEN[k]!;
  if (Object.keys(found).length > 0) throw new InvalidArgumentError(`compose file contains unsupported options:\n\n${propertyWarnings(found)}\n`);
}

/** checkStackKeys refuses what a stack cannot take, by path; returns the CLI's warnings for what it ignores. */
export function checkStackKeys(dict: Dict): string[] {
  const refuse = (path: string, why: string): never => {
    throw new InvalidArgumentError(`${path}: ${why}`);
  };
  const notInStacks = 'is not supported in a stack (docker stack deploy refuses it too)';
  for (const k of NOT_IN_STACKS.top) if (k in dict) refuse(k, notInStacks);
  const unsupported = new Set<string>();
  const deprecated: Record<string, string> = {};
  for (const [name, s] of services(dict)) {
    for (const k of NOT_IN_STACKS.service) if (k in s) refuse(`services.${name}.${k}`, notInStacks);
    if ('env_file' in s) refuse(`services.${name}.env_file`, 'the server cannot read files: put the variables in environment (with ${VAR} taken from the deploy\'s Env)');
    if (isObj(s.depends_on)) refuse(`services.${name}.depends_on`, 'start conditions are not supported in a stack yet: list the service names (a stack starts services together, as Swarm does)');
    for (const k of UNSUPPORTED) if (k in s) unsupported.add(k);
    for (const k of Object.keys(DEPRECATED)) if (k in s) deprecated[k] = DEPRECATED[k]!;
  }
  for (const [name, n] of Object.entries(isObj(dict.networks) ? dict.networks : {})) {
    if (isObj(n)) for (const k of NOT_IN_STACKS.network) if (k in n) refuse(`networks.${name}.${k}`, notInStacks);
  }
  for (const kind of ['secrets', 'configs'] as const) {
    for (const [name, o] of Object.entries(isObj(dict[kind]) ? dict[kind] : {})) {
      if (isObj(o) && 'file' in o) {
        refuse(`${kind}.${name}.file`, `the server cannot read files from your machine: give the value in ${kind === 'configs' ? 'content, or in ' : ''}environment (the name of a variable sent in Env), or create it beforehand and declare it external: true`);
      }
    }
  }
  const warnings: string[] = [];
  if (unsupported.size > 0) warnings.push(`Ignoring unsupported options: ${[...unsupported].sort().join(', ')}`);
  if (Object.keys(deprecated).length > 0) warnings.push(`Ignoring deprecated options:\n\n${propertyWarnings(deprecated)}`);
  return warnings;
}
