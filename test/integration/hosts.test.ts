// Self-test of the test-host harness (test/helpers/hosts, docs/testing.md): three hosts with
// their own addresses and engines, a published port reached across the test network, a cut
// link that goes silent and comes back, and nothing of a network left after it is destroyed —
// nor after the test file that made it fails, is stopped or is killed. What is left is looked
// up with the system's own tools, not the harness's.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import Dockerode from 'dockerode';
import { buildBusyboxImage } from '../../src/agent/engine/image-build.js';
import { TEST_IMAGE } from '../helpers/engine.js';
import { createTestNetwork, saveImage, type TestHost, type TestNetwork } from '../helpers/hosts/index.js';
import { until } from '../helpers/wait.js';

const run = promisify(execFile);
const FIXTURE = join(import.meta.dirname, 'fixtures/hosts-crash.ts');

/** What a network had, to check afterwards that none of it remains. */
interface Trace {
  id: number;
  dir: string;
  /** The hosts' network namespaces (inodes, as /proc/PID/ns/net shows them). */
  inodes: number[];
  /** Engines, processes spawned in hosts, containers' first processes. */
  pids: number[];
  /** Containers' own network namespaces (/run/netns/netns-...). */
  sandboxes: string[];
}

async function remains(t: Trace): Promise<string[]> {
  const ours = (name: string): boolean => name === `bhost${t.id}` || name.startsWith(`bhost${t.id}-`);
  const lines = async (cmd: string, args: string[]): Promise<string[]> => (await run(cmd, args)).stdout.split('\n');
  const namespaces = (await lines('ip', ['netns', 'list'])).map((l) => l.split(' ')[0] ?? '').filter(ours);
  const links = (await lines('ip', ['-o', 'link', 'show'])).map((l) => /^\d+:\s+([^:@]+)/.exec(l)?.[1] ?? '').filter(ours);
  const tables = (await lines('nft', ['list', 'tables'])).map((l) => l.trim().split(' ')[2] ?? '').filter(ours);
  const mounts = readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[4] ?? '')
    .filter((p) => p.startsWith(`${t.dir}/`) || ours(p.replace('/run/netns/', '')));
  const living = (pid: string | number): boolean => {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
    } catch {
      return false;
    }
  };
  const inHosts = readdirSync('/proc').filter((pid) => {
    try {
      return /^\d+$/.test(pid) && living(pid) && t.inodes.includes(Number(/\d+/.exec(readlinkSync(`/proc/${pid}/ns/net`))?.[0]));
    } catch {
      return false;
    }
  });
  return [
    ...namespaces.map((n) => `namespace ${n}`),
    ...t.sandboxes.filter((s) => existsSync(s)).map((s) => `container namespace ${s}`),
    ...links.map((l) => `link ${l}`),
    ...tables.map((n) => `nftables table ${n}`),
    ...mounts.map((m) => `mount ${m}`),
    ...inHosts.map((pid) => `process ${pid} in a host`),
    ...t.pids.filter(living).map((pid) => `process ${pid}`),
    ...(existsSync(t.dir) ? [`directory ${t.dir}`] : []),
  ];
}

const ms = (since: number): number => Math.round(performance.now() - since);

/** runOnce runs a command in a container on an engine and gives its output. */
async function runOnce(docker: Dockerode, cmd: string[]): Promise<string> {
  const c = await docker.createContainer({ Image: TEST_IMAGE, Cmd: cmd, Tty: true });
  try {
    await c.start();
    await c.wait();
    return (await c.logs({ stdout: true })).toString();
  } finally {
    await c.remove({ force: true });
  }
}

/** fetchIn gets a URL from inside a host (with node: busybox wget crashes on this machine's busybox-static). */
async function fetchIn(host: TestHost, url: string): Promise<string> {
  const script = `fetch(${JSON.stringify(url)}, { signal: AbortSignal.timeout(5000) }).then((r) => r.text()).then((t) => process.stdout.write(t))`;
  const r = await host.exec(process.execPath, ['-e', script]);
  assert.equal(r.code, 0, `fetching ${url} in ${host.name}: ${r.stderr}`);
  return r.stdout;
}

/** fetchText gets a URL from the root namespace, failing within timeoutMs. */
async function fetchText(url: string, timeoutMs = 5_000): Promise<string> {
  const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  return res.text();
}

describe('test hosts', { timeout: 240_000 }, () => {
  let net: TestNetwork;
  let h1: TestHost, h2: TestHost, h3: TestHost;
  let startup = '';

  before(async () => {
    const t0 = performance.now();
    net = await createTestNetwork({ name: 'hosts-self-test', hosts: 3 });
    const t1 = performance.now();
    await net.startEngines();
    startup = `network ${ms(t0)} ms with 3 hosts, engines ${ms(t1)} ms more`;
    [h1, h2, h3] = net.hosts as [TestHost, TestHost, TestHost];
  });
  after(() => net?.destroy());

  test('hosts have their own address, route and engine storage, and reach the bridge and each other', async (t) => {
    t.diagnostic(startup);
    assert.equal(net.gateway, `10.213.${net.id}.1`);
    for (const [i, h] of net.hosts.entries()) {
      assert.equal(h.ip, `10.213.${net.id}.${11 + i}`);
      assert.match((await h.exec('ip', ['-o', '-4', 'addr', 'show', 'eth0'])).stdout, new RegExp(`inet ${h.ip.replace(/\./g, '\\.')}/24`));
      assert.match((await h.exec('ip', ['route', 'show', 'default'])).stdout, new RegExp(`^default via ${net.gateway}`));
      const info = (await h.engine.docker.info()) as { DockerRootDir?: string };
      assert.ok(info.DockerRootDir?.startsWith(`${h.dir}/`), `${h.name} stores in its own directory (${info.DockerRootDir})`);
    }
    // Engine state the machine's Podman keeps in shared places stays in the host's directory too.
    assert.ok(existsSync(join(h1.dir, 'engine', 'tmp', 'locks')), "h1's engine takes file locks of its own");
    const made = await h1.engine.docker.createNetwork({ Name: `iso-${net.id}` });
    try {
      assert.ok(existsSync(join(h1.dir, 'engine', 'networks', `iso-${net.id}.json`)), "h1's network definitions are its own");
      assert.ok(!existsSync(`/etc/containers/networks/iso-${net.id}.json`));
    } finally {
      await made.remove();
    }
    for (const target of [net.gateway, h2.ip, h3.ip]) {
      const ping = await h1.exec('busybox', ['ping', '-c', '1', '-W', '2', target]);
      assert.equal(ping.code, 0, `h1 reaches ${target}: ${ping.stdout}${ping.stderr}`);
    }
  });

  test('each engine runs a container from the busybox image (built on h1, loaded on the others)', async (t) => {
    const t0 = performance.now();
    await buildBusyboxImage(h1.engine.docker, TEST_IMAGE);
    const t1 = performance.now();
    const file = join(net.dir, 'busybox.tar');
    await saveImage(h1.engine.docker, TEST_IMAGE, file);
    await Promise.all([h2, h3].map((h) => h.loadImage(file)));
    t.diagnostic(`image built on h1 in ${ms(t0) - ms(t1)} ms, saved and loaded on h2 and h3 in ${ms(t1)} ms`);
    for (const h of net.hosts) assert.equal((await runOnce(h.engine.docker, ['echo', `hello from ${h.name}`])).trim(), `hello from ${h.name}`);

    // Each engine has its own storage: a container made on h1 is not on h2.
    const c = await h1.engine.docker.createContainer({ Image: TEST_IMAGE, Cmd: ['true'] });
    try {
      assert.equal((await h2.engine.docker.listContainers({ all: true })).length, 0);
    } finally {
      await c.remove({ force: true });
    }
  });

  test("a port published on h1 answers on h1's address, from the root namespace and from h2", async () => {
    const c = await h1.engine.docker.createContainer({
      Image: TEST_IMAGE,
      Cmd: ['sh', '-c', 'mkdir /www && echo served by h1 > /www/index.html && exec httpd -f -p 8080 -h /www'],
      ExposedPorts: { '8080/tcp': {} },
      HostConfig: { PortBindings: { '8080/tcp': [{ HostPort: '18090' }] } },
    });
    await c.start();
    const url = `http://${h1.ip}:18090/`;
    assert.equal((await until<string>(() => fetchText(url).catch(() => false), 15_000, 'the published port')).trim(), 'served by h1');
    assert.equal((await fetchIn(h2, url)).trim(), 'served by h1');
    // The port is h1's own: h2's address does not have it.
    await assert.rejects(fetchText(`http://${h2.ip}:18090/`), (err: Error) => /ECONNREFUSED/.test(String((err.cause as Error)?.message ?? err)));
  });

  test('cutLink makes h1 silent (no reset on open connections), restoreLink brings it back', async () => {
    // A server in h1 that prints what it receives and never closes a connection itself.
    const server = h1.spawn(process.execPath, ['-e', "require('net').createServer((s) => s.pipe(process.stdout)).listen(9000)"]);
    const url = `http://${h1.ip}:18090/`;
    const socket: Socket = await until(
      () =>
        new Promise<Socket | false>((resolve) => {
          const s = connect(9000, h1.ip, () => resolve(s)).once('error', () => resolve(false));
        }),
      10_000,
      'the server in h1',
    );
    const events: string[] = [];
    socket.on('error', (err) => events.push(`error ${err.message}`)).on('close', () => events.push('close'));
    try {
      socket.write('before\n');
      await server.waitFor(/before/, 5_000);

      await h1.cutLink();
      socket.write('during\n');
      await new Promise((r) => setTimeout(r, 2_000));
      assert.deepEqual(events, [], 'the open connection sees neither reset nor close');
      assert.doesNotMatch(server.output, /during/, 'nothing reaches h1');
      await assert.rejects(fetchText(url, 1_500), (err: Error) => err.name === 'TimeoutError' || /EHOSTUNREACH/.test(String((err.cause as Error)?.message)));
      assert.notEqual((await h2.exec('busybox', ['ping', '-c', '1', '-W', '1', h1.ip])).code, 0, 'h2 cannot reach h1');

      await h1.restoreLink();
      assert.equal((await until<string>(() => fetchText(url, 2_000).catch(() => false), 15_000, 'h1 reachable again')).trim(), 'served by h1');
      // TCP retransmits what was written during the cut, on the same connection.
      await server.waitFor(/during/, 30_000);
      assert.deepEqual(events, []);
    } finally {
      socket.destroy();
    }
  });

  test('destroy leaves no namespace, link, bridge, table, process, mount or file of the network', async (t) => {
    h3.spawn('sleep', ['600']);
    const containers = await Promise.all(
      net.hosts.map(async (h) => Promise.all((await h.engine.docker.listContainers()).map((c) => h.engine.docker.getContainer(c.Id).inspect()))),
    );
    const trace: Trace = {
      id: net.id,
      dir: net.dir,
      inodes: net.hosts.map((h) => statSync(h.netns).ino),
      pids: [
        ...net.hosts.map((h) => Number(readFileSync(join(h.dir, 'engine', 'podman.pid'), 'utf8'))),
        ...containers.flat().map((c) => c.State.Pid),
      ],
      sandboxes: containers.flat().map((c) => c.NetworkSettings.SandboxKey),
    };
    assert.ok(trace.sandboxes.length > 0 && (await remains(trace)).length > 0, 'the check sees a live network');
    const t0 = performance.now();
    await net.destroy();
    t.diagnostic(`destroyed in ${ms(t0)} ms`);
    assert.deepEqual(await remains(trace), []);
  });
});

describe('a network is removed when the file that made it fails', { timeout: 240_000 }, () => {
  /** Runs the fixture in a mode; resolves its trace once the network is up. */
  const start = (mode: string) => {
    // Without the test runner's variables, so its node:test reports in text, as a file run alone.
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('NODE_TEST')));
    const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE, mode], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.once('exit', (code, signal) => resolve({ code, signal })),
    );
    const trace = new Promise<Trace>((resolve, reject) => {
      const take = (d: Buffer): void => {
        output += d.toString();
        const m = /^NETWORK (.+)$/m.exec(output);
        if (m) {
          const { sandbox, ...rest } = JSON.parse(m[1]!) as Omit<Trace, 'sandboxes'> & { sandbox: string };
          resolve({ ...rest, sandboxes: [sandbox] });
        }
      };
      child.stdout.on('data', take);
      child.stderr.on('data', (d: Buffer) => (output += d.toString()));
      void exited.then(() => reject(new Error(`fixture ${mode} exited before its network was up:\n${output}`)));
    });
    const ended = async (): Promise<{ code: number | null; signal: NodeJS.Signals | null; output: string }> => {
      const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
      const end = await exited;
      clearTimeout(timer);
      return { ...end, output };
    };
    return { child, trace, ended };
  };

  for (const [mode, code] of [['uncaught', 1], ['test', 1], ['forgotten', 0]] as const) {
    test(`${mode}: once the process has exited, nothing is left`, async () => {
      const fixture = start(mode);
      const trace = await fixture.trace;
      const end = await fixture.ended();
      assert.equal(end.code, code, end.output);
      assert.deepEqual(await remains(trace), [], end.output);
    });
  }

  test('SIGTERM: once the process has exited, nothing is left', async () => {
    const fixture = start('signal');
    const trace = await fixture.trace;
    fixture.child.kill('SIGTERM');
    const end = await fixture.ended();
    assert.equal(end.signal, 'SIGTERM', end.output);
    assert.deepEqual(await remains(trace), [], end.output);
  });

  test('SIGKILL: the next network made removes what the killed run left', async () => {
    const fixture = start('signal');
    const trace = await fixture.trace;
    fixture.child.kill('SIGKILL');
    await fixture.ended();
    assert.ok((await remains(trace)).length > 0, 'a killed run leaves its network behind');
    const next = await createTestNetwork({ name: 'after-a-killed-run', hosts: 1 });
    try {
      // The number freed may be taken again; the check would then see the new network.
      assert.notEqual(next.id, trace.id);
      assert.deepEqual(await remains(trace), []);
    } finally {
      await next.destroy();
    }
  });
});

describe('a host that runs a Docker Engine of its own', { timeout: 120_000 }, () => {
  test("destroy leaves none of its containers: their processes (children of containerd's shims) and cgroups go too", async () => {
    const net = await createTestNetwork({ name: 'hosts-dockerd', hosts: 1 });
    try {
      const h1 = net.hosts[0]!;
      const dir = join(h1.dir, 'dockerd');
      const socket = join(dir, 'docker.sock');
      const dockerd = h1.spawn('dockerd', ['--data-root', join(dir, 'data'), '--exec-root', join(dir, 'exec'), '-H', `unix://${socket}`, '--pidfile', join(dir, 'pid'), '--bridge', 'none', '--iptables=false']);
      const docker = new Dockerode({ socketPath: socket });
      await until(() => docker.ping().then(() => true, () => false), 60_000, 'dockerd in h1');
      await buildBusyboxImage(docker, TEST_IMAGE);
      const container = await docker.createContainer({ Image: TEST_IMAGE, Cmd: ['sleep', '600'] });
      await container.start();
      const { State } = await container.inspect();
      const cgroup = readFileSync(`/proc/${State.Pid}/cgroup`, 'utf8').match(/^\d+:pids:(\/.+)$/m)?.[1];
      assert.ok(cgroup && existsSync(`/sys/fs/cgroup/pids${cgroup}`), `the container has a cgroup of its own (${cgroup})`);
      const trace: Trace = { id: net.id, dir: net.dir, inodes: [statSync(h1.netns).ino], pids: [dockerd.child.pid!, State.Pid], sandboxes: [] };
      await net.destroy();
      assert.deepEqual(await remains(trace), []);
      assert.equal(existsSync(`/sys/fs/cgroup/pids${cgroup}`), false, 'its cgroup is removed');
    } finally {
      await net.destroy();
    }
  });
});
