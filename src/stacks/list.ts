// What GET /berth/v1/stacks and /berth/v1/stacks/{name} show: every stack, whether Berth deployed
// it (it has the compose file) or the docker CLI did (found by its services' namespace label, as
// `docker stack ls` finds stacks), so both clients see the same list.

import type { ReadTx } from '../store/index.js';
import type { ServiceMode } from '../types/index.js';
import { stackObjects } from './apply.js';
import { NAMESPACE_LABEL } from './compose/service.js';
import type { StackEngine } from './engine.js';

export interface StackSummary {
  Name: string;
  /** Services in the stack, as `docker stack ls` counts them. */
  Services: number;
  RunningTasks: number;
  DesiredTasks: number;
  /** Berth deployed it and keeps its compose file (a stack of the docker CLI has none). */
  HasCompose: boolean;
  StackVersion?: number;
  UpdatedAt?: string;
}

export interface StackService {
  ID: string;
  Name: string;
  Mode: string;
  Image: string;
  RunningTasks: number;
  DesiredTasks: number;
}

export interface StackDetail extends StackSummary {
  ID?: string;
  CreatedAt?: string;
  Compose?: string;
  /** The names of the variables the last deploy had (their values, which may be secret, are not shown). */
  EnvNames?: string[];
  Objects: { Services: StackService[]; Networks: string[]; Secrets: string[]; Configs: string[] };
}

export function listStacks(tx: ReadTx, engine: StackEngine, visible: (name: string) => boolean): StackSummary[] {
  const names = new Set(tx.stacks.list().map((s) => s.Spec.Name));
  for (const s of tx.services.list()) {
    const ns = s.Spec.Labels?.[NAMESPACE_LABEL];
    if (ns !== undefined) names.add(ns);
  }
  return [...names]
    .filter(visible)
    .sort()
    .map((name) => summary(tx, engine, name));
}

function summary(tx: ReadTx, engine: StackEngine, name: string): StackSummary {
  const stack = tx.stacks.byName(name);
  const services = stackObjects(tx, name).services.map((s) => engine.serviceStatus(tx, s));
  return {
    Name: name,
    Services: services.length,
    RunningTasks: services.reduce((n, s) => n + s.RunningTasks, 0),
    DesiredTasks: services.reduce((n, s) => n + s.DesiredTasks, 0),
    HasCompose: stack !== undefined,
    ...(stack && { StackVersion: stack.StackVersion, UpdatedAt: stack.UpdatedAt }),
  };
}

/** stackDetail gives a stack, or undefined when neither a stack object nor an object labelled with it exists. */
export function stackDetail(tx: ReadTx, engine: StackEngine, name: string): StackDetail | undefined {
  const stack = tx.stacks.byName(name);
  const objects = stackObjects(tx, name);
  if (!stack && Object.values(objects).every((list) => list.length === 0)) return undefined;
  const names = (list: { Spec: { Name?: string } }[]) => list.map((o) => o.Spec.Name ?? '');
  return {
    ...summary(tx, engine, name),
    ...(stack && { ID: stack.ID, CreatedAt: stack.CreatedAt, Compose: stack.Spec.Compose, EnvNames: Object.keys(stack.Spec.Env ?? {}).sort() }),
    Objects: {
      Services: objects.services.map((s) => ({
        ID: s.ID,
        Name: s.Spec.Name ?? s.ID,
        Mode: modeName(s.Spec.Mode),
        Image: s.Spec.TaskTemplate?.ContainerSpec?.Image ?? '',
        ...engine.serviceStatus(tx, s),
      })),
      Networks: names(objects.networks),
      Secrets: names(objects.secrets),
      Configs: names(objects.configs),
    },
  };
}

/** modeName is the mode as `docker service ls` prints it. */
function modeName(mode: ServiceMode | undefined): string {
  if (mode?.Global) return 'global';
  if (mode?.ReplicatedJob) return 'replicated-job';
  if (mode?.GlobalJob) return 'global-job';
  return 'replicated';
}
