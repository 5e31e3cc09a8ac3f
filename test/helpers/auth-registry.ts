// A real registry that requires a login, for pull-with-credentials tests while Berth's own
// registry has no auth: Debian's docker-registry (distribution 2.8) with htpasswd (bcrypt) basic
// auth on a free loopback port, plain HTTP. Started by the test, killed after.

import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { until } from './wait.js';

const run = promisify(execFile);

export interface AuthRegistry {
  /** host:port */
  address: string;
  username: string;
  password: string;
  /** push copies a local image of the engine's storage to `address/repo` (podman push, with the login). */
  push(localImage: string, repo: string): Promise<string>;
  stop(): Promise<void>;
}

export async function startAuthRegistry(username: string, password: string): Promise<AuthRegistry> {
  const dir = await mkdtemp(join(tmpdir(), 'berth-auth-registry-'));
  const { stdout: htpasswd } = await run('htpasswd', ['-Bbn', username, password]);
  await writeFile(join(dir, 'htpasswd'), htpasswd);
  // Port 0: the registry picks a free port and logs it ("listening on 127.0.0.1:PORT").
  await writeFile(
    join(dir, 'config.yml'),
    [
      'version: 0.1',
      'log: { level: info }',
      `storage: { filesystem: { rootdirectory: ${join(dir, 'data')} } }`,
      'http: { addr: "127.0.0.1:0" }',
      `auth: { htpasswd: { realm: berth-test, path: ${join(dir, 'htpasswd')} } }`,
    ].join('\n'),
  );
  const logPath = join(dir, 'registry.log');
  const { openSync, closeSync } = await import('node:fs');
  const out = openSync(logPath, 'a');
  let child: ChildProcess;
  try {
    child = spawn('docker-registry', ['serve', join(dir, 'config.yml')], { stdio: ['ignore', out, out] });
  } finally {
    closeSync(out);
  }
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const address = await until(async () => /listening on (127\.0\.0\.1:\d+)/.exec(await readFile(logPath, 'utf8'))?.[1], 10_000, 'docker-registry to listen', 50);
    const ping = await fetch(`http://${address}/v2/`);
    if (ping.status !== 401) throw new Error(`docker-registry on ${address} answered ${ping.status} to an anonymous /v2/, expected 401`);
    return {
      address,
      username,
      password,
      push: async (localImage, repo) => {
        const target = `${address}/${repo}`;
        await run('podman', ['push', '--quiet', '--tls-verify=false', '--creds', `${username}:${password}`, localImage, target]);
        return target;
      },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
