// Health as the engine itself reports it (State.Health of the container's inspect), read once per
// check interval: the engine decides, with the same policy, so nothing is counted here.

import type { HealthMonitor, HealthMonitorOptions } from './health-monitor.js';
import type { HealthVerdict } from './health-policy.js';
import { engineMessage, isGone } from '../engine/engine-errors.js';

export class EngineHealth implements HealthMonitor {
  verdict: HealthVerdict = 'starting';
  lastOutput: string | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(private readonly opts: HealthMonitorOptions) {
    this.schedule();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.read(), this.opts.policy.intervalMs);
  }

  private async read(): Promise<void> {
    try {
      const info = await this.opts.docker.getContainer(this.opts.containerId).inspect();
      const health = info.State.Health;
      if (this.stopped) return;
      const status = health?.Status;
      if (status === 'healthy' || status === 'unhealthy') {
        this.lastOutput = health?.Log?.at(-1)?.Output;
        if (status !== this.verdict) {
          this.verdict = status;
          this.opts.onChange();
        }
      }
    } catch (err) {
      // A container gone or an engine away: the task's exit watch reports what happened.
      if (isGone(err)) return this.stop();
      this.opts.log.debug({ err: engineMessage(err) }, 'could not read the container health');
    }
    if (this.verdict !== 'unhealthy') this.schedule();
  }
}
