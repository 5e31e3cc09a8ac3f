// Runs the tools the tunnel is made with (ip, wg, nft, wireguard-go): arguments as a list, never
// through a shell; input on stdin; a failure carries the tool's own words.

import { spawn } from 'node:child_process';

export interface ToolResult {
  code: number;
  stdout: string;
  stderr: string;
}

const TIMEOUT_MS = 10_000;

/** tool runs a command to its end; a non-zero exit is a result, not a throw. */
export function tool(cmd: string, args: string[], opts: { input?: string; detached?: boolean; env?: NodeJS.ProcessEnv } = {}): Promise<ToolResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'], detached: opts.detached, env: opts.env ?? process.env, cwd: '/', timeout: TIMEOUT_MS });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr }));
    if (opts.input !== undefined) {
      // A tool that exits without reading fails on its own; its exit code says so, not EPIPE.
      child.stdin!.on('error', () => undefined);
      child.stdin!.end(opts.input);
    }
  });
}

/** must runs a command and throws, naming it and quoting its error output, unless it succeeds. */
export async function must(cmd: string, args: string[], opts: { input?: string } = {}): Promise<string> {
  const r = await tool(cmd, args, opts);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr.trim() || `exit ${r.code}`}`);
  return r.stdout;
}
