// The `berth service` group: ls, inspect, scale and rm here; create and ps in their own files.

import { Command } from 'commander';
import { InvalidArgumentError } from '../../types/index.js';
import type { ApiFilters, ApiService } from './api-types.js';
import { arg, CliError, collect, contextOf, isExpected, run, type Context } from './context.js';
import { formatPort, shortId } from './format.js';
import { addFilter } from './option-parsers.js';
import { prettyService } from './pretty.js';
import { watchConvergence } from './progress-watch.js';
import { registerServiceCreate } from './service-create.js';
import { registerServicePs } from './service-ps.js';
import { formatTable } from './table.js';
import { parseCount, parseDurationNs } from '../../common/units.js';

export function registerServiceCommands(program: Command): void {
  // Positional options let `service create` hand options after IMAGE to the container's command.
  const service = program.command('service').description('Manage services').enablePositionalOptions();
  registerServiceCreate(service, program);

  service
    .command('ls')
    .alias('list')
    .description('List services')
    .option('-q, --quiet', 'only display IDs')
    .option('-f, --filter <key=value>', 'filter output (id, label, mode, name); repeatable', collect(String), [])
    .action((opts: { quiet?: boolean; filter: string[] }, cmd: Command) => run(cmd, () => listServices(contextOf(program), opts)));

  registerServicePs(service, program);

  service
    .command('inspect')
    .description('Display detailed information on one or more services')
    .argument('<service...>', 'service name, ID or ID prefix')
    .option('--pretty', 'print the information in a human friendly format')
    .action((refs: string[], opts: { pretty?: boolean }, cmd: Command) => run(cmd, () => inspectServices(contextOf(program), refs, opts)));

  service
    .command('scale')
    .description('Scale one or more replicated services')
    .argument('<service=replicas...>', 'service and its new number of tasks, e.g. web=5', collect(parseScale))
    .option('-d, --detach', 'exit immediately instead of waiting for the services to converge')
    .option('--timeout <duration>', 'give up waiting for convergence after this long', arg(parseDurationNs), parseDurationNs('5m'))
    .action((targets: [string, number][], opts: { detach?: boolean; timeout: number }, cmd: Command) =>
      run(cmd, () => scaleServices(contextOf(program), targets, opts)),
    );

  service
    .command('rm')
    .alias('remove')
    .description('Remove one or more services')
    .argument('<service...>', 'service name, ID or ID prefix')
    .action((refs: string[], _opts: unknown, cmd: Command) => run(cmd, () => removeServices(contextOf(program), refs)));
}

async function listServices(ctx: Context, opts: { quiet?: boolean; filter: string[] }): Promise<void> {
  const filters = opts.filter.reduce<ApiFilters>((f, t) => addFilter(t, f), {});
  const services = await ctx.client.listServices(filters);
  services.sort((a, b) => (a.Spec.Name ?? '').localeCompare(b.Spec.Name ?? ''));
  if (opts.quiet) {
    ctx.out(services.map((s) => `${s.ID}\n`).join(''));
    return;
  }
  const rows = services.map((s) => [
    shortId(s.ID),
    s.Spec.Name ?? '',
    modeName(s),
    replicas(s),
    (s.Spec.TaskTemplate?.ContainerSpec?.Image ?? '').replace(/@sha256:[0-9a-f]+$/, ''),
    ingressPorts(s),
  ]);
  ctx.out(formatTable(['ID', 'NAME', 'MODE', 'REPLICAS', 'IMAGE', 'PORTS'], rows));
}

function modeName(s: ApiService): string {
  const m = s.Spec.Mode;
  if (m?.Global) return 'global';
  if (m?.ReplicatedJob) return 'replicated job';
  if (m?.GlobalJob) return 'global job';
  return 'replicated';
}

/** "2/3", with "(max 1 per node)" when the service limits replicas per node, as docker shows it. */
function replicas(s: ApiService): string {
  const status = s.ServiceStatus;
  const counts = status ? `${status.RunningTasks}/${status.DesiredTasks}` : '';
  const max = s.Spec.TaskTemplate?.Placement?.MaxReplicas;
  return max && s.Spec.Mode?.Replicated ? `${counts} (max ${max} per node)` : counts;
}

/** Docker lists only ingress-published ports here; host-mode ports show per task in `service ps`. */
function ingressPorts(s: ApiService): string {
  const ports = s.Endpoint?.Ports ?? s.Spec.EndpointSpec?.Ports ?? [];
  return ports
    .filter((p) => (p.PublishMode ?? 'ingress') === 'ingress')
    .map(formatPort)
    .join(', ');
}

async function inspectServices(ctx: Context, refs: readonly string[], opts: { pretty?: boolean }): Promise<void> {
  const found: ApiService[] = [];
  const errors: string[] = [];
  for (const ref of refs) {
    try {
      found.push(await ctx.client.service(ref, true));
    } catch (err) {
      if (!isExpected(err)) throw err;
      errors.push(err.message);
    }
  }
  if (opts.pretty) ctx.out(found.map(prettyService).join('\n'));
  else ctx.out(`${JSON.stringify(found, null, 4)}\n`);
  if (errors.length > 0) throw new CliError(errors.join('\nError: '));
}

function parseScale(text: string): [string, number] {
  const eq = text.lastIndexOf('=');
  if (eq <= 0) throw new InvalidArgumentError(`invalid scale specifier "${text}": use SERVICE=REPLICAS, e.g. web=5`);
  return [text.slice(0, eq), parseCount(text.slice(eq + 1))];
}

async function scaleServices(ctx: Context, targets: readonly [string, number][], opts: { detach?: boolean; timeout: number }): Promise<void> {
  const scaled: string[] = [];
  const errors: string[] = [];
  for (const [ref, n] of targets) {
    try {
      const s = await ctx.client.service(ref);
      if (!s.Spec.Mode?.Replicated) throw new CliError(`${ref}: scale can only be used with replicated mode`);
      await ctx.client.updateService(s.ID, s.Version.Index, { ...s.Spec, Mode: { Replicated: { Replicas: n } } });
      ctx.out(`${ref} scaled to ${n}\n`);
      scaled.push(s.ID);
    } catch (err) {
      if (!isExpected(err)) throw err;
      errors.push(err.message);
    }
  }
  if (!opts.detach) {
    for (const id of scaled) await watchConvergence(ctx, id, { timeoutMs: opts.timeout / 1e6 });
  }
  if (errors.length > 0) throw new CliError(errors.join('\nError: '));
}

async function removeServices(ctx: Context, refs: readonly string[]): Promise<void> {
  const errors: string[] = [];
  for (const ref of refs) {
    try {
      await ctx.client.removeService(ref);
      ctx.out(`${ref}\n`);
    } catch (err) {
      if (!isExpected(err)) throw err;
      errors.push(err.message);
    }
  }
  if (errors.length > 0) throw new CliError(errors.join('\nError: '));
}
