// A team member drives the stock docker CLI with their own certificate or token (docs/access.md):
// they deploy their team's stack and see nothing of another team's; a personal access token sent
// through the docker CLI's HttpHeaders works until it is revoked; berth user/team/token/login
// manage all of it.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BerthProcess, docker, freePort, tempDir, type DockerResult } from '../helpers/berth.js';

const COMPOSE = (image: string) => `services:\n  web:\n    image: ${image}\n    command: ["sleep", "3600"]\n`;

describe('teams through the docker CLI', { timeout: 180_000 }, () => {
  const dir = tempDir('teams-cli');
  const config = join(dir, 'config');
  let manager: BerthProcess;
  let port = 0;
  const tcp = () => `tcp://127.0.0.1:${port}`;
  const adminCerts = join(dir, 'm', 'client');
  /** berth as the admin (their bundle), with its own config dir. */
  const berth = (args: string[], env: NodeJS.ProcessEnv = {}, input?: string) =>
    new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      const child = execFile(process.execPath, [join(import.meta.dirname, '../../bin/berth.js'), '--host', `https://127.0.0.1:${port}`, ...args], { env: { ...process.env, DOCKER_CERT_PATH: adminCerts, BERTH_CONFIG_DIR: config, ...env } }, (err, stdout, stderr) =>
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      );
      child.stdin?.end(input);
    });
  const ok = async (args: string[], env: NodeJS.ProcessEnv = {}, input?: string): Promise<string> => {
    const r = await berth(args, env, input);
    assert.equal(r.code, 0, `berth ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  const as = (certDir: string, args: string[], home?: string): Promise<DockerResult> => docker(tcp(), args, 60_000, home, { DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: certDir });

  before(async () => {
    port = await freePort();
    manager = new BerthProcess(['manager', '--data-dir', join(dir, 'm'), '--listen', `127.0.0.1:${port}`, '--cluster-listen', '127.0.0.1:0'], { BERTH_ADMIN_PASSWORD: 'Admin-pass1' });
    await manager.waitFor(/cluster port/);
    await ok(['user', 'create', 'alice', '-p', 'Alice-pass1']);
    await ok(['user', 'create', 'bob', '-p', 'Bob-pass1']);
    await ok(['team', 'create', 'shop', '--member', 'alice', '--stack', 'shop']);
    await ok(['team', 'create', 'blog', '--member', 'bob:operator', '--stack', 'blog']);
    for (const who of ['alice', 'bob']) await ok(['cert', 'client', who, '--out', join(dir, who)]);
    writeFileSync(join(dir, 'stack.yml'), COMPOSE('busybox:1.36'));
  });

  after(async () => {
    await manager?.stop();
  });

  test('berth user ls and team ls show the directory', async () => {
    assert.match(await ok(['user', 'ls']), /^admin\s+admin\s+local\s+no/m);
    assert.match(await ok(['user', 'ls']), /^alice\s+-\s+local\s+no/m);
    assert.match(await ok(['team', 'ls']), /^shop\s+alice:operator\s+shop/m);
  });

  test("each member deploys their team's stack with their certificate and sees only it", async () => {
    for (const [who, stack] of [['alice', 'shop'], ['bob', 'blog']] as const) {
      const r = await as(join(dir, who), ['stack', 'deploy', '-c', join(dir, 'stack.yml'), stack]);
      assert.equal(r.code, 0, r.stderr);
    }
    const listed = await as(join(dir, 'alice'), ['service', 'ls', '--format', '{{.Name}}']);
    assert.equal(listed.code, 0, listed.stderr);
    assert.equal(listed.stdout.trim(), 'shop_web');
    assert.equal((await as(join(dir, 'alice'), ['stack', 'ls', '--format', '{{.Name}}'])).stdout.trim(), 'shop');
    const other = await as(join(dir, 'alice'), ['service', 'inspect', 'blog_web']);
    assert.notEqual(other.code, 0);
    assert.match(other.stderr, /no such service: blog_web/i);
    const rm = await as(join(dir, 'alice'), ['stack', 'rm', 'blog']);
    assert.match(rm.stdout + rm.stderr, /Nothing found in stack: blog/);
    assert.equal((await as(adminCerts, ['service', 'ls', '--format', '{{.Name}}'])).stdout.trim().split('\n').sort().join(','), 'blog_web,shop_web');
    // Outside their stacks, a member creates nothing.
    const loose = await as(join(dir, 'alice'), ['service', 'create', '--name', 'loose', 'busybox:1.36']);
    assert.notEqual(loose.code, 0);
    assert.match(loose.stderr, /must belong to your team/);
  });

  test('a personal access token through HttpHeaders works with ca.pem alone, until it is revoked', async () => {
    const caOnly = join(dir, 'ca-only');
    mkdirSync(caOnly, { recursive: true });
    copyFileSync(join(adminCerts, 'ca.pem'), join(caOnly, 'ca.pem'));
    await ok(['login', '--manager', '-u', 'alice', '--password-stdin'], { DOCKER_CERT_PATH: caOnly }, 'Alice-pass1\n');
    // The session berth login --manager saved is what the berth CLI uses with ca.pem alone.
    const token = (await ok(['token', 'create', 'ci', '--expires', '24h'], { DOCKER_CERT_PATH: caOnly })).trim();
    assert.match(token, /^berth_[0-9a-z]{25}_[0-9a-f]{64}$/);
    const home = join(dir, 'home');
    mkdirSync(join(home, '.docker'), { recursive: true });
    writeFileSync(join(home, '.docker', 'config.json'), JSON.stringify({ HttpHeaders: { Authorization: `Bearer ${token}` } }));
    const listed = await as(caOnly, ['service', 'ls', '--format', '{{.Name}}'], home);
    assert.equal(listed.code, 0, listed.stderr);
    assert.equal(listed.stdout.trim(), 'shop_web');
    const tokens = await ok(['token', 'ls'], { DOCKER_CERT_PATH: caOnly });
    const id = /^(\S+)\s+alice\s+token\s+ci\s/m.exec(tokens)?.[1];
    assert.ok(id, tokens);
    await ok(['token', 'revoke', id], { DOCKER_CERT_PATH: caOnly });
    const refused = await as(caOnly, ['service', 'ls'], home);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /the token is not valid/);
  });

  test('disabling a user stops their certificate at once; the audit log names them', async () => {
    await ok(['user', 'update', 'bob', '--disable']);
    const r = await as(join(dir, 'bob'), ['service', 'ls']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /user bob is disabled/);
    await ok(['user', 'update', 'bob', '--enable']);
    assert.equal((await as(join(dir, 'bob'), ['service', 'ls'])).code, 0);
    const log = await ok(['audit', 'ls', '--user', 'alice', '--action', 'service.create']);
    assert.match(log, /alice\s+127\.0\.0\.1\s+service\.create\s+shop_web\s+201/);
  });
});
