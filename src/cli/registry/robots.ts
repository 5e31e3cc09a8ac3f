// `berth robot ls | create | rm | disable | enable`: robot accounts. A project robot acts in one
// project (--project P --actions pull,push); a system robot in the projects of its --permission
// options. The secret is printed once, at creation.

import type { Command } from 'commander';
import { CliError, run } from '../user/context.js';
import { formatTable } from '../user/table.js';
import { REGISTRY_OPTION, clientFor, output, type RegistryOpts } from './common.js';

interface RobotView {
  Name: string;
  Description: string;
  ExpiresAt: string;
  Disabled: boolean;
  Permissions: { Project: string; Actions: string[] }[];
  Secret?: string;
}

interface CreateOpts extends RegistryOpts {
  project?: string;
  actions?: string;
  permission: string[];
  description?: string;
  expiresInDays?: string;
}

const actionsOf = (text: string): string[] => text.split(',').map((a) => a.trim()).filter(Boolean);
const robotPath = (name: string): string => `/robots/${encodeURIComponent(name)}`;

export function registerRobotCommands(program: Command): void {
  const out = output(program);
  const robot = program.command('robot').description("Manage the registry's robot accounts");

  robot
    .command('ls')
    .alias('list')
    .description("List robot accounts: all (system administrators), or one project's (its members)")
    .option('--project <name>', "only this project's robots")
    .option(...REGISTRY_OPTION)
    .action((opts: RegistryOpts & { project?: string }, cmd: Command) =>
      run(cmd, async () => {
        const robots = await (await clientFor(opts)).get<RobotView[]>(`/robots${opts.project ? `?project=${encodeURIComponent(opts.project)}` : ''}`);
        const rows = robots.map((r) => [
          r.Name,
          r.Permissions.map((p) => `${p.Project}:${p.Actions.join(',')}`).join(' '),
          r.Disabled ? 'disabled' : 'enabled',
          r.ExpiresAt || 'never',
          r.Description,
        ]);
        out(formatTable(['NAME', 'PERMISSIONS', 'STATUS', 'EXPIRES', 'DESCRIPTION'], rows));
      }),
    );

  robot
    .command('create')
    .description('Create a robot account and print its secret (shown only this once)')
    .argument('<name>', 'short name; the account is robot$PROJECT+NAME (project robot) or robot$NAME (system robot)')
    .option('--project <name>', 'make a project robot of this project')
    .option('--actions <list>', 'with --project: comma-separated pull, push, delete', 'pull')
    .option('--permission <project=actions>', 'system robot: PROJECT=pull,push (PROJECT may be "*"); repeatable', (v: string, prev: string[]) => [...prev, v], [])
    .option('--description <text>', 'what the robot is for')
    .option('--expires-in-days <n>', 'days until the robot can no longer log in (default: never)')
    .option(...REGISTRY_OPTION)
    .action((name: string, opts: CreateOpts, cmd: Command) =>
      run(cmd, async () => {
        const body: Record<string, unknown> = { Name: name };
        if (opts.project) {
          if (opts.permission.length > 0) throw new CliError('--permission is for system robots; a project robot takes --project and --actions');
          Object.assign(body, { Project: opts.project, Actions: actionsOf(opts.actions ?? 'pull') });
        } else {
          if (opts.permission.length === 0) throw new CliError('give --project NAME (project robot) or --permission PROJECT=ACTIONS (system robot)');
          body.Permissions = opts.permission.map((p) => {
            const eq = p.indexOf('=');
            if (eq < 1) throw new CliError(`--permission ${p}: use PROJECT=ACTIONS, e.g. team=pull,push`);
            return { Project: p.slice(0, eq), Actions: actionsOf(p.slice(eq + 1)) };
          });
        }
        if (opts.description) body.Description = opts.description;
        if (opts.expiresInDays !== undefined) body.ExpiresInDays = Number(opts.expiresInDays);
        const created = await (await clientFor(opts)).post<RobotView>('/robots', body);
        out(`Name:   ${created.Name}\nSecret: ${created.Secret}\nThe secret is shown only now: log in with it (berth login / podman login -u '${created.Name}').\n`);
      }),
    );

  robot
    .command('rm')
    .alias('remove')
    .description('Delete robot accounts')
    .argument('<name...>', 'full names (robot$...)')
    .option(...REGISTRY_OPTION)
    .action((names: string[], opts: RegistryOpts, cmd: Command) =>
      run(cmd, async () => {
        const client = await clientFor(opts);
        for (const name of names) {
          await client.delete(robotPath(name));
          out(`${name}\n`);
        }
      }),
    );

  for (const [verb, disabled] of [['disable', true], ['enable', false]] as const) {
    robot
      .command(verb)
      .description(disabled ? 'Disable a robot account (it can no longer log in, and its tokens stop working)' : 'Enable a disabled robot account')
      .argument('<name>', 'full name (robot$...)')
      .option(...REGISTRY_OPTION)
      .action((name: string, opts: RegistryOpts, cmd: Command) =>
        run(cmd, async () => {
          await (await clientFor(opts)).put(robotPath(name), { Disabled: disabled });
          out(`${name}\n`);
        }),
      );
  }
}
