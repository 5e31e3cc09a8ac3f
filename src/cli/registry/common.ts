// What the registry commands share: the --registry option, output through the program's writers,
// and reading a password from --password-stdin or -p.

import type { Command } from 'commander';
import { CliError } from '../user/context.js';
import { RegistryClient } from './client.js';

export interface RegistryOpts {
  registry?: string;
}

export interface PasswordOpts {
  password?: string;
  passwordStdin?: boolean;
}

export const REGISTRY_OPTION = ['--registry <host:port>', 'registry (default: the last berth login, else 127.0.0.1:5000)'] as const;

export function output(program: Command): (text: string) => void {
  const writer = program.configureOutput().writeOut;
  return (text) => writer?.(text);
}

export const clientFor = (opts: RegistryOpts): Promise<RegistryClient> => RegistryClient.open(opts.registry);

/** readPassword takes -p, or all of stdin with --password-stdin (one trailing newline removed). */
export async function readPassword(opts: PasswordOpts, what = 'password'): Promise<string> {
  if (opts.password !== undefined && opts.passwordStdin) throw new CliError('--password and --password-stdin are mutually exclusive');
  if (opts.password !== undefined) return opts.password;
  if (!opts.passwordStdin) throw new CliError(`give the ${what} with --password-stdin (safest) or -p`);
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
  if (!text) throw new CliError(`--password-stdin: stdin held no ${what}`);
  return text;
}
