// `berth project ls | create | inspect | update | rm | member add | member rm | member ls`: Harbor-style
// projects of the registry (the first component of a repository name) and their members.

import { Option, type Command } from 'commander';
import { CliError, run } from '../user/context.js';
import { formatTable } from '../user/table.js';
import { REGISTRY_OPTION, clientFor, output, type RegistryOpts } from './common.js';

interface Member {
  User?: string;
  Team?: string;
  Role: string;
}

/** A member as the commands name it: a user's name, or team:NAME. */
const memberName = (m: Member): string => (m.Team !== undefined ? `team:${m.Team}` : m.User!);
interface ProjectView {
  Name: string;
  Public: boolean;
  QuotaBytes: number;
  Members: Member[];
  CreatedAt: string;
}

const ROLES = ['projectAdmin', 'maintainer', 'developer', 'guest'];
const path = (project: string, rest = ''): string => `/projects/${encodeURIComponent(project)}${rest}`;

export function registerProjectCommands(program: Command): void {
  const out = output(program);
  const project = program.command('project').description("Manage the registry's projects");

  project
    .command('ls')
    .alias('list')
    .description('List the projects you can see')
    .option(...REGISTRY_OPTION)
    .action((opts: RegistryOpts, cmd: Command) =>
      run(cmd, async () => {
        const list = await (await clientFor(opts)).get<ProjectView[]>('/projects');
        const rows = list.map((p) => [p.Name, p.Public ? 'public' : 'private', String(p.Members.length), p.QuotaBytes < 0 ? 'unlimited' : String(p.QuotaBytes), p.CreatedAt]);
        out(formatTable(['NAME', 'ACCESS', 'MEMBERS', 'QUOTA BYTES', 'CREATED'], rows));
      }),
    );

  project
    .command('create')
    .description('Create a project; you become its project admin')
    .argument('<name>', 'lower-case letters and digits separated by . _ -')
    .option('--public', 'anyone, even anonymous, may pull from it')
    .option(...REGISTRY_OPTION)
    .action((name: string, opts: RegistryOpts & { public?: boolean }, cmd: Command) =>
      run(cmd, async () => {
        await (await clientFor(opts)).post('/projects', { Name: name, Public: opts.public ?? false });
        out(`${name}\n`);
      }),
    );

  project
    .command('inspect')
    .description('Display a project')
    .argument('<name>')
    .option(...REGISTRY_OPTION)
    .action((name: string, opts: RegistryOpts, cmd: Command) =>
      run(cmd, async () => out(`${JSON.stringify(await (await clientFor(opts)).get(path(name)), null, 4)}\n`)),
    );

  project
    .command('update')
    .description("Change a project's visibility (project admins)")
    .argument('<name>')
    .addOption(new Option('--public', 'anyone, even anonymous, may pull').conflicts('private'))
    .addOption(new Option('--private', 'only members (and robots) may pull'))
    .option(...REGISTRY_OPTION)
    .action((name: string, opts: RegistryOpts & { public?: boolean; private?: boolean }, cmd: Command) =>
      run(cmd, async () => {
        if (!opts.public && !opts.private) throw new CliError('give --public or --private');
        await (await clientFor(opts)).put(path(name), { Public: Boolean(opts.public) });
        out(`${name}\n`);
      }),
    );

  project
    .command('rm')
    .alias('remove')
    .description('Delete empty projects (with their robot accounts)')
    .argument('<name...>')
    .option(...REGISTRY_OPTION)
    .action((names: string[], opts: RegistryOpts, cmd: Command) =>
      run(cmd, async () => {
        const client = await clientFor(opts);
        for (const name of names) {
          await client.delete(path(name));
          out(`${name}\n`);
        }
      }),
    );

  const member = project.command('member').description("Manage a project's members");
  member
    .command('add')
    .description('Add a user, or a team (team:NAME: all its members), to a project with a role, or change the role of a member')
    .argument('<project>')
    .argument('<member>', 'a user, or team:NAME')
    .addOption(new Option('--role <role>', 'projectAdmin (all, and members), maintainer (pull, push, delete), developer (pull, push), guest (pull)').choices(ROLES).makeOptionMandatory())
    .option(...REGISTRY_OPTION)
    .action((name: string, user: string, opts: RegistryOpts & { role: string }, cmd: Command) =>
      run(cmd, async () => {
        const client = await clientFor(opts);
        const current = await client.get<Member[]>(path(name, '/members'));
        if (current.some((m) => memberName(m) === user)) await client.put(path(name, `/members/${encodeURIComponent(user)}`), { Role: opts.role });
        else await client.post(path(name, '/members'), { ...(user.startsWith('team:') ? { Team: user.slice(5) } : { User: user }), Role: opts.role });
        out(`${user} is ${opts.role} of ${name}\n`);
      }),
    );

  member
    .command('rm')
    .alias('remove')
    .description('Remove a user or a team (team:NAME) from a project')
    .argument('<project>')
    .argument('<member>', 'a user, or team:NAME')
    .option(...REGISTRY_OPTION)
    .action((name: string, user: string, opts: RegistryOpts, cmd: Command) =>
      run(cmd, async () => {
        await (await clientFor(opts)).delete(path(name, `/members/${encodeURIComponent(user)}`));
        out(`${user}\n`);
      }),
    );

  member
    .command('ls')
    .alias('list')
    .description("List a project's members")
    .argument('<project>')
    .option(...REGISTRY_OPTION)
    .action((name: string, opts: RegistryOpts, cmd: Command) =>
      run(cmd, async () => {
        const members = await (await clientFor(opts)).get<Member[]>(path(name, '/members'));
        out(formatTable(['MEMBER', 'ROLE'], members.map((m) => [memberName(m), m.Role])));
      }),
    );
}
