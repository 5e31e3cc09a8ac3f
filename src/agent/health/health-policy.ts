// A container's healthcheck as Docker runs it (pure): the service's Healthcheck merged over the
// image's field by field, Docker's defaults, the probe's argv, and the counting of consecutive
// failures (those inside the start period do not count until the first success).

import { NS_PER_MS } from '../../common/time.js';
import type { HealthConfig } from '../../types/index.js';
import { TaskError } from '../engine/engine-errors.js';

export interface HealthPolicy {
  argv: string[];
  intervalMs: number;
  timeoutMs: number;
  retries: number;
  startPeriodMs: number;
}

export type HealthVerdict = 'starting' | 'healthy' | 'unhealthy';

// Docker's defaults (api/types/container: DefaultHealthInterval etc.).
const DEFAULT_INTERVAL_MS = 30_000;
const DEFAULT_TIMEOUT_MS = 30_000;
const DEFAULT_RETRIES = 3;
/** Longer check output is left out of the task's error: Status.Err is a one-liner. */
const MAX_OUTPUT_IN_ERROR = 200;

/**
 * healthPolicy gives the check to run, or undefined when there is none or it is disabled
 * (`["NONE"]`). As Docker's config merge: an empty service Test, or a zero duration or count,
 * takes the image's value.
 */
export function healthPolicy(service: HealthConfig | undefined, image: HealthConfig | undefined): HealthPolicy | undefined {
  const test = service?.Test?.length ? service.Test : image?.Test;
  if (!test?.length || test[0] === 'NONE') return undefined;
  const pick = (field: 'Interval' | 'Timeout' | 'Retries' | 'StartPeriod'): number => service?.[field] || image?.[field] || 0;
  return {
    argv: probeArgv(test),
    intervalMs: pick('Interval') / NS_PER_MS || DEFAULT_INTERVAL_MS,
    timeoutMs: pick('Timeout') / NS_PER_MS || DEFAULT_TIMEOUT_MS,
    retries: pick('Retries') || DEFAULT_RETRIES,
    startPeriodMs: pick('StartPeriod') / NS_PER_MS,
  };
}

/** probeArgv: `CMD` runs its arguments as they are, `CMD-SHELL` runs its string through /bin/sh -c. */
export function probeArgv(test: string[]): string[] {
  const [kind, ...rest] = test;
  if (kind === 'CMD' && rest.length > 0) return rest;
  if (kind === 'CMD-SHELL' && rest.length > 0) return ['/bin/sh', '-c', rest.join(' ')];
  throw new TaskError(`task: invalid healthcheck test ${JSON.stringify(test)}: want ["NONE"], ["CMD", arg...] or ["CMD-SHELL", command]`);
}

/** HealthCounter turns probe results into Docker's health status. */
export class HealthCounter {
  private status: HealthVerdict = 'starting';
  private failingStreak = 0;

  constructor(
    private readonly policy: Pick<HealthPolicy, 'retries' | 'startPeriodMs'>,
    private readonly startedAtMs: number,
  ) {}

  get verdict(): HealthVerdict {
    return this.status;
  }

  record(ok: boolean, atMs: number): HealthVerdict {
    if (ok) {
      this.failingStreak = 0;
      this.status = 'healthy';
    } else if (this.status !== 'starting' || atMs - this.startedAtMs >= this.policy.startPeriodMs) {
      this.failingStreak++;
      if (this.failingStreak >= this.policy.retries) this.status = 'unhealthy';
    }
    return this.status;
  }
}

/** unhealthyError is Swarm's executor error, with the last check's output when it is short. */
export function unhealthyError(lastOutput: string | undefined): string {
  const output = lastOutput?.trim().replace(/\s+/g, ' ');
  if (!output || output.length > MAX_OUTPUT_IN_ERROR) return 'unhealthy container';
  return `unhealthy container: ${output}`;
}
