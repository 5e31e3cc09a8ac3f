// `berth swarm join-token [worker] [-q] [--rotate]`: the line that joins another machine, runnable
// as printed (the docker CLI prints Docker's own `docker swarm join` line, which a machine runs
// with berth in place of docker).

import type { Command } from 'commander';
import { contextOf, CliError, run, type Context } from './context.js';

export function registerSwarmCommands(swarm: Command, program: Command): void {
  swarm
    .command('join-token')
    .description('Print the command that joins another machine as a worker (--rotate makes a new token first)')
    .argument('[role]', 'worker (Berth runs a single manager)', 'worker')
    .option('-q, --quiet', 'only display the token')
    .option('--rotate', 'rotate the join token: the old one no longer admits new machines')
    .action((role: string, opts: { quiet?: boolean; rotate?: boolean }, cmd: Command) => run(cmd, () => joinToken(contextOf(program), role, opts)));
}

async function joinToken(ctx: Context, role: string, opts: { quiet?: boolean; rotate?: boolean }): Promise<void> {
  if (role !== 'worker') throw new CliError(role === 'manager' ? 'Berth runs a single manager: machines join as workers (berth swarm join-token worker)' : `unknown role ${role}: use worker`);
  if (opts.rotate) await ctx.client.rotateWorkerToken();
  const token = (await ctx.client.swarm()).JoinTokens.Worker;
  if (opts.quiet) return ctx.out(`${token}\n`);
  const addr = (await ctx.client.info()).Swarm?.RemoteManagers?.[0]?.Addr;
  if (!addr) throw new CliError('the manager reports no cluster address yet: is it running?');
  ctx.out(
    `${opts.rotate ? 'Successfully rotated worker join token.\n\n' : ''}To add a worker to this cluster, run the following command on it (add --engine URL, --hostname NAME or --data-dir DIR where it needs them):\n\n    berth agent --join ${addr} --token ${token}\n\n`,
  );
}
