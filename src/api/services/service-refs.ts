// A service's secret and config references, checked against the store at create and update as
// Swarm's control API does (controlapi service.go: checkSecretExistence, validateSecretRefsSpec):
// every reference names an existing object, no two files share a target. References are stored
// normalised — both ID and name, the file target with Swarm's defaults — so agents need no lookup.

import { InvalidArgumentError, NotImplementedError } from '../../types/index.js';
import type { ConfigReference, SecretReference, ServiceSpec } from '../../types/index.js';
import type { NamedReader, ReadTx } from '../../store/index.js';
import { containerPath } from '../../common/file-targets.js';

/** The CLI's default file mode for secrets and configs (0444). */
const DEFAULT_MODE = 0o444;
/** A numeric user or group id, as the engine's secret setup parses it (strconv.Atoi). */
const ID_RE = /^\d{1,10}$/;
const MAX_ID = 2 ** 32 - 2;

type FileTarget = NonNullable<SecretReference['File']>;

/** Which reference (or mount) took a target first, for the conflict message. */
interface Owner {
  kind: 'secret' | 'config' | 'mount';
  name: string;
}

interface Ref {
  file?: FileTarget;
  id?: string;
  name?: string;
}

/**
 * resolveReferences checks the references of `spec` against the store and returns the spec with
 * them normalised; throws InvalidArgumentError (or NotImplementedError) naming the field.
 */
export function resolveReferences(tx: ReadTx, spec: ServiceSpec): ServiceSpec {
  const container = spec.TaskTemplate?.ContainerSpec;
  if (!container || (!container.Secrets?.length && !container.Configs?.length)) return spec;
  const targets = new Map<string, Owner>();
  // A file can't share its path with a mount of the spec: the engine would refuse the container.
  (container.Mounts ?? []).forEach((m, j) => {
    if (m.Target) targets.set(m.Target.replace(/\/+$/, '') || '/', { kind: 'mount', name: `TaskTemplate.ContainerSpec.Mounts[${j}]` });
  });
  const secrets = (container.Secrets ?? []).map((r, i): SecretReference => {
    const { file, id, name } = resolveOne('secret', `TaskTemplate.ContainerSpec.Secrets[${i}]`, tx.secrets, { file: r.File, id: r.SecretID, name: r.SecretName }, targets);
    return { File: file, SecretID: id, SecretName: name };
  });
  const configs = (container.Configs ?? []).map((r, i): ConfigReference => {
    if (r.Runtime !== undefined) refuseRuntime(i);
    const { file, id, name } = resolveOne('config', `TaskTemplate.ContainerSpec.Configs[${i}]`, tx.configs, { file: r.File, id: r.ConfigID, name: r.ConfigName }, targets);
    return { File: file, ConfigID: id, ConfigName: name };
  });
  const next = { ...container };
  if (container.Secrets) next.Secrets = secrets;
  if (container.Configs) next.Configs = configs;
  return { ...spec, TaskTemplate: { ...spec.TaskTemplate, ContainerSpec: next } };
}

/** The IDs of the secrets (or configs) a service spec references. */
export function referencedIds(kind: 'secret' | 'config', spec: ServiceSpec): string[] {
  const c = spec.TaskTemplate?.ContainerSpec;
  if (kind === 'secret') return (c?.Secrets ?? []).map((r) => r.SecretID ?? '');
  return (c?.Configs ?? []).map((r) => r.ConfigID ?? '');
}

function refuseRuntime(i: number): never {
  throw new NotImplementedError(
    `invalid ServiceSpec: TaskTemplate.ContainerSpec.Configs[${i}] has a Runtime target, which only Windows credential specs use: Berth runs Linux containers; mount the config as a file (File) instead`,
  );
}

function resolveOne(
  kind: 'secret' | 'config',
  path: string,
  table: NamedReader<{ ID: string; Spec: { Name?: string } }>,
  ref: Ref,
  targets: Map<string, Owner>,
): Required<Ref> {
  const Kind = kind === 'secret' ? 'Secret' : 'Config';
  if (!ref.id && !ref.name) {
    throw new InvalidArgumentError(`invalid ServiceSpec: ${path} names no ${kind}: give ${Kind}ID and ${Kind}Name, as docker service create --${kind} does`);
  }
  const found = ref.id ? table.get(ref.id) : table.byName(ref.name!);
  if (!found) {
    // Swarm's wording; a 400, as in Swarm, since the spec (not the URL) names the missing object.
    throw new InvalidArgumentError(`${kind} not found: ${ref.name || ref.id}: create it first with docker ${kind} create (${path})`);
  }
  const name = found.Spec.Name ?? '';
  if (ref.name !== undefined && ref.name !== name) {
    throw new InvalidArgumentError(
      `invalid ServiceSpec: ${path}.${Kind}Name "${ref.name}" does not match ${Kind}ID ${found.ID}, which is ${kind} "${name}": name one ${kind} in both fields`,
    );
  }
  const file = checkFile(kind, path, { ...ref.file, Name: ref.file?.Name || name });
  const where = containerPath(kind, file.Name!);
  const previous = targets.get(where);
  if (previous) {
    if (previous.kind === 'mount') {
      throw new InvalidArgumentError(`invalid ServiceSpec: ${path} targets '${where}', where ${previous.name} is mounted: give the ${kind} another target (${path}.File.Name)`);
    }
    const both = previous.kind === kind ? `${kind} references '${previous.name}' and '${name}'` : `${previous.kind} '${previous.name}' and ${kind} '${name}'`;
    throw new InvalidArgumentError(`${both} have a conflicting target: '${where}': give each its own target (${path}.File.Name)`);
  }
  targets.set(where, { kind, name });
  return { file, id: found.ID, name };
}

/**
 * checkFile fills Swarm's defaults (uid and gid 0, mode 0444) and checks the target: no `..`
 * (a relative secret target stays under /run/secrets), not a directory, numeric ids, a mode
 * within the permission bits.
 */
function checkFile(kind: 'secret' | 'config', path: string, file: FileTarget): FileTarget {
  const name = file.Name ?? '';
  const fail = (what: string): never => {
    throw new InvalidArgumentError(`invalid ServiceSpec: ${path}.File.${what}`);
  };
  if (name.split('/').includes('..')) fail(`Name "${name}" may not contain "..": give the file's path in the container without parent references`);
  if (name.endsWith('/') || name.includes('\0')) fail(`Name "${name}" is not a file name: give a path such as ${kind === 'secret' ? 'db_password' : '/etc/app.conf'}`);
  const uid = file.UID || '0';
  const gid = file.GID || '0';
  for (const [field, v] of [['UID', uid], ['GID', gid]] as const) {
    if (!ID_RE.test(v) || Number(v) > MAX_ID) fail(`${field} must be a numeric ${field === 'UID' ? 'user' : 'group'} ID, such as 1000 (got "${v}")`);
  }
  const mode = file.Mode ?? DEFAULT_MODE;
  if (mode > 0o777) fail(`Mode ${mode} (0${mode.toString(8)}) is not a file mode: use permission bits up to 0777, e.g. 0400 (256)`);
  return { Name: name, UID: uid, GID: gid, Mode: mode };
}
