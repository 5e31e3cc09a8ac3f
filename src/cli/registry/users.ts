// `berth user ls | create | rm | passwd`: the registry's users (system administrators manage
// them; everyone may change their own password).

import type { Command } from 'commander';
import { CliError, run } from '../user/context.js';
import { formatTable } from '../user/table.js';
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
  const user = program.command('user').description("Manage the registry's users");

  user
    .command('ls')
    .alias('list')
    .description('List users (system administrators only)')
    .option(...REGISTRY_OPTION)
    .action((opts: RegistryOpts, cmd: Command) =>
      run(cmd, async () => {
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
    .option('--admin', 'make the user a system administrator')
    .option(...REGISTRY_OPTION)
    .action((name: string, opts: RegistryOpts & PasswordOpts & { email?: string; admin?: boolean }, cmd: Command) =>
      run(cmd, async () => {
        const password = await readPassword(opts);
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
    .option(...REGISTRY_OPTION)
    .action((name: string | undefined, opts: RegistryOpts & PasswordOpts, cmd: Command) =>
      run(cmd, async () => {
        const password = await readPassword(opts, 'new password');
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
}
