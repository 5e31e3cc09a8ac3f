// Which task changes a node's agent must hear about. An agent sees the tasks placed on its node
// from ASSIGNED on; it is told again only when something it acts on changes (desired state,
// spec), never for the status it reported itself.

import { isDeepStrictEqual } from 'node:util';
import type { ReadTx } from '../store/index.js';
import { isTerminal, stateRank, type AssignmentsMessage, type Config, type Secret, type Task, type TaskPullAuth } from '../types/index.js';
import { choosePullAuth, credentialAuth, type PullAuthSources } from '../common/pull-auth.js';

export function visibleTo(t: Task | undefined, nodeId: string): t is Task {
  return !!t && t.NodeID === nodeId && stateRank(t.Status.State) >= stateRank('assigned');
}

export type AssignmentDelta = { kind: 'upsert'; task: Task } | { kind: 'remove'; id: string } | undefined;

/** deltaFor tells what, if anything, node `nodeId` must be sent for a change from old to now. */
export function deltaFor(nodeId: string, old: Task | undefined, now: Task | undefined): AssignmentDelta {
  const was = visibleTo(old, nodeId);
  const is = visibleTo(now, nodeId);
  if (!is) return was ? { kind: 'remove', id: old!.ID } : undefined;
  if (!was) return { kind: 'upsert', task: now! };
  const changed = old!.DesiredState !== now!.DesiredState || !isDeepStrictEqual(old!.Spec, now!.Spec);
  return changed ? { kind: 'upsert', task: now! } : undefined;
}

export type Dependencies = Pick<AssignmentsMessage, 'secrets' | 'configs' | 'pullAuths'>;

/**
 * dependenciesOf gives the secrets and configs, with their data, that the tasks of one message
 * reference, as swarmkit's dispatcher sends them beside the tasks, and the registry login each
 * task pulls its image with (src/common/pull-auth.ts). Only tasks that may still run need them:
 * an agent stopping or keeping a finished task writes no files and pulls nothing. An object
 * removed since is simply absent; the agent then rejects a task that still needs it.
 */
export function dependenciesOf(tx: ReadTx, tasks: readonly Task[]): Dependencies {
  const secrets = new Map<string, Secret>();
  const configs = new Map<string, Config>();
  const pullAuths: TaskPullAuth[] = [];
  const sources: PullAuthSources = {
    credentialByName: (n) => tx.registryCredentials.byName(n),
    credentials: () => tx.registryCredentials.list(),
    serviceAuth: (id) => tx.serviceRegistryAuths.get(id),
  };
  for (const t of tasks) {
    if (isTerminal(t.Status.State) || stateRank(t.DesiredState) >= stateRank('shutdown')) continue;
    const c = t.Spec.ContainerSpec;
    const pull = c?.Image ? choosePullAuth(c.Image, t.BerthService.Labels, c.BerthRegistryAuth, sources) : undefined;
    if (pull?.kind === 'credential') pullAuths.push({ taskId: t.ID, registry: pull.registry, auth: credentialAuth(pull.credential), source: `registry credential ${pull.credential.Spec.Name}` });
    if (pull?.kind === 'service') pullAuths.push({ taskId: t.ID, registry: pull.registry, auth: pull.auth, source: "the service's X-Registry-Auth (--with-registry-auth)" });
    for (const r of c?.Secrets ?? []) {
      const s = r.SecretID ? tx.secrets.get(r.SecretID) : undefined;
      if (s) secrets.set(s.ID, s);
    }
    for (const r of c?.Configs ?? []) {
      const o = r.ConfigID ? tx.configs.get(r.ConfigID) : undefined;
      if (o) configs.set(o.ID, o);
    }
  }
  return {
    ...(secrets.size > 0 && { secrets: [...secrets.values()] }),
    ...(configs.size > 0 && { configs: [...configs.values()] }),
    ...(pullAuths.length > 0 && { pullAuths }),
  };
}
