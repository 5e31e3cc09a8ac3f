// Watches one running container's health for its task. Docker Engine runs healthchecks itself
// and reports State.Health, which EngineHealth reads. Podman runs them only through systemd
// timers, which a Podman service without systemd (as Berth starts it) never gets: there
// State.Health stays "starting" forever, so AgentHealth runs the checks itself through exec.

import type Dockerode from 'dockerode';
import { engineIsPodman } from '../engine/engine-kind.js';
import type { Logger } from '../../common/log.js';
import { AgentHealth } from './agent-health.js';
import { EngineHealth } from './engine-health.js';
import type { HealthPolicy, HealthVerdict } from './health-policy.js';

export interface HealthMonitor {
  readonly verdict: HealthVerdict;
  /** The output of the latest check, if any. */
  readonly lastOutput: string | undefined;
  stop(): void;
}

export interface HealthMonitorOptions {
  docker: Dockerode;
  containerId: string;
  policy: HealthPolicy;
  log: Logger;
  /** Called whenever the verdict may have changed. */
  onChange(): void;
}

/** engineRunsHealthchecks: every engine but Podman is taken to run them. */
export async function engineRunsHealthchecks(docker: Dockerode): Promise<boolean> {
  return !(await engineIsPodman(docker));
}

export async function startHealthMonitor(opts: HealthMonitorOptions): Promise<HealthMonitor> {
  return (await engineRunsHealthchecks(opts.docker)) ? new EngineHealth(opts) : new AgentHealth(opts);
}
