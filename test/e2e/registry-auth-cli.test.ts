// End to end: `berth login`, `berth user|project|robot ...` against `berth registry`, as the built
// executable, over plain HTTP on loopback and over TLS with a certificate made by openssl.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { BerthProcess, freePort, tempDir } from '../helpers/berth.js';
import { TEST_ADMIN_PASSWORD } from '../helpers/registry-auth.js';

const BIN = resolve(import.meta.dirname, '../../bin/berth.js');
const exec = promisify(execFile);

interface CliResult {
  code: number | null;
  out: string;
  err: string;
}

describe('berth login, user, project and robot commands', { timeout: 120_000 }, () => {
  const dirs: string[] = [];
  const procs: BerthProcess[] = [];
  let config: string;
  let registry: string;

  /** berth runs a user command with its own config dir, feeding `input` on stdin. */
  const berth = (args: string[], input = '', env: NodeJS.ProcessEnv = {}): Promise<CliResult> =>
    new Promise((resolveP, reject) => {
      const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, BERTH_CONFIG_DIR: config, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      child.on('error', reject);
      child.on('close', (code) => resolveP({ code, out, err }));
      child.stdin.end(input);
    });
  const ok = async (args: string[], input = '', env: NodeJS.ProcessEnv = {}): Promise<string> => {
    const r = await berth(args, input, env);
    assert.equal(r.code, 0, `berth ${args.join(' ')}: ${r.err}`);
    return r.out;
  };
  const fails = async (args: string[], message: RegExp, input = ''): Promise<void> => {
    const r = await berth(args, input);
    assert.equal(r.code, 1, `berth ${args.join(' ')} should fail: ${r.out}`);
    assert.match(r.err, message);
  };
  const startRegistry = async (args: string[]): Promise<BerthProcess> => {
    const p = new BerthProcess(['registry', ...args], { BERTH_ADMIN_PASSWORD: TEST_ADMIN_PASSWORD });
    procs.push(p);
    await p.waitFor(/listening on/);
    return p;
  };

  before(async () => {
    const d = tempDir('registry-auth-cli');
    dirs.push(d);
    config = join(d, 'config');
    const port = await freePort();
    registry = `127.0.0.1:${port}`;
    await startRegistry(['--data-dir', join(d, 'data'), '--listen', registry]);
  });

  after(async () => {
    for (const p of procs) await p.stop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  test('login refuses a wrong password and stores good credentials 0600; commands need a login', async () => {
    await fails(['project', 'ls', '--registry', registry], /authentication required.*berth login/);
    await fails(['login', registry, '-u', 'admin', '--password-stdin'], /invalid username or password/, 'Wrong-pass-1\n');
    assert.match(await ok(['login', registry, '-u', 'admin', '--password-stdin'], `${TEST_ADMIN_PASSWORD}\n`), /Login Succeeded/);
    const file = join(config, 'registry-auth.json');
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.equal(JSON.parse(readFileSync(file, 'utf8')).current, registry);
  });

  test('users, projects and members, with the last login as the default registry', async () => {
    await ok(['user', 'create', 'alice', '--password-stdin'], 'Alice-pass-1\n');
    await fails(['user', 'create', 'Bob', '-p', 'Bob-pass-1'], /Name: a user name is/);
    await fails(['user', 'create', 'bob', '-p', 'short'], /Password: use 8 to 128 characters/);
    assert.match(await ok(['user', 'ls']), /alice\s+no/);
    await ok(['project', 'create', 'team']);
    await ok(['project', 'member', 'add', 'team', 'alice', '--role', 'developer']);
    assert.match(await ok(['project', 'member', 'ls', 'team']), /alice\s+developer/);
    await ok(['project', 'member', 'add', 'team', 'alice', '--role', 'guest']);
    assert.match(await ok(['project', 'member', 'ls', 'team']), /alice\s+guest/);
    const list = await ok(['project', 'ls']);
    assert.match(list, /library\s+public/);
    assert.match(list, /team\s+private\s+2/);
    assert.equal(JSON.parse(await ok(['project', 'inspect', 'team'])).Name, 'team');
    await ok(['project', 'update', 'team', '--public']);
    assert.equal(JSON.parse(await ok(['project', 'inspect', 'team'])).Public, true);
    await ok(['project', 'update', 'team', '--private']);
    assert.match(await ok(['project', 'ls']), /team\s+private/);
    await ok(['project', 'member', 'rm', 'team', 'alice']);
    assert.doesNotMatch(await ok(['project', 'member', 'ls', 'team']), /alice/);
    await ok(['project', 'create', 'scratch']);
    await ok(['project', 'rm', 'scratch']);
    await fails(['project', 'inspect', 'scratch'], /project scratch does not exist/);
  });

  test('robots: created with a secret shown once, listed without it, usable for login, removed', async () => {
    const created = await ok(['robot', 'create', 'ci', '--project', 'team', '--actions', 'pull,push']);
    const secret = /Secret: (\S+)/.exec(created)?.[1];
    assert.ok(secret, created);
    const list = await ok(['robot', 'ls']);
    assert.match(list, /robot\$team\+ci\s+team:pull,push\s+enabled\s+never/);
    assert.ok(!list.includes(secret));
    const robotConfig = { BERTH_CONFIG_DIR: join(config, '..', 'robot-config') };
    assert.match(await ok(['login', registry, '-u', 'robot$team+ci', '--password-stdin'], secret, robotConfig), /Login Succeeded/);
    assert.match(await ok(['project', 'ls'], '', robotConfig), /team/);
    await ok(['robot', 'rm', 'robot$team+ci']);
    await fails(['robot', 'rm', 'robot$team+ci'], /does not exist/);
  });

  test('gc run (dry, and with untagged manifests) prints what it freed; gc ls lists the runs; only administrators may run it', async () => {
    assert.match(
      await ok(['gc', 'run', '--dry-run']),
      /^garbage collection run (\d+) \(dry run\) succeeded: would free 0 bytes in 0 blobs, 0 abandoned uploads, 0 unreferenced links\n$/,
    );
    const real = await ok(['gc', 'run', '--delete-untagged']);
    assert.match(real, /^garbage collection run \d+ succeeded: freed 0 bytes in 0 blobs, 0 untagged manifests, 0 abandoned uploads, 0 unreferenced links\n$/);
    const [header, newest, older] = (await ok(['gc', 'ls'])).split('\n');
    assert.match(header!, /^ID\s+STARTED\s+STATUS\s+MODE\s+BLOBS\s+MANIFESTS\s+FREED BYTES\s+ERROR/);
    assert.match(newest!, /^\d+\s+\S+\s+succeeded\s+untagged\s+0\s+0\s+0/);
    assert.match(older!, /^\d+\s+\S+\s+succeeded\s+dry run\s+0\s+-\s+0/);
    const aliceConfig = { BERTH_CONFIG_DIR: join(config, '..', 'alice-config') };
    await ok(['login', registry, '-u', 'alice', '--password-stdin'], 'Alice-pass-1\n', aliceConfig);
    const refused = await berth(['gc', 'run'], '', aliceConfig);
    assert.equal(refused.code, 1);
    assert.match(refused.err, /alice is not a system administrator/);
  });

  test('passwd changes your own password and keeps you logged in; logout forgets the login', async () => {
    await ok(['user', 'passwd', '--password-stdin'], 'Admin-pass-2\n');
    assert.match(await ok(['user', 'ls']), /admin\s+yes/);
    await fails(['login', registry, '-u', 'admin', '-p', TEST_ADMIN_PASSWORD], /invalid username or password/);
    await ok(['user', 'passwd', 'alice', '-p', 'Alice-pass-2']);
    assert.match(await ok(['logout']), new RegExp(`Removing login credentials for ${registry.replace(/\./g, '\\.')}`));
    await fails(['user', 'ls', '--registry', registry], /authentication required/);
  });

  test('TLS: berth registry --tls-cert/--tls-key serves HTTPS with a certificate made by openssl; berth login https:// trusts it through NODE_EXTRA_CA_CERTS', async () => {
    const d = tempDir('registry-tls');
    dirs.push(d);
    const [cert, key] = [join(d, 'cert.pem'), join(d, 'key.pem')];
    await exec('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', key, '-out', cert]);
    const port = await freePort();
    const reg = await startRegistry(['--data-dir', join(d, 'data'), '--listen', `127.0.0.1:${port}`, '--tls-cert', cert, '--tls-key', key]);
    assert.match(reg.output, new RegExp(`listening on https://127\\.0\\.0\\.1:${port}`));
    assert.doesNotMatch(reg.output, /--tls-verify=false/);
    const tls = { BERTH_CONFIG_DIR: join(d, 'config'), NODE_EXTRA_CA_CERTS: cert };
    assert.match(await ok(['login', `https://127.0.0.1:${port}`, '-u', 'admin', '-p', TEST_ADMIN_PASSWORD], '', tls), /Login Succeeded/);
    assert.match(await ok(['project', 'ls'], '', tls), /library/);
    // Without the CA the certificate is refused, with a hint.
    const untrusted = await berth(['login', `https://127.0.0.1:${port}`, '-u', 'admin', '-p', TEST_ADMIN_PASSWORD], '', { BERTH_CONFIG_DIR: join(d, 'config2') });
    assert.equal(untrusted.code, 1);
    assert.match(untrusted.err, /NODE_EXTRA_CA_CERTS/);
    // skopeo verifies the certificate (its CA in --cert-dir) and follows the https realm for its token.
    const certDir = join(d, 'certs');
    mkdirSync(certDir);
    copyFileSync(cert, join(certDir, 'ca.crt'));
    await assert.rejects(
      exec('skopeo', ['inspect', '--cert-dir', certDir, '--creds', `admin:${TEST_ADMIN_PASSWORD}`, `docker://127.0.0.1:${port}/library/none:1`]),
      (e: { stderr: string }) => /manifest unknown|not in this repository/.test(e.stderr),
    );
    const half = new BerthProcess(['registry', '--data-dir', join(d, 'data2'), '--listen', '127.0.0.1:0', '--tls-cert', cert]);
    procs.push(half);
    await half.waitFor(/give both --tls-cert FILE and --tls-key FILE/);
  });
});
