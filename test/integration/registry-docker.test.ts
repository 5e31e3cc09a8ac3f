// Token auth with Docker Engine (Debian's docker.io): `docker login`, push and pull against the
// registry on loopback (dockerd treats 127.0.0.0/8 as insecure, so plain HTTP works). The test
// runs a dockerd of its own (own socket, data root, no bridge or iptables) and stops it after.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Dockerode from 'dockerode';
import { buildBusyboxImage } from '../../src/agent/index.js';
import { silentLogger } from '../../src/common/log.js';
import { Registry } from '../../src/registry/index.js';
import { TEST_ADMIN_PASSWORD, seedTeam } from '../helpers/registry-auth.js';

const IMAGE = 'localhost/auth-docker-busybox:1';

describe('registry token auth with Docker Engine', { timeout: 240_000 }, () => {
  let dir: string;
  let registry: Registry;
  let host: string;
  let dockerd: ChildProcess | undefined;
  let env: NodeJS.ProcessEnv;

  const docker = async (args: string[], input?: string): Promise<string> =>
    new Promise((resolve, reject) => {
      const child = spawn('docker', args, { env, stdio: ['pipe', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      child.on('error', reject);
      child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`docker ${args.join(' ')} failed (${code}): ${err}`))));
      child.stdin.end(input ?? '');
    });

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'berth-auth-dockerd-'));
    const sock = join(dir, 'dockerd.sock');
    dockerd = spawn('dockerd', ['--data-root', join(dir, 'data'), '--exec-root', join(dir, 'exec'), '-H', `unix://${sock}`, '--pidfile', join(dir, 'dockerd.pid'), '--bridge', 'none', '--iptables=false'], {
      stdio: ['ignore', 'ignore', 'ignore'],
    });
    env = { PATH: process.env.PATH, HOME: dir, DOCKER_HOST: `unix://${sock}`, DOCKER_CONFIG: join(dir, 'docker-config') };
    const engine = new Dockerode({ socketPath: sock });
    const deadline = Date.now() + 60_000;
    while (!(await engine.ping().then(() => true, () => false))) {
      if (Date.now() > deadline || dockerd.exitCode !== null) throw new Error('dockerd did not start');
      await new Promise((r) => setTimeout(r, 200));
    }
    await buildBusyboxImage(engine, IMAGE);
    registry = await Registry.start({ dataDir: join(dir, 'registry'), listen: '127.0.0.1:0', log: silentLogger(), adminPassword: TEST_ADMIN_PASSWORD });
    host = registry.address;
    await seedTeam(registry.url);
  });

  after(async () => {
    if (dockerd && dockerd.exitCode === null) {
      dockerd.kill('SIGTERM');
      await new Promise((r) => dockerd!.once('exit', r));
    }
    await registry?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test('docker login refuses a wrong password; a developer logs in, pushes and pulls back; a guest may not push', async () => {
    await assert.rejects(docker(['login', host, '-u', 'dev', '--password-stdin'], 'Wrong-pass-1'), /unauthorized|invalid username or password/i);
    await docker(['login', host, '-u', 'dev', '--password-stdin'], 'Dev-pass-1');
    await docker(['tag', IMAGE, `${host}/team/app:1`]);
    await docker(['push', `${host}/team/app:1`]);
    const [id] = (await docker(['image', 'inspect', '--format', '{{.Id}}', IMAGE])).trim().split('\n');
    await docker(['rmi', `${host}/team/app:1`]);
    await docker(['pull', `${host}/team/app:1`]);
    assert.equal((await docker(['image', 'inspect', '--format', '{{.Id}}', `${host}/team/app:1`])).trim(), id);

    await docker(['logout', host]);
    await assert.rejects(docker(['pull', `${host}/team/app:1`]), /unauthorized|authentication required|denied/i);
    await docker(['login', host, '-u', 'visitor', '--password-stdin'], 'Visitor-pass-1');
    await docker(['tag', IMAGE, `${host}/team/app:guest`]);
    await assert.rejects(docker(['push', `${host}/team/app:guest`]), /unauthorized|denied|visitor may not push/i);
    await docker(['pull', `${host}/team/app:1`]);
  });

  test('the docker CLI pushes a manifest list (multi-arch index) and dockerd pulls the entry for its platform', async () => {
    await docker(['login', host, '-u', 'dev', '--password-stdin'], 'Dev-pass-1');
    await docker(['tag', IMAGE, `${host}/team/app:amd64`]);
    await docker(['push', `${host}/team/app:amd64`]);
    // A second entry: the same image listed as arm64, so the list has two platforms to choose from.
    await docker(['tag', IMAGE, `${host}/team/app:arm64`]);
    await docker(['push', `${host}/team/app:arm64`]);
    const list = `${host}/team/app:multi`;
    await docker(['manifest', 'create', '--insecure', list, `${host}/team/app:amd64`, `${host}/team/app:arm64`]);
    await docker(['manifest', 'annotate', '--arch', 'arm64', list, `${host}/team/app:arm64`]);
    const pushed = (await docker(['manifest', 'push', '--insecure', list])).trim();
    assert.match(pushed, /^sha256:[0-9a-f]{64}$/m);

    const inspected = JSON.parse(await docker(['manifest', 'inspect', '--insecure', list])) as { mediaType: string; manifests: { platform: { architecture: string } }[] };
    assert.equal(inspected.mediaType, 'application/vnd.docker.distribution.manifest.list.v2+json');
    assert.deepEqual(inspected.manifests.map((m) => m.platform.architecture).sort(), ['amd64', 'arm64']);

    await docker(['pull', list]);
    const [id] = (await docker(['image', 'inspect', '--format', '{{.Id}}', IMAGE])).trim().split('\n');
    assert.equal((await docker(['image', 'inspect', '--format', '{{.Id}}', list])).trim(), id);
  });
});
