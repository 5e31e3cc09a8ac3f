// `berth user ls | create | update | rm | passwd`: the platform's users. They go to the manager
// when one is named (--host, BERTH_HOST, DOCKER_HOST) or runs on this machine, else — or with
// --registry — to the registry of the last `berth login` (a registry alone serves Harbor's view
// of its users). Administrators manage users; everyone may change their own password.

import type { Command } from 'commander';
import { CliError, run } from '../user/context.js';
import { formatTable } from '../user/table.js';
import { managerNamed, managerUsers } from '../user/directory.js';
import { readAuthFile, registryUrl, writeAuthFile } from './auth-file.js';
import { REGISTRY_OPTION, clientFor, output, readPassword, type PasswordOpts, type RegistryOpts } from './common.js';

interface UserView {
  Name: string;
  Email: string;
  Admin: boolean;
  CreatedAt: string;
}

export function registerUserCommands(program: Command): void {
  const out = output(program);
  const user = program.command('user').description("Manage the platform's users (the registry's too)");
  const toManager = (opts: RegistryOpts): boolean => opts.registry === undefined && managerNamed(program);

  user
    .command('ls')
    .alias('list')
    .description('List users (system administrators only)')
    .option(...REGISTRY_OPTION)
    .action((opts: RegistryOpts, cmd: Command) =>
      run(cmd, async () => {
        if (toManager(opts)) {
          const all = await managerUsers.list(program);
          return out(formatTable(['NAME', 'ROLE', 'SOURCE', 'DISABLED', 'EMAIL', 'CREATED'], all.map((u) => [u.Name, u.Role || '-', u.Source, u.Disabled ? 'yes' : 'no', u.Email, u.CreatedAt])));
        }
        const users = await (await clientFor(opts)).get<UserView[]>('/users');
        out(formatTable(['NAME', 'ADMIN', 'EMAIL', 'CREATED'], users.map((u) => [u.Name, u.Admin ? 'yes' : 'no', u.Email, u.CreatedAt])));
      }),
    );

  user
    .command('create')
    .description('Create a user')
    .argument('<name>', 'login name: lower-case letters, digits, . _ -')
    .option('-p, --password <password>', 'password (8-128 characters with upper- and lower-case letters and a digit)')
    .option('--password-stdin', 'read the password from stdin')
    .option('--email <email>', 'e-mail address')
    .option('--admin', 'make the user an administrator (the admin role)')
    .option('--role <role>', 'their cluster role: viewer, operator or admin (default none: they act through their teams)')
    .option(...REGISTRY_OPTION)
    .action((name: string, opts: RegistryOpts & PasswordOpts & { email?: string; admin?: boolean; role?: string }, cmd: Command) =>
      run(cmd, async () => {
        const password = await readPassword(opts);
        const role = opts.role ?? (opts.admin ? 'admin' : undefined);
        if (toManager(opts)) {
          await managerUsers.create(program, { Name: name, Password: password, ...(role && { Role: role }), ...(opts.email && { Email: opts.email }) });
          return out(`${name}\n`);
        }
        if (opts.role && opts.role !== 'admin') throw new CliError('--role: a registry alone knows administrators only (--admin)');
        await (await clientFor(opts)).post('/users', { Name: name, Password: password, Admin: opts.admin ?? false, ...(opts.email && { Email: opts.email }) });
        out(`${name}\n`);
      }),
    );

  user
    .command('rm')
    .alias('remove')
    .description('Delete users (and their project memberships)')
    .argument('<name...>')
    .option(...REGISTRY_OPTION)
    .action((names: string[], opts: RegistryOpts, cmd: Command) =>
      run(cmd, async () => {
        if (toManager(opts)) {
          for (const name of names) {
            await managerUsers.remove(program, name);
            out(`${name}\n`);
          }
          return;
        }
        const client = await clientFor(opts);
        for (const name of names) {
          await client.delete(`/users/${encodeURIComponent(name)}`);
          out(`${name}\n`);
        }
      }),
    );

  user
    .command('passwd')
    .description("Change a password: your own (default), or another user's as a system administrator")
    .argument('[name]', 'user (default: the logged-in user)')
    .option('-p, --password <password>', 'the new password')
    .option('--password-stdin', 'read the new password from stdin')
    .option('--old-password <password>', 'your current password (changing your own through the manager)')
    .option(...REGISTRY_OPTION)
    .action((name: string | undefined, opts: RegistryOpts & PasswordOpts & { oldPassword?: string }, cmd: Command) =>
      run(cmd, async () => {
        const password = await readPassword(opts, 'new password');
        if (toManager(opts)) return out(`Password changed for ${await managerUsers.passwd(program, name, password, opts.oldPassword)}\n`);
        const client = await clientFor(opts);
        const target = name ?? client.username;
        if (!target) throw new CliError('give the user whose password to change, or log in first (berth login) to change your own');
        const self = target === client.username;
        // Changing one's own password proves the old one, which is the stored login's.
        const old = self ? (await readAuthFile()).registries[registryUrl(client.url).key]?.password : undefined;
        await client.put(`/users/${encodeURIComponent(target)}/password`, { Password: password, ...(old !== undefined && { OldPassword: old }) });
        if (self) {
          const file = await readAuthFile();
          const key = registryUrl(client.url).key;
          if (file.registries[key]) file.registries[key] = { ...file.registries[key], password };
          await writeAuthFile(file);
        }
        out(`Password changed for ${target}\n`);
      }),
    );

  user
    .command('update')
    .description("Change a user's role or e-mail, or disable them: their password, sessions, tokens and certificates stop at once (administrators, on the manager)")
    .argument('<name>')
    .option('--role <role>', 'viewer, operator, admin, or "" for none')
    .option('--email <email>', 'e-mail address')
    .option('--disable', 'disable the user')
    .option('--enable', 'enable the user again')
    .action((name: string, opts: { role?: string; email?: string; disable?: boolean; enable?: boolean }, cmd: Command) =>
      run(cmd, async () => {
        if (opts.disable && opts.enable) throw new CliError('--disable and --enable exclude each other');
        await managerUsers.update(program, name, { ...(opts.role !== undefined && { Role: opts.role }), ...(opts.email !== undefined && { Email: opts.email }), ...((opts.disable || opts.enable) && { Disabled: !!opts.disable }) });
        out(`${name}\n`);
      }),
    );
}
