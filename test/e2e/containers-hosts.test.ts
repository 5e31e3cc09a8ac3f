// Task containers through the manager on three real hosts (docs/containers.md): a `berth manager`
// over TLS in the root namespace, an agent per host on its own engine, and the stock docker CLI
// against the manager only — nothing is opened on a host. `docker ps` shows every host's
// containers, logs -f streams, exec -it runs in a pseudo-terminal with its size and exit code,
// stats and top answer; a viewer's certificate may look but not exec, and execs are audited.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { buildBusyboxImage } from '../../src/agent/engine/image-build.js';
import { TEST_IMAGE } from '../helpers/engine.js';
import { createTestNetwork, type TestNetwork } from '../helpers/hosts/index.js';
import type { CapturedProcess } from '../helpers/process.js';
import { BIN, BerthProcess, docker, freePort, tempDir } from '../helpers/berth.js';
import { until } from '../helpers/wait.js';

const run = promisify(execFile);

describe('task containers of three hosts through the manager, with the docker CLI', { timeout: 300_000 }, () => {
  let net: TestNetwork | undefined;
  let manager: BerthProcess | undefined;
  const agents: CapturedProcess[] = [];
  const dir = tempDir('containers-hosts');
  let port = 0;
  const env = (certs = join(dir, 'm', 'client')) => ({ PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/root', DOCKER_HOST: `tcp://127.0.0.1:${port}`, DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: certs });
  const cli = (args: string[], certs?: string) => docker(`tcp://127.0.0.1:${port}`, args, 60_000, undefined, { DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: certs ?? join(dir, 'm', 'client') });
  const berth = (...args: string[]) => run(process.execPath, [BIN, '--host', `unix://${join(dir, 'm', 'berth.sock')}`, ...args]);

  before(async () => {
    net = await createTestNetwork({ name: 'containers', hosts: 3 });
    await net.startEngines();
    await Promise.all(net.hosts.map((h) => buildBusyboxImage(h.engine.docker, TEST_IMAGE)));
    port = await freePort();
    manager = new BerthProcess(['manager', '--data-dir', join(dir, 'm'), '--listen', `127.0.0.1:${port}`, '--cluster-listen', `${net.gateway}:0`]);
    const [, clusterAddr] = await manager.waitFor(/cluster port (\S+)\n/);
    const token = readFileSync(join(dir, 'm', 'worker-token'), 'utf8').trim();
    for (const h of net.hosts) {
      agents.push(h.spawn(process.execPath, [BIN, 'agent', '--join', clusterAddr!, '--token', token, '--hostname', h.name, '--data-dir', join(h.dir, 'agent'), '--tunnel-interface', `bwg-${h.name}`]));
    }
    await until(async () => (await cli(['node', 'ls', '-q'])).stdout.trim().split('\n').length === 3, 30_000, 'three nodes');
    const tick = 'i=1; while true; do echo "tick $i"; i=$((i+1)); sleep 0.2; done';
    const created = await cli(['service', 'create', '-d', '--name', 'web', '--replicas', '3', '--replicas-max-per-node', '1', TEST_IMAGE, 'sh', '-c', tick]);
    assert.equal(created.code, 0, created.stderr);
    await until(async () => (await cli(['service', 'ps', '-q', '--filter', 'desired-state=running', '--filter', 'node=h1', 'web'])).stdout.trim() !== '' &&
      (await cli(['ps', '-q'])).stdout.trim().split('\n').filter(Boolean).length === 3, 60_000, 'three running containers');
  });

  after(async () => {
    await Promise.all(agents.map((a) => a.stop()));
    await manager?.stop();
    await net?.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  /** The container on a host, as `docker ps` names it: HOST/web.SLOT.TASK. */
  const on = async (host: string): Promise<string> => {
    const r = await cli(['ps', '--filter', `node=${host}`, '--format', '{{.Names}}']);
    assert.equal(r.code, 0, r.stderr);
    return r.stdout.trim().split('/')[1]!;
  };

  test('docker ps shows the containers of all three hosts, named HOST/service.slot.task', async () => {
    const r = await cli(['ps', '--format', '{{.Names}} {{.Image}} {{.Status}}']);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trim().split('\n').sort();
    assert.equal(lines.length, 3, r.stdout);
    assert.deepEqual(lines.map((l) => l.split('/')[0]), ['h1', 'h2', 'h3']);
    for (const l of lines) assert.match(l, new RegExp(`^h\\d/web\\.\\d\\.\\w+ ${TEST_IMAGE.replace(/[./]/g, '\\$&')} Up `));
  });

  test('docker logs -f streams from a host', async () => {
    const follow = spawn('docker', ['logs', '-f', '--tail', '1', await on('h2')], { env: env() });
    let out = '';
    follow.stdout.on('data', (c: Buffer) => (out += c.toString()));
    try {
      await until(() => (out.match(/tick \d+\n/g)?.length ?? 0) >= 4, 20_000, 'followed lines');
    } finally {
      follow.kill();
    }
  });

  test('docker exec -it in a pseudo-terminal: the terminal size reaches the container, and the exit code comes back', async () => {
    const name = await on('h3');
    const r = await run('script', ['-qec', `stty cols 91 rows 27; docker exec -it ${name} sh -c 'for i in 1 2 3 4 5 6 7 8 9 10; do s=$(stty size 2>/dev/null); [ -n \"$s\" ] && [ \"$s\" != \"0 0\" ] && break; sleep 0.5; done; echo size=$s; echo tty=$(tty); exit 7'`, '/dev/null'], { env: env() }).catch((e: { code: number; stdout: string; stderr: string }) => e);
    assert.equal((r as { code?: number }).code, 7, r.stdout + r.stderr);
    assert.match(r.stdout, /size=27 91/);
    assert.match(r.stdout, /tty=\/dev\/pts\/\d+/);
  });

  test('docker stats --no-stream and docker top reach a host', async () => {
    const name = await on('h1');
    const stats = await cli(['stats', '--no-stream', '--format', '{{.Name}} {{.PIDs}}', name]);
    assert.equal(stats.code, 0, stats.stderr);
    assert.match(stats.stdout, /\s\d+\n$/);
    const top = await cli(['top', name]);
    assert.equal(top.code, 0, top.stderr);
    assert.match(top.stdout, /sh -c/);
  });

  test("a viewer's certificate may list and read logs but is refused exec with 403; execs are in the audit log", async () => {
    const viewer = join(dir, 'viewer');
    await berth('cert', 'client', 'vera', '--role', 'viewer', '--out', viewer);
    const name = await on('h1');
    assert.equal((await cli(['ps', '-q'], viewer)).stdout.trim().split('\n').length, 3);
    assert.equal((await cli(['logs', '--tail', '1', name], viewer)).code, 0);
    const refused = await cli(['exec', name, 'true'], viewer);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /access denied: POST \/containers\/:id\/exec takes the operator role; vera \(certificate\) has the viewer role/);
    const { stdout } = await berth('audit', 'ls', '--format', 'json');
    const entries = JSON.parse(stdout) as { Action: string; User: string; Status: number; Object?: { Name: string; Node?: { Name: string } }; Command?: string[] }[];
    const started = entries.find((e) => e.Action === 'exec.start' && e.Command?.join(' ').includes('stty size'));
    assert.ok(started, 'the exec -it is recorded');
    assert.equal(started.User, 'admin');
    assert.equal(started.Object?.Node?.Name, 'h3');
    assert.ok(entries.some((e) => e.Action === 'container.exec' && e.User === 'vera' && e.Status === 403));
  });

  test("a team member sees and execs into their team's containers only; another's is no such container", async () => {
    await berth('user', 'create', 'dev', '-p', 'Dev-pass1');
    await berth('team', 'create', 'shop', '--member', 'dev', '--stack', 'shop');
    const created = await cli(['service', 'create', '-d', '--name', 'shop_api', '--label', 'com.docker.stack.namespace=shop', '--constraint', 'node.hostname==h2', TEST_IMAGE, 'sleep', '600']);
    assert.equal(created.code, 0, created.stderr);
    const dev = join(dir, 'dev');
    await berth('cert', 'client', 'dev', '--out', dev);
    const mine = await until(async () => (await cli(['ps', '--format', '{{.Names}}'], dev)).stdout.trim() || undefined, 60_000, "the team's container");
    assert.match(mine, /^h2\/shop_api\.1\.\w+$/, 'only the team\'s container is listed');
    // Without -i the CLI half-closes at once: the output still comes back over TLS.
    const ok = await cli(['exec', mine.split('/')[1]!, 'echo', 'inside'], dev);
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(ok.stdout.trim(), 'inside');
    const other = await on('h1');
    for (const args of [['exec', other, 'true'], ['logs', other], ['inspect', other]]) {
      const r = await cli(args, dev);
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, /No such (container|object)/i, `${args.join(' ')}: ${r.stderr}`);
    }
  });
});
