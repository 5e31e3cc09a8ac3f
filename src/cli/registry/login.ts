// `berth login [REGISTRY] -u USER (--password-stdin | -p PASS)` and `berth logout [REGISTRY]`:
// credentials for the registry commands, checked against the registry's token endpoint first.

import type { Command } from 'commander';
import { run } from '../user/context.js';
import { DEFAULT_REGISTRY, readAuthFile, registryUrl, writeAuthFile } from './auth-file.js';
import { RegistryClient } from './client.js';
import { output, readPassword, type PasswordOpts } from './common.js';

export function registerLoginCommands(program: Command): void {
  const out = output(program);
  program
    .command('login')
    .description("Log in to a Berth registry (stores the credentials in ~/.berth/registry-auth.json, mode 0600)")
    .argument('[registry]', `HOST:PORT or https://HOST:PORT (default ${DEFAULT_REGISTRY})`)
    .requiredOption('-u, --username <user>', 'user name, or a robot account (robot$...)')
    .option('-p, --password <password>', 'password or robot secret (visible in the process list: prefer --password-stdin)')
    .option('--password-stdin', 'read the password or secret from stdin')
    .action((registry: string | undefined, opts: PasswordOpts & { username: string }, cmd: Command) =>
      run(cmd, async () => {
        const password = await readPassword(opts);
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
    .action((registry: string | undefined, _opts: unknown, cmd: Command) =>
      run(cmd, async () => {
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
