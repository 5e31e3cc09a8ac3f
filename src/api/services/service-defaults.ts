// `GET /services/{id}?insertDefaults=true`: the spec with Swarm's defaults filled in field by
// field as swarmkit's InterpolateService does (api/defaults/service.go): a missing section gets
// its defaults, a given RestartPolicy its Delay, a given UpdateConfig or RollbackConfig its
// Monitor. It leaves EndpointSpec alone (engine-form.ts gives a given one its Mode). The stored
// spec keeps only what the user gave, in the Engine's form.

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
      // swarmkit's default is an empty ResourceRequirements: neither Limits nor Reservations.
      Resources: task.Resources ?? {},
      RestartPolicy: {
        MaxAttempts: 0,
        ...restart,
        Condition: restart?.Condition ?? DEFAULT_RESTART_CONDITION,
        Delay: restart?.Delay ?? msToNs(DEFAULT_RESTART_DELAY_MS),
      },
      Placement: task.Placement ?? {},
    },
    UpdateConfig: withMonitor(spec.UpdateConfig),
    RollbackConfig: withMonitor(spec.RollbackConfig),
  };
}

/** A missing config is Swarm's default one; a given one without Monitor (0 is none to Swarm) gets the default Monitor. */
function withMonitor(config: UpdateConfig | undefined): UpdateConfig {
  if (!config) return UPDATE_DEFAULTS;
  return { ...config, Monitor: config.Monitor || UPDATE_DEFAULTS.Monitor };
}
