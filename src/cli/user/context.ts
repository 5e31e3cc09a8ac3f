// What every user command needs: the API client for the chosen manager, output through the root
// program's configured writers (so embedders and tests can capture it), and one way to fail.

import { Command, InvalidArgumentError as UsageError } from 'commander';
import { BerthError } from '../../types/index.js';
import { ApiClient, ApiError, resolveHost } from './client.js';

/** A failure the user caused or can fix, reported as "Error: <message>" without a stack trace. */
export class CliError extends Error {
  override name = 'CliError';
}

export interface Context {
  client: ApiClient;
  out(text: string): void;
  err(text: string): void;
  /** Whether stdout is a terminal, and its width: the progress display redraws in place only there. */
  tty: boolean;
  columns: number;
}

export function contextOf(program: Command): Context {
  const output = program.configureOutput();
  const host = resolveHost(program.opts<{ host?: string }>().host, process.env);
  return {
    client: new ApiClient(host),
    out: (text) => output.writeOut?.(text),
    err: (text) => output.writeErr?.(text),
    tty: Boolean(process.stdout.isTTY),
    // A pty without a size reports 0 columns.
    columns: process.stdout.columns || 80,
  };
}

/** isExpected tells user-facing failures (printed as "Error: ...") from bugs (which keep their stack). */
export function isExpected(err: unknown): err is Error {
  return err instanceof ApiError || err instanceof BerthError || err instanceof CliError;
}

/** run executes a command's work and turns expected failures into "Error: <message>", exit code 1. */
export async function run(cmd: Command, work: () => Promise<void>): Promise<void> {
  try {
    await work();
  } catch (err) {
    if (!isExpected(err)) throw err;
    cmd.error(`Error: ${err.message}`, { exitCode: 1, code: 'berth.error' });
  }
}

/** arg adapts a throwing value parser to commander, so a bad value is a usage error naming the option. */
export function arg<T>(parse: (text: string) => T): (text: string) => T {
  return (text) => {
    try {
      return parse(text);
    } catch (err) {
      if (err instanceof BerthError) throw new UsageError(err.message);
      throw err;
    }
  };
}

/** collect is arg for repeatable options: each occurrence adds to the list. */
export function collect<T>(parse: (text: string) => T): (text: string, previous: T[] | undefined) => T[] {
  const one = arg(parse);
  return (text, previous) => [...(previous ?? []), one(text)];
}
