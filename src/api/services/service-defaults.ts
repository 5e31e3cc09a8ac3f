// `GET /services/{id}?insertDefaults=true`: the spec with Swarm's defaults filled in where the
// user left a part out (swarmkit api/defaults InterpolateService), for `docker service inspect`.
// The stored spec keeps only what the user gave.

import type { ServiceSpec, UpdateConfig } from '../../types/index.js';
import { msToNs } from '../../common/time.js';
import {
  DEFAULT_RESTART_CONDITION,
  DEFAULT_RESTART_DELAY_MS,
  DEFAULT_STOP_GRACE_MS,
  DEFAULT_UPDATE_MONITOR_MS,
} from '../../common/defaults.js';

const UPDATE_DEFAULTS: UpdateConfig = {
  Parallelism: 1,
  FailureAction: 'pause',
  Monitor: msToNs(DEFAULT_UPDATE_MONITOR_MS),
  MaxFailureRatio: 0,
  Order: 'stop-first',
};

export function withDefaults(spec: ServiceSpec): ServiceSpec {
  const task = spec.TaskTemplate ?? {};
  const container = task.ContainerSpec;
  const restart = task.RestartPolicy;
  return {
    ...spec,
    TaskTemplate: {
      ...task,
      ...(container && {
        ContainerSpec: {
          ...container,
          StopGracePeriod: container.StopGracePeriod ?? msToNs(DEFAULT_STOP_GRACE_MS),
          DNSConfig: container.DNSConfig ?? {},
        },
      }),
      Resources: task.Resources ?? { Limits: {}, Reservations: {} },
      RestartPolicy: {
        MaxAttempts: 0,
        ...restart,
        Condition: restart?.Condition ?? DEFAULT_RESTART_CONDITION,
        Delay: restart?.Delay ?? msToNs(DEFAULT_RESTART_DELAY_MS),
      },
      Placement: task.Placement ?? {},
    },
    UpdateConfig: spec.UpdateConfig ?? UPDATE_DEFAULTS,
    RollbackConfig: spec.RollbackConfig ?? UPDATE_DEFAULTS,
    EndpointSpec: { ...spec.EndpointSpec, Mode: spec.EndpointSpec?.Mode ?? 'vip' },
  };
}
