// A cluster across real hosts (network namespaces on a test bridge, each with its own Podman,
// address and agent; docs/testing.md): the manager prints the join line, each host runs it,
// the docker CLI sees them Ready and spreads a service over them; a host whose link is cut
// loses its tasks to the others and, back, rejoins with no duplicate; a removed node's agent is
// refused and stops.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildBusyboxImage } from '../../src/agent/image-build.js';
import { loadIdentity } from '../../src/agent/identity.js';
import { join as joinCluster, renew } from '../../src/agent/manager-client.js';
import { LABEL_SERVICE } from '../../src/agent/container-config.js';
import { TEST_IMAGE } from '../helpers/engine.js';
import { createTestNetwork, saveImage, type TestNetwork } from '../helpers/hosts/index.js';
import type { CapturedProcess } from '../helpers/process.js';
import { BIN, BerthProcess, docker, freePort, managerApi, tempDir, type TaskJson } from '../helpers/berth.js';
import { until } from '../helpers/wait.js';

describe('a secure cluster on three real hosts', { timeout: 300_000 }, () => {
  let net: TestNetwork | undefined;
  let manager: BerthProcess;
  let url = '';
  let joinLine: string[] = [];
  const agents = new Map<string, CapturedProcess>();
  const dir = tempDir('multihost');
  const { api, running } = managerApi(() => url);
  const nodeOf = new Map<string, string>();

  const startAgent = (host: string): CapturedProcess => {
    // The printed line as is; only --hostname and --data-dir added.
    const agent = net!.host(host).spawn(process.execPath, [BIN, ...joinLine, '--hostname', host, '--data-dir', join(net!.host(host).dir, 'agent')], { BERTH_LOG_LEVEL: 'info' });
    agents.set(host, agent);
    return agent;
  };

  before(async () => {
    net = await createTestNetwork({ name: 'multihost', hosts: 3 });
    await net.startEngines();
    // Images reach the hosts from a file here; pulling from Berth's registry over TLS needs its certificate from the cluster CA.
    const [h1, ...rest] = net.hosts;
    await buildBusyboxImage(h1!.engine.docker, TEST_IMAGE);
    const image = join(net.dir, 'image.tar');
    await saveImage(h1!.engine.docker, TEST_IMAGE, image);
    await Promise.all(rest.map((h) => h.loadImage(image)));
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    manager = new BerthProcess(['manager', '--data-dir', join(dir, 'manager'), '--listen', `127.0.0.1:${port}`, '--insecure-api', '--cluster-listen', `${net.gateway}:0`]);
    const [, line] = await manager.waitFor(/^\s+(berth agent --join \S+ --token \S+)$/m);
    joinLine = line!.split(' ').slice(1);
    assert.equal(joinLine[2], `${net.gateway}:${joinLine[2]!.split(':')[1]}`, 'the advertised address is the one the manager listens on');
    for (const h of net.hosts) startAgent(h.name);
    for (const [name, agent] of agents) {
      const [, id] = await agent.waitFor(/\(node (\w+)\)/);
      nodeOf.set(name, id!);
    }
  });

  after(async () => {
    await Promise.all([...agents.values()].map((a) => a.stop()));
    await manager?.stop();
    await net?.destroy();
  });

  test('every host joined with the printed line and is Ready, at its own address, with a certificate', async () => {
    await until(async () => (await api<{ Status: { State: string } }[]>('/nodes')).filter((n) => n.Status.State === 'ready').length === 3, 30_000, 'three ready');
    const ls = await docker(url, ['node', 'ls', '--format', '{{.Hostname}} {{.Status}}']);
    assert.deepEqual(ls.stdout.trim().split('\n').sort(), ['h1 Ready', 'h2 Ready', 'h3 Ready']);
    for (const h of net!.hosts) {
      const node = await api<{ Status: { Addr: string }; Certificate?: { NotAfter: string } }>(`/nodes/${nodeOf.get(h.name)}`);
      assert.equal(node.Status.Addr, h.ip);
      assert.ok(node.Certificate && Date.parse(node.Certificate.NotAfter) > Date.now() + 80 * 24 * 3600_000, '90-day certificate');
    }
  });

  test('a 6-replica service spreads over the hosts; a host whose link is cut loses its tasks to the others, and rejoins without duplicates', async () => {
    const r = await docker(url, ['service', 'create', '-d', '--name', 'web', '--replicas', '6', TEST_IMAGE, 'sleep', '100000']);
    assert.equal(r.code, 0, r.stderr);
    await until(async () => (await running('web')).length === 6, 60_000, 'six running');
    const perNode = (tasks: TaskJson[]) => [...nodeOf.values()].map((id) => tasks.filter((t) => t.NodeID === id).length);
    assert.deepEqual(perNode(await running('web')), [2, 2, 2]);

    const h3 = net!.host('h3');
    const cutAt = Date.now();
    await h3.cutLink();
    await until(async () => {
      const tasks = await running('web');
      return tasks.length === 6 && tasks.every((t) => t.NodeID !== nodeOf.get('h3'));
    }, 60_000, 'h3 tasks running elsewhere');
    const movedMs = Date.now() - cutAt;
    const down = await api<{ Status: { State: string; Message: string } }>(`/nodes/${nodeOf.get('h3')}`);
    assert.deepEqual([down.Status.State, down.Status.Message], ['down', 'heartbeat failure']);

    await h3.restoreLink();
    await until(async () => (await api<{ Status: { State: string } }>(`/nodes/${nodeOf.get('h3')}`)).Status.State === 'ready', 60_000, 'h3 back');
    // What h3 ran was replaced: it removes its own copies; 6 containers run across the hosts.
    const { ID } = await api<{ ID: string }>('/services/web');
    const runningContainers = async () =>
      (await Promise.all(net!.hosts.map((h) => h.engine.docker.listContainers({ filters: { label: [`${LABEL_SERVICE}=${ID}`] } })))).flat().length;
    await until(async () => (await runningContainers()) === 6, 30_000, 'no duplicate containers');
    assert.equal((await running('web')).length, 6);
    process.stdout.write(`# tasks of a cut host running elsewhere after ${movedMs} ms\n`);
  });

  test('a secret crosses between hosts only inside TLS: a capture of the test network never shows it', async () => {
    const value = `berth-wire-secret-${Date.now()}`;
    const capture = join(net!.dir, 'wire.pcap');
    // -U writes each packet as it comes, so what was seen is on disk when tcpdump stops.
    const dump = spawn('tcpdump', ['-i', net!.bridge, '-U', '-s', '0', '-w', capture], { stdio: 'ignore' });
    try {
      await until(() => existsSync(capture), 10_000, 'tcpdump started');
      await new Promise((r) => setTimeout(r, 500));
      const file = join(dir, 'wire-secret');
      writeFileSync(file, value);
      const secret = await docker(url, ['secret', 'create', 'wire', file]);
      assert.equal(secret.code, 0, secret.stderr);
      const r = await docker(url, ['service', 'create', '-d', '--name', 'uses-secret', '--replicas', '2', '--secret', 'wire', TEST_IMAGE, 'sleep', '100000']);
      assert.equal(r.code, 0, r.stderr);
      await until(async () => (await running('uses-secret')).length === 2, 60_000, 'two running with the secret');
      // The control: the same value sent in the clear across the bridge must show in the capture.
      const udp = createSocket('udp4');
      await new Promise<void>((resolve, reject) => udp.send(`control:${value}`, 9, net!.host('h1').ip, (err) => (err ? reject(err) : resolve())));
      udp.close();
      await until(() => readFileSync(capture).includes(`control:${value}`), 10_000, 'the control in the capture');
    } finally {
      dump.kill('SIGINT');
      await new Promise((r) => dump.once('exit', r));
    }
    const bytes = readFileSync(capture);
    const count = (form: string): number => {
      let n = 0;
      for (let i = bytes.indexOf(form); i >= 0; i = bytes.indexOf(form, i + 1)) n++;
      return n;
    };
    // The control shows once, or twice when h1's ICMP "port unreachable" quotes it back.
    const controls = count(`control:${value}`);
    assert.ok(controls >= 1, 'the capture sees payloads crossing the bridge');
    assert.equal(count(value), controls, 'the secret is nowhere else on the wire');
    for (const form of [Buffer.from(value).toString('base64'), Buffer.from(value).toString('hex')]) {
      assert.equal(count(form), 0, `nor encoded (${form.slice(0, 12)}…)`);
    }
  });

  test('docker swarm ca --rotate moves every host to a new root with no task restart; old-root certificates are refused after', async () => {
    const before = await running('web');
    const oldRoot = (await docker(url, ['swarm', 'ca'])).stdout.trim();
    const oldToken = (await docker(url, ['swarm', 'join-token', '-q', 'worker'])).stdout.trim();
    const h1 = net!.host('h1');
    const oldIdentity = loadIdentity(join(h1.dir, 'agent'))!;
    const r = await docker(url, ['swarm', 'ca', '--rotate'], 120_000);
    assert.equal(r.code, 0, r.stderr);
    const newRoot = (await docker(url, ['swarm', 'ca'])).stdout.trim();
    assert.notEqual(newRoot, oldRoot);
    assert.ok(r.stdout.trim().endsWith(newRoot), 'the CLI followed the rotation to its end and printed the new root');
    const nodes = await api<{ Description: { TLSInfo: { TrustRoot: string } }; Certificate: { State: string } }[]>('/nodes');
    for (const n of nodes) {
      assert.equal(n.Description.TLSInfo.TrustRoot.trim(), newRoot, 'every node trusts only the new root');
      assert.equal(n.Certificate.State, 'issued');
    }
    const after = await running('web');
    assert.deepEqual(after.map((t) => `${t.ID}/${t.Status.ContainerStatus?.ContainerID}`).sort(), before.map((t) => `${t.ID}/${t.Status.ContainerStatus?.ContainerID}`).sort(), 'no task restarted');
    const info = await api<{ Swarm: { Cluster: { RootRotationInProgress: boolean } } }>('/info');
    assert.equal(info.Swarm.Cluster.RootRotationInProgress, false);
    // h1's certificate from before the rotation opens nothing now.
    await assert.rejects(renew(oldIdentity), /refused|socket|certificate|ECONNRESET|handshake/i);
    await assert.rejects(joinCluster(joinLine[2]!, oldToken, 'late'), /does not match the join token/);
    await until(async () => (await api<{ Status: { State: string } }[]>('/nodes')).every((n) => n.Status.State === 'ready'), 30_000, 'every host connected with its new certificate');
  });

  test('a removed node is refused at once: its agent stops and says why', async () => {
    const h2 = agents.get('h2')!;
    const r = await docker(url, ['node', 'rm', '--force', 'h2']);
    assert.equal(r.code, 0, r.stderr);
    await h2.waitFor(/was removed from the cluster/, 20_000);
    await until(() => h2.child.exitCode !== null, 20_000, 'agent exited');
    assert.equal(h2.child.exitCode, 1);
  });
});
