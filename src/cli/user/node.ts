// `berth node ls | inspect | update`, as the docker CLI's node commands (cli/command/node).

import { Command, Option } from 'commander';
import type { NodeSpec } from '../../types/index.js';
import type { ApiFilters, ApiNode } from './api-types.js';
import { CliError, collect, contextOf, isExpected, run, type Context } from './context.js';
import { capitalize } from './format.js';
import { addFilter, parseKeyValue } from './option-parsers.js';
import { prettyNode } from './pretty.js';
import { formatTable } from './table.js';

export function registerNodeCommands(program: Command): void {
  const node = program.command('node').description('Manage cluster nodes');

  node
    .command('ls')
    .alias('list')
    .description('List nodes in the cluster')
    .option('-q, --quiet', 'only display IDs')
    .option('-f, --filter <key=value>', 'filter output (id, label, name, role, membership, node.label); repeatable', collect(String), [])
    .action((opts: { quiet?: boolean; filter: string[] }, cmd: Command) => run(cmd, () => listNodes(contextOf(program), opts)));

  node
    .command('inspect')
    .description('Display detailed information on one or more nodes ("self" is the node the manager runs on)')
    .argument('<node...>', 'node ID, ID prefix or hostname')
    .option('--pretty', 'print the information in a human friendly format')
    .action((refs: string[], opts: { pretty?: boolean }, cmd: Command) => run(cmd, () => inspectNodes(contextOf(program), refs, opts)));

  node
    .command('update')
    .description('Update a node')
    .argument('<node>', 'node ID, ID prefix or hostname')
    .addOption(new Option('--availability <availability>', 'availability of the node').choices(['active', 'pause', 'drain']))
    .addOption(new Option('--role <role>', 'role of the node').choices(['worker', 'manager']))
    .option('--label-add <key=value>', 'add or update a node label; repeatable', collect(parseKeyValue), [])
    .option('--label-rm <key>', 'remove a node label if it exists; repeatable', collect(String), [])
    .action((ref: string, opts: UpdateOptions, cmd: Command) => run(cmd, () => updateNode(contextOf(program), ref, opts)));
}

function filtersOf(texts: readonly string[]): ApiFilters {
  return texts.reduce<ApiFilters>((f, t) => addFilter(t, f), {});
}

async function listNodes(ctx: Context, opts: { quiet?: boolean; filter: string[] }): Promise<void> {
  const nodes = await ctx.client.listNodes(filtersOf(opts.filter));
  nodes.sort((a, b) => (a.Description.Hostname ?? '').localeCompare(b.Description.Hostname ?? '', undefined, { numeric: true }));
  if (opts.quiet) {
    ctx.out(nodes.map((n) => `${n.ID}\n`).join(''));
    return;
  }
  const self = nodes.length > 0 ? (await ctx.client.info()).Swarm?.NodeID : undefined;
  const rows = nodes.map((n) => [
    n.ID === self ? `${n.ID} *` : n.ID,
    n.Description.Hostname ?? '',
    capitalize(n.Status.State),
    capitalize(n.Spec.Availability),
    managerStatus(n),
    n.Description.Engine?.EngineVersion ?? '',
    certificate(n),
  ]);
  ctx.out(formatTable(['ID', 'HOSTNAME', 'STATUS', 'AVAILABILITY', 'MANAGER STATUS', 'ENGINE VERSION', 'CERTIFICATE'], rows));
}

/** The node certificate's state and expiry, which Swarm keeps to itself. */
function certificate(n: ApiNode, now = Date.now()): string {
  const c = n.Certificate;
  if (!c) return '';
  const left = Date.parse(c.NotAfter) - now;
  const when = left <= 0 ? 'expired' : left < 2 * 86_400_000 ? `expires in ${Math.max(1, Math.round(left / 3_600_000))}h` : `expires in ${Math.round(left / 86_400_000)}d`;
  return c.State === 'rotate' ? `${when}, moving to the new root CA` : when;
}

function managerStatus(n: ApiNode): string {
  if (!n.ManagerStatus) return '';
  return n.ManagerStatus.Leader ? 'Leader' : capitalize(n.ManagerStatus.Reachability);
}

/** resolveNode is GET /nodes/{ref}, with docker's "self" meaning the node /info names. */
async function resolveNode(ctx: Context, ref: string): Promise<ApiNode> {
  if (ref !== 'self') return ctx.client.node(ref);
  const self = (await ctx.client.info()).Swarm?.NodeID;
  if (!self) throw new CliError('"self" is not available: the manager does not run on a node of the cluster; name the node instead');
  return ctx.client.node(self);
}

async function inspectNodes(ctx: Context, refs: readonly string[], opts: { pretty?: boolean }): Promise<void> {
  const found: ApiNode[] = [];
  const errors: string[] = [];
  for (const ref of refs) {
    try {
      found.push(await resolveNode(ctx, ref));
    } catch (err) {
      if (!isExpected(err)) throw err;
      errors.push(err.message);
    }
  }
  if (opts.pretty) ctx.out(found.map(prettyNode).join('\n'));
  else ctx.out(`${JSON.stringify(found, null, 4)}\n`);
  if (errors.length > 0) throw new CliError(errors.join('\nError: '));
}

interface UpdateOptions {
  availability?: NodeSpec['Availability'];
  role?: NodeSpec['Role'];
  labelAdd: [string, string][];
  labelRm: string[];
}

async function updateNode(ctx: Context, ref: string, opts: UpdateOptions): Promise<void> {
  const node = await ctx.client.node(ref);
  const labels = { ...node.Spec.Labels };
  for (const [k, v] of opts.labelAdd) labels[k] = v;
  for (const k of opts.labelRm) {
    if (!(k in labels)) throw new CliError(`key ${k} doesn't exist in node's labels`);
    delete labels[k];
  }
  const spec: NodeSpec = {
    ...node.Spec,
    Labels: labels,
    ...(opts.availability && { Availability: opts.availability }),
    ...(opts.role && { Role: opts.role }),
  };
  await ctx.client.updateNode(node.ID, node.Version.Index, spec);
  ctx.out(`${ref}\n`);
}
