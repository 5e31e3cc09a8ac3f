// `berth service ps SERVICE...`, as `docker service ps`: the services' tasks, newest first within a
// slot, older ones marked " \_ ", with node hostnames and "Running 5 seconds ago" states.

import { Command } from 'commander';
import type { ApiFilters, ApiService, ApiTask } from './api-types.js';
import { collect, contextOf, run, type Context } from './context.js';
import { capitalize, formatPort, shortId, stateSince } from './format.js';
import { addFilter } from './option-parsers.js';
import { formatTable } from './table.js';

/** Docker cuts the ERROR column to this many characters unless --no-trunc. */
const MAX_ERROR_LENGTH = 30;

interface PsOptions {
  quiet?: boolean;
  trunc: boolean;
  filter: string[];
}

export function registerServicePs(service: Command, program: Command): void {
  service
    .command('ps')
    .description('List the tasks of one or more services')
    .argument('<service...>', 'service name, ID or ID prefix')
    .option('-q, --quiet', 'only display task IDs')
    .option('--no-trunc', 'do not truncate output')
    .option('-f, --filter <key=value>', 'filter output (id, name, node, desired-state, label); repeatable', collect(String), [])
    .action((refs: string[], opts: PsOptions, cmd: Command) => run(cmd, () => listServiceTasks(contextOf(program), refs, opts)));
}

async function listServiceTasks(ctx: Context, refs: readonly string[], opts: PsOptions): Promise<void> {
  const services = new Map<string, ApiService>();
  for (const ref of refs) {
    const s = await ctx.client.service(ref);
    services.set(s.ID, s);
  }
  let filters = opts.filter.reduce<ApiFilters>((f, t) => addFilter(t, f), {});
  filters = { ...filters, service: Object.fromEntries([...services.keys()].map((id) => [id, true])) };
  const tasks = await ctx.client.listTasks(filters);
  const named = tasks.map((t) => ({ task: t, name: taskName(t, services.get(t.ServiceID)?.Spec.Name ?? t.ServiceID) }));
  named.sort((a, b) => compareTasks(a.task, b.task, a.name.service, b.name.service));
  if (opts.quiet) {
    ctx.out(named.map(({ task }) => `${task.ID}\n`).join(''));
    return;
  }
  const hostnames = new Map((await ctx.client.listNodes()).map((n) => [n.ID, n.Description.Hostname ?? n.ID]));
  const now = Date.now();
  let previous = '';
  const rows = named.map(({ task, name }) => {
    const display = opts.trunc ? name.full : `${name.full}.${task.ID}`;
    const row = [
      shortId(task.ID, !opts.trunc),
      name.full === previous ? ` \\_ ${display}` : display,
      image(task, opts.trunc),
      task.NodeID ? (hostnames.get(task.NodeID) ?? task.NodeID) : '',
      capitalize(task.DesiredState),
      stateSince(task.Status.State, task.Status.Timestamp, now),
      errorText(task.Status.Err, opts.trunc),
      (task.Status.PortStatus?.Ports ?? []).map(formatPort).join(','),
    ];
    previous = name.full;
    return row;
  });
  ctx.out(formatTable(['ID', 'NAME', 'IMAGE', 'NODE', 'DESIRED STATE', 'CURRENT STATE', 'ERROR', 'PORTS'], rows));
}

/** Swarm names a task <service>.<slot>, or <service>.<node ID> for global services. */
function taskName(t: ApiTask, service: string): { service: string; full: string } {
  return { service, full: `${service}.${t.Slot || t.NodeID || ''}` };
}

/** By service name, then slot (numerically) or node, then newest first. */
function compareTasks(a: ApiTask, b: ApiTask, aService: string, bService: string): number {
  return (
    aService.localeCompare(bService) ||
    (a.Slot ?? 0) - (b.Slot ?? 0) ||
    (a.Slot ? 0 : (a.NodeID ?? '').localeCompare(b.NodeID ?? '')) ||
    (b.CreatedAt > a.CreatedAt ? 1 : b.CreatedAt < a.CreatedAt ? -1 : 0)
  );
}

/** The image as the user wrote it: a pinned digest is shown only with --no-trunc. */
function image(t: ApiTask, trunc: boolean): string {
  const ref = t.Spec.ContainerSpec?.Image ?? '';
  return trunc ? ref.replace(/@sha256:[0-9a-f]+$/, '') : ref;
}

function errorText(err: string | undefined, trunc: boolean): string {
  if (!err) return '';
  const text = trunc && err.length > MAX_ERROR_LENGTH ? `${err.slice(0, MAX_ERROR_LENGTH - 1)}…` : err;
  return `"${text}"`;
}
