// The convergence watch of `docker service create/scale` (cli/command/service/progress): poll
// every 200 ms, draw the progress, and once converged wait the update monitor period (default 5s)
// to see that the tasks stay up. Gives up after a timeout and says which tasks are stuck and why.

import { setTimeout as sleep } from 'node:timers/promises';
import { DEFAULT_UPDATE_MONITOR_MS } from '../../common/defaults.js';
import type { ApiService } from './api-types.js';
import { assessConvergence, stuckReport, type Convergence } from './convergence.js';
import { CliError, type Context } from './context.js';
import { formatDurationNs } from './format.js';
import { LineRenderer, progressLines, TtyRenderer } from './progress-render.js';

const POLL_MS = 200;

export interface WatchOptions {
  timeoutMs: number;
}

/** watchConvergence returns once the service converged, or when the user pressed Ctrl-C. */
export async function watchConvergence(ctx: Context, serviceId: string, opts: WatchOptions): Promise<void> {
  const interrupted = new AbortController();
  const onSigint = (): void => interrupted.abort();
  process.once('SIGINT', onSigint);
  try {
    const done = await poll(ctx, serviceId, opts, interrupted.signal);
    if (!done) {
      ctx.out(`\nOperation continuing in background.\nUse \`berth service ps ${serviceId}\` to check progress.\n`);
    }
  } finally {
    process.removeListener('SIGINT', onSigint);
  }
}

async function poll(ctx: Context, serviceId: string, opts: WatchOptions, signal: AbortSignal): Promise<boolean> {
  const renderer = ctx.tty ? new TtyRenderer(ctx.columns) : new LineRenderer();
  const draw = (conv: Convergence, verify?: string): void => ctx.out(renderer.render(progressLines(conv, verify)));
  const started = Date.now();
  let convergedAt: number | undefined;
  let last: Convergence | undefined;
  while (!signal.aborted) {
    const service = await ctx.client.service(serviceId);
    const name = service.Spec.Name ?? serviceId;
    const monitorMs = monitorPeriodMs(service);
    failIfPaused(service, name);
    if (last && convergedAt !== undefined && Date.now() - convergedAt >= monitorMs) {
      draw(last, 'Service converged');
      return true;
    }
    const [tasks, nodes] = await Promise.all([
      ctx.client.listTasks({ service: { [service.ID]: true }, '_up-to-date': { true: true } }),
      ctx.client.listNodes(),
    ]);
    const conv = assessConvergence(service, tasks, nodes);
    let verify: string | undefined;
    const polledAt = Date.now();
    if (conv.converged) {
      convergedAt ??= polledAt;
      const waitMs = monitorMs - (polledAt - convergedAt);
      const seconds = Math.ceil(waitMs / 1000);
      if (waitMs > 0) verify = `Waiting ${seconds} second${seconds === 1 ? '' : 's'} to verify that tasks are stable...`;
    } else {
      if (convergedAt !== undefined) verify = 'Detected task failure';
      convergedAt = undefined;
    }
    draw(conv, verify);
    last = conv;
    if (!conv.converged && Date.now() - started >= opts.timeoutMs) {
      const why = stuckReport(name, conv).map((l) => `  ${l}`).join('\n');
      throw new CliError(
        `service ${name} did not converge within ${formatDurationNs(opts.timeoutMs * 1e6)} (${conv.running} of ${conv.desired} tasks running):\n${why}\n` +
          `The manager keeps trying; see \`berth service ps ${name}\`.`,
      );
    }
    await sleep(POLL_MS, undefined, { signal }).catch(() => undefined);
  }
  return false;
}

/** As in the docker CLI, a zero or missing Monitor means the default. */
function monitorPeriodMs(service: ApiService): number {
  const ns = service.Spec.UpdateConfig?.Monitor;
  return ns ? ns / 1e6 : DEFAULT_UPDATE_MONITOR_MS;
}

/** A paused update or rollback will not converge by itself: the docker CLI stops with an error. */
function failIfPaused(service: ApiService, name: string): void {
  const state = service.UpdateStatus?.State;
  if (state === 'paused' || state === 'rollback_paused') {
    const what = state === 'paused' ? 'update' : 'rollback';
    throw new CliError(`service ${name} ${what} paused: ${service.UpdateStatus?.Message ?? 'no reason given'}`);
  }
}
