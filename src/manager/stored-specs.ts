// Specs an older Berth stored, rewritten once into the engine form the API stores now
// (src/api/validate/engine-form.ts): `HealthCheck` becomes `Healthcheck`, the enums' zero values
// and the always-present fields are filled in, Runtime goes. Left as they were, agents would miss
// their healthchecks, and the first update of each service would count as a spec change and
// restart its tasks. A missing Parallelism is written as the older Berth read it (asRead); a
// zero Monitor, which it read as none, is dropped as for any spec and so means Swarm's 5 s. The
// leading manager runs this when it starts leading; it writes only the objects that change, so
// every run after the first writes nothing.

import { isDeepStrictEqual } from 'node:util';
import type { Store } from '../store/index.js';
import type { Service, ServiceSpec, Task, UpdateConfig } from '../types/index.js';
import { engineEndpointForm, engineForm, engineTaskForm } from '../api/index.js';
import { specChanged } from '../orchestrator/index.js';

export interface Rewritten {
  services: number;
  tasks: number;
}

/** normaliseStoredSpecs rewrites every service's and task's spec into the engine form, in one transaction. */
export function normaliseStoredSpecs(store: Store): Rewritten {
  return store.update((tx) => {
    const done: Rewritten = { services: 0, tasks: 0 };
    const services = new Map<string, { old: Service; next: Service }>();
    for (const old of tx.services.list()) {
      const next = serviceForm(old);
      services.set(old.ID, { old, next });
      if (isDeepStrictEqual(next, old)) continue;
      tx.services.update(next);
      done.services++;
    }
    for (const t of tx.tasks.list()) {
      const next = taskForm(t, services.get(t.ServiceID));
      if (isDeepStrictEqual(next, t)) continue;
      tx.tasks.update(next);
      done.tasks++;
    }
    return done;
  });
}

function serviceForm(s: Service): Service {
  return {
    ...s,
    Spec: engineForm(asRead(s.Spec)),
    ...(s.PreviousSpec && { PreviousSpec: engineForm(asRead(s.PreviousSpec)) }),
    ...(s.Endpoint && { Endpoint: endpointCopy(s) }),
  };
}

/**
 * An Update/RollbackConfig without Parallelism rolled one task at a time on an older Berth (the
 * updater's default), where the engine form reads 0, all at once: it keeps rolling one at a time.
 */
function asRead(spec: ServiceSpec): ServiceSpec {
  const one = (c: UpdateConfig): UpdateConfig => ({ ...c, Parallelism: c.Parallelism ?? 1 });
  return {
    ...spec,
    ...(spec.UpdateConfig && { UpdateConfig: one(spec.UpdateConfig) }),
    ...(spec.RollbackConfig && { RollbackConfig: one(spec.RollbackConfig) }),
  };
}

/** Endpoint.Spec copies the EndpointSpec, {} standing for none (the API's endpointFor): the copy takes the same form. */
function endpointCopy(s: Service): Service['Endpoint'] {
  const copy = s.Endpoint?.Spec;
  if (!copy || (!s.Spec.EndpointSpec && Object.keys(copy).length === 0)) return s.Endpoint;
  return { ...s.Endpoint, Spec: engineEndpointForm(copy) };
}

/**
 * A task the orchestrator holds equal to its service's spec (specChanged, which ignores zero
 * values) takes the service's rewritten spec and endpoint, so that it stays equal: the form fills
 * non-zero defaults into what one side may have and the other not (a RestartPolicy with only
 * zeros against none). Any other task has its own copies rewritten.
 */
function taskForm(t: Task, svc: { old: Service; next: Service } | undefined): Task {
  const same = svc && !specChanged(t, svc.old);
  const spec = same ? (svc.next.Spec.TaskTemplate ?? {}) : engineTaskForm(t.Spec);
  const endpoint = same ? svc.next.Spec.EndpointSpec : t.BerthService.Endpoint && engineEndpointForm(t.BerthService.Endpoint);
  const { Endpoint: _old, ...summary } = t.BerthService;
  return { ...t, Spec: spec, BerthService: { ...summary, ...(endpoint && { Endpoint: endpoint }) } };
}
