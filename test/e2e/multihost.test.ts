// A cluster across real hosts (network namespaces on a test bridge, each with its own Podman,
// address and agent; docs/testing.md). `berth up` runs the manager and Berth's registry in the
// root namespace, on the bridge's address, and prints the join line each host runs. The service's
// image is pushed to that registry, and each host's engine pulls it over TLS verified against the
// cluster root, which the host's agent gave its engine (no --insecure-registry anywhere), as in
// production. The docker CLI sees the hosts Ready and spreads a service over them; a host whose
// link is cut loses its tasks to the others and, back, rejoins with no duplicate; a removed node's
// agent is refused, stops and takes the registry's root out of its engine's certificates.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { connect, type PeerCertificate } from 'node:tls';
import { loadIdentity } from '../../src/agent/session/identity.js';
import { join as joinCluster, renew } from '../../src/agent/session/manager-client.js';
import { LABEL_SERVICE } from '../../src/agent/tasks/container-config.js';
import { TEST_ENGINE_DIR, TEST_IMAGE, testEngine } from '../helpers/engine.js';
import { createTestNetwork, type TestNetwork } from '../helpers/hosts/index.js';
import type { CapturedProcess } from '../helpers/process.js';
import { BIN, BerthProcess, docker, freePort, managerApi, tempDir, type TaskJson } from '../helpers/berth.js';
import { TEST_ADMIN_PASSWORD } from '../helpers/registry-auth.js';
import { commandRunner } from '../helpers/run.js';
import { until } from '../helpers/wait.js';

describe('a secure cluster on three real hosts, pulling from Berth\'s registry over TLS', { timeout: 300_000 }, () => {
  let net: TestNetwork | undefined;
  let manager: BerthProcess;
  let url = '';
  let joinLine: string[] = [];
  /** HOST:PORT of the registry, on the bridge's address. */
  let registry = '';
  let image = '';
  let rootCA = '';
  const agents = new Map<string, CapturedProcess>();
  const dir = tempDir('multihost');
  const { api, running } = managerApi(() => url);
  const nodeOf = new Map<string, string>();
  const trustFile = (host: string): string => join(net!.host(host).certsDir, registry, `berth-${nodeOf.get(host)}.crt`);

  const startAgent = (host: string): CapturedProcess => {
    // The printed line as is; --hostname and --data-dir added, and where this host's engine reads
    // registry certificates (its own directory: the hosts share one filesystem).
    const h = net!.host(host);
    const agent = h.spawn(process.execPath, [BIN, ...joinLine, '--hostname', host, '--data-dir', join(h.dir, 'agent'), '--registry-certs-dir', h.certsDir], { BERTH_LOG_LEVEL: 'info' });
    agents.set(host, agent);
    return agent;
  };

  before(async () => {
    net = await createTestNetwork({ name: 'multihost', hosts: 3 });
    // The test image is in the shared engine (root namespace), where it is pushed from; the hosts' engines start empty.
    const [engine] = await Promise.all([testEngine(), net.startEngines()]);
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    // The manager's own node runs on the shared engine and is drained below: the hosts run the tasks.
    manager = new BerthProcess(
      ['up', '--data-dir', dir, '--listen', `127.0.0.1:${port}`, '--insecure-api', '--cluster-listen', `${net.gateway}:0`, '--registry', `${net.gateway}:0`, '--engine', engine.url, '--hostname', 'manager'],
      { BERTH_ADMIN_PASSWORD: TEST_ADMIN_PASSWORD },
    );
    const [, line] = await manager.waitFor(/^\s+(berth agent --join \S+ --token \S+)$/m);
    joinLine = line!.split(' ').slice(1);
    assert.equal(joinLine[2], `${net.gateway}:${joinLine[2]!.split(':')[1]}`, 'the advertised address is the one the manager listens on');
    [, registry] = (await manager.waitFor(/podman login (\S+) -u admin/)) as [string, string];
    assert.match(registry, new RegExp(`^${net.gateway.replace(/\./g, '\\.')}:\\d+$`));
    image = `${registry}/library/busybox:1`;
    rootCA = readFileSync(join(dir, 'client', 'ca.pem'), 'utf8');
    assert.equal((await docker(url, ['node', 'update', '--availability', 'drain', 'manager'])).code, 0);

    // Pushed as an operator would: podman trusting the cluster root (the printed ca.pem) for the registry.
    const certs = join(dir, 'push-certs');
    mkdirSync(certs);
    writeFileSync(join(certs, 'ca.crt'), rootCA);
    const run = commandRunner({ ...process.env, CONTAINERS_CONF: join(TEST_ENGINE_DIR, 'containers.conf') });
    await run('podman', ['push', '--quiet', '--cert-dir', certs, '--creds', `admin:${TEST_ADMIN_PASSWORD}`, TEST_IMAGE, image]);

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
    rmSync(dir, { recursive: true, force: true });
  });

  test('every host joined with the printed line and is Ready, at its own address, with a certificate', async () => {
    await until(async () => (await api<{ Status: { State: string } }[]>('/nodes')).filter((n) => n.Status.State === 'ready').length === 4, 30_000, 'three hosts and the manager ready');
    const ls = await docker(url, ['node', 'ls', '--format', '{{.Hostname}} {{.Status}} {{.Availability}}']);
    assert.deepEqual(ls.stdout.trim().split('\n').sort(), ['h1 Ready Active', 'h2 Ready Active', 'h3 Ready Active', 'manager Ready Drain']);
    for (const h of net!.hosts) {
      const node = await api<{ Status: { Addr: string }; Certificate?: { NotAfter: string } }>(`/nodes/${nodeOf.get(h.name)}`);
      assert.equal(node.Status.Addr, h.ip);
      assert.ok(node.Certificate && Date.parse(node.Certificate.NotAfter) > Date.now() + 80 * 24 * 3600_000, '90-day certificate');
    }
  });

  test('the registry serves TLS with a certificate from the cluster CA, its token realm too; nothing on a host trusts it before its agent pulls', async () => {
    const [host, port] = [registry.split(':')[0]!, Number(registry.split(':')[1])];
    const peer = await new Promise<PeerCertificate>((resolve, reject) => {
      const socket = connect({ host, port, ca: rootCA }, () => {
        resolve(socket.getPeerCertificate());
        socket.end();
      });
      socket.on('error', reject);
    });
    assert.equal(peer.issuer.CN, 'swarm-ca');
    assert.match(peer.subjectaltname ?? '', new RegExp(`IP Address:${host.replace(/\./g, '\\.')}(,|$)`));
    const challenge = await new Promise<{ status?: number; auth?: string }>((resolve, reject) =>
      request({ host, port, path: '/v2/', ca: rootCA }, (res) => {
        res.resume();
        resolve({ status: res.statusCode, auth: res.headers['www-authenticate'] });
      })
        .on('error', reject)
        .end(),
    );
    assert.equal(challenge.status, 401);
    assert.match(challenge.auth ?? '', new RegExp(`^Bearer realm="https://${registry.replace(/\./g, '\\.')}/service/token"`));
    // TLS verification is on: without the cluster root a client on a host refuses the registry.
    const refused = await net!.host('h1').exec('skopeo', ['inspect', `docker://${image}`]);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /x509: certificate signed by unknown authority/);
    for (const h of net!.hosts) assert.equal(existsSync(join(h.certsDir, registry)), false, `${h.name}: nothing written before a pull`);
  });

  test('a 6-replica service of the registry\'s image spreads over the hosts, each pulling over verified TLS; a host whose link is cut loses its tasks to the others, and rejoins without duplicates', async () => {
    const r = await docker(url, ['service', 'create', '-d', '--name', 'web', '--replicas', '6', image, 'sleep', '100000']);
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stderr, /could not be accessed on a registry/, 'the manager verified its registry and pinned the digest');
    const spec = await api<{ Spec: { TaskTemplate: { ContainerSpec: { Image: string } } } }>('/services/web');
    assert.match(spec.Spec.TaskTemplate.ContainerSpec.Image, new RegExp(`^${image.replace(/\./g, '\\.')}@sha256:[0-9a-f]{64}$`));
    await until(async () => (await running('web')).length === 6, 60_000, 'six running');
    const perNode = (tasks: TaskJson[]) => [...nodeOf.values()].map((id) => tasks.filter((t) => t.NodeID === id).length);
    assert.deepEqual(perNode(await running('web')), [2, 2, 2]);
    for (const h of net!.hosts) {
      const pulled = await h.engine.docker.listImages();
      assert.ok(pulled.some((i) => (i.RepoDigests ?? []).some((d) => d.startsWith(`${registry}/library/busybox@sha256:`))), `${h.name} pulled the image from the registry`);
      assert.equal(readFileSync(trustFile(h.name), 'utf8'), rootCA, `${h.name}: its engine trusts the cluster root for the registry`);
      assert.match(agents.get(h.name)!.output, /"plainHttp":false/);
      assert.doesNotMatch(agents.get(h.name)!.output, /"plainHttp":true/);
    }
    assert.ok(joinLine.every((a) => !a.includes('insecure')));

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
      const r = await docker(url, ['service', 'create', '-d', '--name', 'uses-secret', '--replicas', '2', '--secret', 'wire', image, 'sleep', '100000']);
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
    // The registry now serves a certificate from the new root: a client trusting only it connects.
    const [rhost, rport] = [registry.split(':')[0]!, Number(registry.split(':')[1])];
    await until(
      () =>
        new Promise<boolean>((resolve) => {
          const socket = connect({ host: rhost, port: rport, ca: newRoot }, () => {
            socket.end();
            resolve(true);
          });
          socket.on('error', () => resolve(false));
        }),
      10_000,
      'the registry re-keyed to the new root',
    );
    // h1's certificate from before the rotation opens nothing now.
    await assert.rejects(renew(oldIdentity), /refused|socket|certificate|ECONNRESET|handshake/i);
    await assert.rejects(joinCluster(joinLine[2]!, oldToken, 'late'), /does not match the join token/);
    await until(async () => (await api<{ Status: { State: string } }[]>('/nodes')).every((n) => n.Status.State === 'ready'), 30_000, 'every host connected with its new certificate');
  });

  test('a removed node is refused at once: its agent stops, says why and removes the registry\'s root from its engine', async () => {
    const h2 = agents.get('h2')!;
    const r = await docker(url, ['node', 'rm', '--force', 'h2']);
    assert.equal(r.code, 0, r.stderr);
    await h2.waitFor(/was removed from the cluster/, 20_000);
    await until(() => h2.child.exitCode !== null, 20_000, 'agent exited');
    assert.equal(h2.child.exitCode, 1);
    assert.equal(existsSync(join(net!.host('h2').certsDir, registry)), false, "h2's engine no longer trusts the cluster root for the registry");
    assert.ok(existsSync(trustFile('h1')), 'the other hosts still do');
  });
});
