// Running client programs (podman, skopeo) from tests: stdout on success, else an error naming the
// command line and what it printed on stderr.

import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const exec = promisify(execFile);

export type Runner = (cmd: string, args: string[]) => Promise<string>;

/** commandRunner runs programs with `env` (read when each command starts, so later changes apply). */
export function commandRunner(env: NodeJS.ProcessEnv): Runner {
  return async (cmd, args) => {
    try {
      return (await exec(cmd, args, { env, timeout: 120_000, maxBuffer: 16 * 2 ** 20 })).stdout;
    } catch (err) {
      const e = err as { stderr?: string; message: string };
      throw new Error(`${cmd} ${args.join(' ')} failed: ${e.stderr || e.message}`);
    }
  };
}
