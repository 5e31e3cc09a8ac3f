// Running `ip`, `bridge`, `nft` and `sysctl` in the agent's network namespace (or a given one,
// through nsenter: an engine in its own namespace, as the test hosts run). Arguments are passed
// as a vector, never through a shell; batches go on stdin.

import { spawn } from 'node:child_process';

export interface CommandRunner {
  /** run executes the command to its end and returns its stdout; a non-zero exit throws with its stderr. */
  run(cmd: string, args: string[], input?: string): Promise<string>;
}

export function commandRunner(netns?: string): CommandRunner {
  return {
    run(cmd, args, input) {
      const [file, argv] = netns ? ['nsenter', [`--net=${netns}`, '--', cmd, ...args]] : [cmd, args];
      return new Promise((resolve, reject) => {
        const child = spawn(file, argv, { stdio: ['pipe', 'pipe', 'pipe'] });
        let stdout = '';
        let stderr = '';
        child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
        child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
        child.on('error', reject);
        child.on('close', (code) => {
          if (code === 0) resolve(stdout);
          else reject(new Error(`${cmd} ${args.join(' ')}: exit ${code}: ${stderr.trim() || stdout.trim()}${input ? `\ninput:\n${input}` : ''}`));
        });
        child.stdin.on('error', () => undefined);
        child.stdin.end(input ?? '');
      });
    },
  };
}

/** json runs a command printing JSON (`ip -j`, `bridge -j`, `nft -j`); empty output is an empty list. */
export async function json<T>(runner: CommandRunner, cmd: string, args: string[]): Promise<T[]> {
  const out = (await runner.run(cmd, args)).trim();
  return out ? (JSON.parse(out) as T[]) : [];
}
