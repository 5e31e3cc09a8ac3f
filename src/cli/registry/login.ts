// `berth login [REGISTRY] -u USER (--password-stdin | -p PASS)` and `berth logout [REGISTRY]`:
// credentials for the registry commands, checked against the registry's token endpoint first.
// With --manager, a session on the manager API instead (user/directory.ts).

import type { Command } from 'commander';
import { CliError, run } from '../user/context.js';
import { loginToManager, logoutOfManager } from '../user/directory.js';
import { oidcLogin } from '../user/oidc.js';
import { DEFAULT_REGISTRY, readAuthFile, registryUrl, writeAuthFile } from './auth-file.js';
import { RegistryClient } from './client.js';
import { output, readPassword, type PasswordOpts } from './common.js';

export function registerLoginCommands(program: Command): void {
  const out = output(program);
  program
    .command('login')
    .description("Log in to a Berth registry (stores the credentials in ~/.berth/registry-auth.json, mode 0600)")
    .argument('[registry]', `HOST:PORT or https://HOST:PORT (default ${DEFAULT_REGISTRY})`)
    .option('-u, --username <user>', 'user name, or a robot account (robot$...)')
    .option('-p, --password <password>', 'password or robot secret (visible in the process list: prefer --password-stdin)')
    .option('--password-stdin', 'read the password or secret from stdin')
    .option('--manager', 'log in to the manager API (--host, BERTH_HOST) instead: a 12-hour session kept in ~/.berth/manager-auth.json')
    .option('--oidc', "with --manager: through the cluster's OpenID Connect provider (device flow) instead of a password")
    .action((registry: string | undefined, opts: PasswordOpts & { username?: string; manager?: boolean; oidc?: boolean }, cmd: Command) =>
      run(cmd, async () => {
        if (opts.manager && registry) throw new CliError('--manager logs in to the manager named by --host or BERTH_HOST: give no registry');
        if (opts.oidc) {
          if (!opts.manager) throw new CliError('--oidc logs in to the manager: add --manager');
          return oidcLogin(program);
        }
        if (!opts.username) throw new CliError('give the user name with -u (--username)');
        const password = await readPassword(opts);
        if (opts.manager) {
          await loginToManager(program, opts.username, password);
          return out('Login Succeeded\n');
        }
        const { key, url } = registryUrl(registry ?? DEFAULT_REGISTRY);
        await new RegistryClient(url, undefined).checkLogin(opts.username, password);
        const file = await readAuthFile();
        file.registries[key] = { url, username: opts.username, password };
        file.current = key;
        await writeAuthFile(file);
        out('Login Succeeded\n');
      }),
    );

  program
    .command('logout')
    .description('Forget the credentials of a Berth registry')
    .argument('[registry]', 'HOST:PORT (default: the last login)')
    .option('--manager', 'end the session on the manager API (--host, BERTH_HOST) instead')
    .action((registry: string | undefined, opts: { manager?: boolean }, cmd: Command) =>
      run(cmd, async () => {
        if (opts.manager) return out(`Removing login credentials for ${await logoutOfManager(program)}\n`);
        const file = await readAuthFile();
        const key = registry ? registryUrl(registry).key : file.current;
        if (!key || !file.registries[key]) {
          out(`Not logged in to ${key ?? DEFAULT_REGISTRY}\n`);
          return;
        }
        delete file.registries[key];
        if (file.current === key) delete file.current;
        await writeAuthFile(file);
        out(`Removing login credentials for ${key}\n`);
      }),
    );
}
