// `berth audit ls`: who changed what, from where, and how it ended (GET /berth/v1/audit).

import type { Command } from 'commander';
import type { AuditEntry } from '../../audit/index.js';
import { contextOf, run, type Context } from './context.js';
import { formatTable } from './table.js';

interface LsOptions {
  user?: string;
  object?: string;
  action?: string;
  since?: string;
  until?: string;
  limit?: string;
  before?: string;
  format?: string;
}

export function registerAuditCommands(program: Command): void {
  const audit = program.command('audit').description('Read the audit log: every change made through the API');
  audit
    .command('ls')
    .alias('list')
    .description('List audit entries, newest first')
    .option('--user <name>', 'made by this user (a client certificate name, root, anonymous)')
    .option('--object <ref>', 'on this object (its name, or an ID prefix)')
    .option('--action <action>', 'this action (service.update) or kind of object (service)')
    .option('--since <time>', 'at or after this time: RFC 3339, Unix seconds, or a duration before now (2h)')
    .option('--until <time>', 'at or before this time (same forms)')
    .option('--limit <n>', 'at most this many entries (default 100, at most 1000)')
    .option('--before <id>', 'the next page: the entries after this one (the last ID of the previous page, --format json shows it)')
    .option('--format <format>', '"json" for the entries as JSON, changes included')
    .action((opts: LsOptions, cmd: Command) => run(cmd, () => list(contextOf(program), opts)));
}

async function list(ctx: Context, opts: LsOptions): Promise<void> {
  const query = Object.fromEntries(Object.entries({ user: opts.user, object: opts.object, action: opts.action, since: opts.since, until: opts.until, limit: opts.limit, before: opts.before }).filter(([, v]) => v !== undefined)) as Record<string, string>;
  const entries = await ctx.client.auditLog(query);
  if (opts.format === 'json') return void ctx.out(`${JSON.stringify(entries, null, 2)}\n`);
  const rows = entries.map((e) => [e.Time.slice(0, 19).replace('T', ' '), e.User, e.Source, e.Action, object(e), result(e)]);
  ctx.out(formatTable(['TIME', 'USER', 'SOURCE', 'ACTION', 'OBJECT', 'RESULT'], rows));
}

const object = (e: AuditEntry): string => (e.Object ? (e.Object.Name ?? e.Object.ID?.slice(0, 12) ?? '') : '');
const result = (e: AuditEntry): string => (e.Status < 300 ? `${e.Status}` : `${e.Status} ${e.Error ?? ''}`.slice(0, 80));
