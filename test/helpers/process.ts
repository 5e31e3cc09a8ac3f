// A child process whose output tests read and wait on: Berth processes (berth.ts) and the
// processes of test hosts (hosts/), which run inside a network namespace.

import { spawn, type ChildProcess } from 'node:child_process';
import type { Socket } from 'node:net';

export interface CaptureOptions {
  /** The whole environment of the child (default: this process's). */
  env?: NodeJS.ProcessEnv;
  /** A network namespace (/run/netns/NAME) to run in, entered with nsenter (not `ip netns exec`, which hides the cgroup mounts from runc). */
  netns?: string;
}

/** A running command with its stdout and stderr collected in `output`. */
export class CapturedProcess {
  output = '';
  readonly child: ChildProcess;

  constructor(
    readonly label: string,
    cmd: string,
    args: string[],
    opts: CaptureOptions = {},
  ) {
    // nsenter execs the command: the child's pid is the command's own.
    const [file, ...argv] = opts.netns ? ['nsenter', `--net=${opts.netns}`, '--', cmd, ...args] : [cmd, ...args];
    this.child = spawn(file!, argv, { env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.stdout!.on('data', (d: Buffer) => (this.output += d.toString()));
    this.child.stderr!.on('data', (d: Buffer) => (this.output += d.toString()));
  }

  /** waitFor resolves once the output matches, or fails with the output so far. */
  async waitFor(re: RegExp, timeoutMs = 60_000): Promise<RegExpMatchArray> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const m = this.output.match(re);
      if (m) return m;
      if (this.child.exitCode !== null) throw new Error(`${this.label} exited (${this.child.exitCode}) before printing ${re}:\n${this.output}`);
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${re}; output:\n${this.output}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** stop sends a signal and waits for the process to exit. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return this.child.exitCode;
    const exited = new Promise<number | null>((r) => this.child.once('exit', (code) => r(code)));
    // An unref'd child would let node exit before its exit event arrives.
    this.child.ref();
    this.child.kill(signal);
    return exited;
  }

  /** unref lets this process exit while the child runs (whoever owns the child kills it at exit). */
  unref(): void {
    this.child.unref();
    (this.child.stdout as Socket).unref();
    (this.child.stderr as Socket).unref();
  }
}
