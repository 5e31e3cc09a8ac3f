// A ServiceSpec in the form dockerd keeps it. Swarm stores enums as numbers and dockerd converts
// them back by name (moby daemon/cluster/convert ServiceSpecToGRPC, serviceSpecFromGRPC): a field a
// client leaves out reads back as its zero value's name ("tcp", "ingress", "vip", "default",
// "any", "pause", "stop-first"), and the fields moby's api/types/swarm declare without omitempty
// (Labels, ForceUpdate, Parallelism, MaxFailureRatio, RestartPolicy.MaxAttempts) are always there.
// Berth stores the spec in that form, so a client reads what dockerd would show and can send it
// back unchanged. Swarm's defaults proper (?insertDefaults, service-defaults.ts) are not stored.
// TaskTemplate.Runtime is not stored either: dockerd derives "container" from the ContainerSpec
// (every Berth service has one), and the presenter shows it so (present.ts). The same functions
// rewrite what an older Berth stored, tasks' copies included (src/manager/stored-specs.ts), and
// take the `HealthCheck` spelling it kept (the API's schema check renames it before this).

import type { ContainerSpec, EndpointSpec, RestartPolicy, ServiceSpec, TaskSpec, UpdateConfig } from '../../types/index.js';
import { specHealthcheck, type OldContainerSpec } from '../../common/healthcheck.js';

export function engineForm(spec: ServiceSpec): ServiceSpec {
  return {
    ...spec,
    Labels: spec.Labels ?? {},
    TaskTemplate: engineTaskForm(spec.TaskTemplate ?? {}),
    ...(spec.UpdateConfig && { UpdateConfig: updateForm(spec.UpdateConfig) }),
    ...(spec.RollbackConfig && { RollbackConfig: updateForm(spec.RollbackConfig) }),
    ...(spec.EndpointSpec && { EndpointSpec: engineEndpointForm(spec.EndpointSpec) }),
  };
}

/** A TaskTemplate, or a task's Spec (a copy of one), in the engine form. */
export function engineTaskForm(task: TaskSpec): TaskSpec {
  const { Runtime: _container, ...rest } = task;
  return {
    ...rest,
    ...(rest.ContainerSpec && { ContainerSpec: containerForm(rest.ContainerSpec) }),
    ...(rest.RestartPolicy && { RestartPolicy: restartForm(rest.RestartPolicy) }),
    ForceUpdate: rest.ForceUpdate ?? 0,
  };
}

function containerForm(c: ContainerSpec): ContainerSpec {
  const { HealthCheck: _old, ...rest } = c as OldContainerSpec;
  const check = specHealthcheck(c);
  return { ...rest, ...(check && { Healthcheck: check }), Isolation: c.Isolation || 'default' };
}

function restartForm(r: RestartPolicy): RestartPolicy {
  return { ...r, Condition: r.Condition ?? 'any', MaxAttempts: r.MaxAttempts ?? 0 };
}

/**
 * A zero Monitor is no Monitor to Swarm (its updater then watches for the default 5 s), and a
 * zero Delay is not shown: both are dropped.
 */
function updateForm(c: UpdateConfig): UpdateConfig {
  const { Delay, Monitor, ...rest } = c;
  return {
    ...rest,
    Parallelism: c.Parallelism ?? 0,
    ...(Delay ? { Delay } : {}),
    FailureAction: c.FailureAction ?? 'pause',
    ...(Monitor ? { Monitor } : {}),
    MaxFailureRatio: c.MaxFailureRatio ?? 0,
    Order: c.Order ?? 'stop-first',
  };
}

export function engineEndpointForm(e: EndpointSpec): EndpointSpec {
  const { Ports, ...rest } = e;
  return {
    ...rest,
    Mode: e.Mode ?? 'vip',
    ...(Ports?.length ? { Ports: Ports.map((p) => ({ ...p, Protocol: p.Protocol ?? 'tcp', PublishMode: p.PublishMode ?? 'ingress' })) } : {}),
  };
}
