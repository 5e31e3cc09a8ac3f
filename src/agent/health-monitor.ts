// Watches one running container's health for its task. Docker Engine runs healthchecks itself
// and reports State.Health, which EngineHealth reads. Podman runs them only through systemd
// timers, which a Podman service without systemd (as Berth starts it) never gets: there
// State.Health stays "starting" forever, so AgentHealth runs the checks itself through exec.

import type Dockerode from 'dockerode';
import type { Logger } from '../common/log.js';
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

const runsOwnChecks = new WeakMap<Dockerode, Promise<boolean>>();

/** engineRunsHealthchecks: asked once per engine; every engine but Podman is taken to run them. */
export function engineRunsHealthchecks(docker: Dockerode): Promise<boolean> {
  let answer = runsOwnChecks.get(docker);
  if (!answer) {
    answer = docker.version().then((v) => !(v.Components ?? []).some((c) => /podman/i.test(c.Name)));
    // A failed ask is not remembered: the next task asks again.
    answer.catch(() => runsOwnChecks.delete(docker));
    runsOwnChecks.set(docker, answer);
  }
  return answer;
}

export async function startHealthMonitor(opts: HealthMonitorOptions): Promise<HealthMonitor> {
  return (await engineRunsHealthchecks(opts.docker)) ? new EngineHealth(opts) : new AgentHealth(opts);
}
