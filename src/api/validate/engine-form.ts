// A ServiceSpec in the form dockerd keeps it. Swarm stores enums as numbers and dockerd converts
// them back by name (moby daemon/cluster/convert ServiceSpecToGRPC, serviceSpecFromGRPC): a field a
// client leaves out reads back as its zero value's name ("tcp", "ingress", "vip", "default",
// "any", "pause", "stop-first"), and the fields moby's api/types/swarm declare without omitempty
// (Labels, ForceUpdate, Parallelism, MaxFailureRatio, RestartPolicy.MaxAttempts) are always there.
// Berth stores the spec in that form, so a client reads what dockerd would show and can send it
// back unchanged. Swarm's defaults proper (?insertDefaults, service-defaults.ts) are not stored.
// TaskTemplate.Runtime is not stored either: dockerd derives "container" from the ContainerSpec
// (every Berth service has one), and the presenter shows it so (present.ts).

import type { EndpointSpec, RestartPolicy, ServiceSpec, UpdateConfig } from '../../types/index.js';

export function engineForm(spec: ServiceSpec): ServiceSpec {
  const { Runtime: _container, ...task } = spec.TaskTemplate ?? {};
  const container = task.ContainerSpec;
  return {
    ...spec,
    Labels: spec.Labels ?? {},
    TaskTemplate: {
      ...task,
      ...(container && { ContainerSpec: { ...container, Isolation: container.Isolation || 'default' } }),
      ...(task.RestartPolicy && { RestartPolicy: restartForm(task.RestartPolicy) }),
      ForceUpdate: task.ForceUpdate ?? 0,
    },
    ...(spec.UpdateConfig && { UpdateConfig: updateForm(spec.UpdateConfig) }),
    ...(spec.RollbackConfig && { RollbackConfig: updateForm(spec.RollbackConfig) }),
    ...(spec.EndpointSpec && { EndpointSpec: endpointForm(spec.EndpointSpec) }),
  };
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

function endpointForm(e: EndpointSpec): EndpointSpec {
  const { Ports, ...rest } = e;
  return {
    ...rest,
    Mode: e.Mode ?? 'vip',
    ...(Ports?.length ? { Ports: Ports.map((p) => ({ ...p, Protocol: p.Protocol ?? 'tcp', PublishMode: p.PublishMode ?? 'ingress' })) } : {}),
  };
}
