// Commands, run now or as a script. Tear-down is written once, as a generator that yields the
// commands it needs, and runs either asynchronously (destroy(): commands of one step in
// parallel) or synchronously (a process 'exit' handler, where nothing asynchronous runs).

import { spawn, spawnSync } from 'node:child_process';

export interface Command {
  cmd: string;
  args: string[];
  /** The whole environment (default: this process's). */
  env?: NodeJS.ProcessEnv;
  input?: string;
  timeoutMs?: number;
}

export interface CommandResult {
  /** The exit code; 1 when the command could not start or was killed (stderr says why). */
  code: number;
  stdout: string;
  stderr: string;
}

const DEFAULT_TIMEOUT_MS = 60_000;

export function run(c: Command): Promise<CommandResult> {
  return new Promise((resolve) => {
    const child = spawn(c.cmd, c.args, { env: c.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      stderr += `\n${c.cmd} timed out after ${c.timeoutMs ?? DEFAULT_TIMEOUT_MS} ms`;
      child.kill('SIGKILL');
    }, c.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    child.once('error', (err) => {
      clearTimeout(timer);
      resolve({ code: 1, stdout, stderr: `${stderr}${err.message}` });
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? 1, stdout, stderr: signal ? `${stderr}\n${c.cmd} killed by ${signal}` : stderr });
    });
    child.stdin.on('error', () => {}); // a command that exits without reading its input
    child.stdin.end(c.input ?? '');
  });
}

/** must runs a command and gives its stdout, or throws with the command line and its stderr. */
export async function must(c: Command): Promise<string> {
  const r = await run(c);
  if (r.code !== 0) throw new Error(`${[c.cmd, ...c.args].join(' ')} failed (${r.code}): ${r.stderr.trim()}`);
  return r.stdout;
}

function runSync(c: Command): CommandResult {
  const r = spawnSync(c.cmd, c.args, { env: c.env ?? process.env, input: c.input ?? '', encoding: 'utf8', timeout: c.timeoutMs ?? DEFAULT_TIMEOUT_MS });
  return { code: r.status ?? 1, stdout: r.stdout ?? '', stderr: (r.stderr ?? '') + (r.error ? r.error.message : '') };
}

/** One step of a script: commands that may run in parallel, or a pause. */
type Step = { run: Command[] } | { sleepMs: number };
/** A script yields steps and receives each step's results (in order; none for a pause). */
export type Script<T> = Generator<Step, T, CommandResult[]>;

export async function runScript<T>(script: Script<T>): Promise<T> {
  let next = script.next();
  while (!next.done) {
    const step = next.value;
    if ('sleepMs' in step) {
      await new Promise((r) => setTimeout(r, step.sleepMs));
      next = script.next([]);
    } else {
      next = script.next(await Promise.all(step.run.map(run)));
    }
  }
  return next.value;
}

const pause = new Int32Array(new SharedArrayBuffer(4));

export function runScriptSync<T>(script: Script<T>): T {
  let next = script.next();
  while (!next.done) {
    const step = next.value;
    if ('sleepMs' in step) {
      Atomics.wait(pause, 0, 0, step.sleepMs);
      next = script.next([]);
    } else {
      next = script.next(step.run.map(runSync));
    }
  }
  return next.value;
}
