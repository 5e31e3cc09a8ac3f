// Health checks the agent runs itself, for engines that do not (Podman without systemd): as
// Docker's monitor, one probe per interval (measured from the end of the previous one) through
// the exec endpoints, a probe that outlasts the timeout counting as a failure.

import { PassThrough } from 'node:stream';
import type Dockerode from 'dockerode';
import type { HealthMonitor, HealthMonitorOptions } from './health-monitor.js';
import { HealthCounter } from './health-policy.js';
import type { HealthVerdict } from './health-policy.js';
import { engineMessage, isGone, statusOf } from '../engine/engine-errors.js';
import { readAll } from '../engine/progress.js';

/** Docker keeps at most this much of a probe's output. */
const MAX_OUTPUT = 4096;
/** Podman may report an exec as running for a moment after its output has ended. */
const EXIT_CODE_ATTEMPTS = 10;
const EXIT_CODE_RETRY_MS = 20;

interface ProbeResult {
  ok: boolean;
  output: string;
}

export class AgentHealth implements HealthMonitor {
  lastOutput: string | undefined;
  private readonly counter: HealthCounter;
  private timer: NodeJS.Timeout | undefined;
  private readonly abort = new AbortController();

  constructor(private readonly opts: HealthMonitorOptions) {
    this.counter = new HealthCounter(opts.policy, Date.now());
    this.schedule();
  }

  get verdict(): HealthVerdict {
    return this.counter.verdict;
  }

  stop(): void {
    this.abort.abort();
    clearTimeout(this.timer);
  }

  private schedule(): void {
    if (this.abort.signal.aborted) return;
    this.timer = setTimeout(() => void this.check(), this.opts.policy.intervalMs);
  }

  private async check(): Promise<void> {
    const result = await this.probe();
    if (this.abort.signal.aborted) return;
    if (result) {
      const before = this.counter.verdict;
      this.lastOutput = result.output;
      const after = this.counter.record(result.ok, Date.now());
      this.opts.log.debug({ ok: result.ok, verdict: after }, 'health check');
      if (after !== before) this.opts.onChange();
      if (after === 'unhealthy') return;
    }
    this.schedule();
  }

  /** probe runs the check once; undefined when no verdict can be had (container gone, engine away). */
  private async probe(): Promise<ProbeResult | undefined> {
    const { docker, containerId, policy } = this.opts;
    const timeout = AbortSignal.timeout(policy.timeoutMs);
    const signal = AbortSignal.any([timeout, this.abort.signal]);
    try {
      const exec = await docker.getContainer(containerId).exec({ Cmd: policy.argv, AttachStdout: true, AttachStderr: true });
      const output = await runExec(docker, exec, signal);
      const code = await exitCode(exec, signal);
      return { ok: code === 0, output };
    } catch (err) {
      if (timeout.aborted) return { ok: false, output: `Health check exceeded timeout (${policy.timeoutMs}ms)` };
      if (this.abort.signal.aborted || isGone(err) || statusOf(err) === 409) {
        // Stopped, or the container is no longer running: the task's exit watch reports that.
        return undefined;
      }
      // The engine answered with an error (the probe could not run): a failed check, as Docker's.
      if (statusOf(err) !== undefined) return { ok: false, output: engineMessage(err) };
      this.opts.log.debug({ err: engineMessage(err) }, 'could not run the health check');
      return undefined;
    }
  }
}

/** runExec starts the exec and collects its output (stdout and stderr) until it ends. */
async function runExec(docker: Dockerode, exec: Dockerode.Exec, signal: AbortSignal): Promise<string> {
  const stream = await exec.start({ hijack: true, stdin: false, abortSignal: signal });
  const output = new PassThrough();
  const text = readAll(output);
  docker.modem.demuxStream(stream, output, output);
  const onAbort = (): void => void stream.destroy(new Error('aborted'));
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    await new Promise<void>((resolve, reject) => {
      stream.on('end', resolve);
      stream.on('close', resolve);
      stream.on('error', reject);
    });
  } finally {
    signal.removeEventListener('abort', onAbort);
    output.end();
  }
  signal.throwIfAborted();
  return (await text).slice(0, MAX_OUTPUT);
}

async function exitCode(exec: Dockerode.Exec, signal: AbortSignal): Promise<number | undefined> {
  for (let attempt = 0; ; attempt++) {
    const info = await exec.inspect({ abortSignal: signal });
    if (!info.Running || attempt >= EXIT_CODE_ATTEMPTS) return info.Running ? undefined : (info.ExitCode ?? undefined);
    await new Promise((r) => setTimeout(r, EXIT_CODE_RETRY_MS));
  }
}
