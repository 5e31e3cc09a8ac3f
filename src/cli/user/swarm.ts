// `berth swarm join-token [worker] [-q] [--rotate]`: the line that joins another machine, runnable
// as printed (the docker CLI prints Docker's own `docker swarm join` line, which a machine runs
// with berth in place of docker).

import type { Command } from 'commander';
import { contextOf, CliError, run, type Context } from './context.js';

export function registerSwarmCommands(swarm: Command, program: Command): void {
  swarm
    .command('join-token')
    .description('Print the command that joins another machine as a worker or a manager (--rotate makes a new token first)')
    .argument('[role]', 'worker, or manager (several managers share their state in etcd: docs/ha.md)', 'worker')
    .option('-q, --quiet', 'only display the token')
    .option('--rotate', 'rotate the join token: the old one no longer admits new machines')
    .action((role: string, opts: { quiet?: boolean; rotate?: boolean }, cmd: Command) => run(cmd, () => joinToken(contextOf(program), role, opts)));
}

async function joinToken(ctx: Context, role: string, opts: { quiet?: boolean; rotate?: boolean }): Promise<void> {
  if (role !== 'worker' && role !== 'manager') throw new CliError(`unknown role ${role}: use worker or manager`);
  const manager = role === 'manager';
  if (opts.rotate) await ctx.client.rotateJoinToken(manager ? 'manager' : 'worker');
  const tokens = (await ctx.client.swarm()).JoinTokens;
  const token = manager ? tokens.Manager : tokens.Worker;
  if (opts.quiet) return ctx.out(`${token}\n`);
  const addr = (await ctx.client.info()).Swarm?.RemoteManagers?.[0]?.Addr;
  if (!addr) throw new CliError('the manager reports no cluster address yet: is it running?');
  const rotated = opts.rotate ? `Successfully rotated ${role} join token.\n\n` : '';
  if (manager) {
    return ctx.out(
      `${rotated}To add a manager to this cluster, run the following command on it, with the etcd cluster the other managers use (a cluster on SQLite runs one manager; see docs/ha.md):\n\n    berth manager --join ${addr} --token ${token} --store etcd://HOST:2379,...\n\n`,
    );
  }
  ctx.out(`${rotated}To add a worker to this cluster, run the following command on it (add --engine URL, --hostname NAME or --data-dir DIR where it needs them):\n\n    berth agent --join ${addr} --token ${token}\n\n`);
}
