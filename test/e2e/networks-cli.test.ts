// End to end: swarm networks and published ports through the stock docker CLI, on a real
// `berth manager` and one `berth agent` on the Podman engine. Tests run in order on one cluster.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type Dockerode from 'dockerode';
import { testEngine } from '../helpers/engine.js';
import { BerthProcess, docker, dockerOk, freePort, startAgent, startManager, tempDir } from '../helpers/berth.js';
import type { ManagerProcess } from '../helpers/berth.js';
import { until } from '../helpers/wait.js';

const IMAGE = 'localhost/berth-demo:1';
/** A web server answering "ok" on port 80 (busybox httpd serves / with index.html). */
const WEB = ['sh', '-c', 'echo ok > /index.html && exec httpd -f -p 80 -h /'];
const NET = 'e2e-backend';

interface NetworkJson {
  Name: string;
  Id: string;
  Scope: string;
  Driver: string;
  Attachable: boolean;
  Internal: boolean;
  IPAM: { Driver: string; Config: { Subnet: string; Gateway: string }[] };
  Containers: Record<string, unknown>;
  Labels: Record<string, string>;
}

describe('networks and published ports through the docker CLI', { timeout: 600_000 }, () => {
  let engine: { docker: Dockerode; url: string };
  let dir: string;
  let manager: ManagerProcess;
  let agent: BerthProcess;
  let nodeId: string;
  let networkId: string;

  const cli = (args: string[]) => docker(manager.url, args);
  const ok = (args: string[]) => dockerOk(manager.url, args);
  /** Running containers of a service on our node. */
  const containers = async (service: string): Promise<Dockerode.ContainerInfo[]> =>
    engine.docker.listContainers({ filters: { label: [`berth.node.id=${nodeId}`, `com.docker.swarm.service.name=${service}`] } });
  /** exec runs a command in a container through the engine (as `docker exec`) and returns its output. */
  const exec = async (containerId: string, cmd: string[]): Promise<{ code: number; out: string }> => {
    const r = await docker(engine.url, ['exec', containerId, ...cmd], 60_000);
    return { code: r.code, out: r.stdout + r.stderr };
  };
  const runningTasks = async (service: string): Promise<number> => {
    const out = await ok(['service', 'ps', service, '--filter', 'desired-state=running', '--format', '{{.CurrentState}}']);
    return out.split('\n').filter((l) => l.startsWith('Running')).length;
  };

  before(async () => {
    engine = await testEngine();
    dir = tempDir('e2e-net');
    const port = await freePort();
    manager = await startManager(join(dir, 'manager'), port);
    agent = startAgent({ join: manager.join, token: manager.token, engine: engine.url, hostname: 'e2e-net-a', dataDir: join(dir, 'agent') });
    nodeId = await until(async () => {
      const nodes = (await (await fetch(`${manager.url}/nodes`)).json()) as { ID: string; Status: { State: string } }[];
      return nodes.find((n) => n.Status.State === 'ready')?.ID;
    }, 60_000, 'the agent to join');
  });

  after(async () => {
    await cli(['service', 'rm', 'web', 'client', 'hostweb', 'ingressweb', 'zd']);
    await until(async () => (await engine.docker.listContainers({ all: true, filters: { label: [`berth.node.id=${nodeId}`] } })).length === 0, 60_000, 'containers removed').catch(
      () => undefined,
    );
    await agent.stop();
    await manager.proc.stop();
    for (const n of await engine.docker.listNetworks({ filters: { label: [`berth.network.id=${networkId}`] } })) {
      await engine.docker.getNetwork(n.Id).remove().catch(() => undefined);
    }
    rmSync(dir, { recursive: true, force: true });
  });

  test('docker network create -d overlay --attachable; other drivers and duplicates are refused clearly', async () => {
    networkId = (await ok(['network', 'create', '-d', 'overlay', '--attachable', '--label', 'team=a', NET])).trim();
    assert.match(networkId, /^[0-9a-z]{25}$/);
    const bridge = await cli(['network', 'create', 'e2e-plain']);
    assert.notEqual(bridge.code, 0);
    assert.match(bridge.stderr, /network driver "bridge" is not available on a Berth swarm.*-d overlay/);
    const dup = await cli(['network', 'create', '-d', 'overlay', NET]);
    assert.notEqual(dup.code, 0);
    assert.match(dup.stderr, new RegExp(`network with name ${NET} already exists`));
  });

  test('docker network ls and inspect show the swarm network with its allocated subnet', async () => {
    const ls = await ok(['network', 'ls']);
    assert.match(ls, new RegExp(`${networkId.slice(0, 12)}\\s+${NET}\\s+overlay\\s+swarm`));
    assert.equal((await ok(['network', 'ls', '--filter', 'label=team=a', '--format', '{{.Name}}'])).trim(), NET);
    assert.equal((await ok(['network', 'ls', '--filter', 'driver=bridge', '-q'])).trim(), '');
    const [net] = JSON.parse(await ok(['network', 'inspect', NET])) as NetworkJson[];
    assert.equal(net!.Id, networkId);
    assert.equal(net!.Scope, 'swarm');
    assert.equal(net!.Driver, 'overlay');
    assert.equal(net!.Attachable, true);
    assert.deepEqual(net!.Labels, { team: 'a' });
    assert.match(net!.IPAM.Config[0]!.Subnet, /^10\.\d+\.\d+\.0\/24$/);
    assert.equal(net!.IPAM.Config[0]!.Gateway, net!.IPAM.Config[0]!.Subnet.replace(/0\/24$/, '1'));
    // The CLI's own lookup by ID prefix.
    assert.equal((await ok(['network', 'inspect', '--format', '{{.Name}}', networkId.slice(0, 6)])).trim(), NET);
  });

  test('two services on the network reach each other by service name and tasks.<name>', async () => {
    await ok(['service', 'create', '--name', 'web', '--replicas', '2', '--network', NET, IMAGE, ...WEB]);
    // --init: an init as PID 1 reaps the processes the request loop below leaves behind.
    await ok(['service', 'create', '--name', 'client', '--init', '--network', `name=${NET},alias=frontend`, IMAGE, 'sleep', '100000']);
    const spec = JSON.parse(await ok(['service', 'inspect', 'web'])) as { Spec: { TaskTemplate: { Networks: { Target: string }[] } } }[];
    assert.equal(spec[0]!.Spec.TaskTemplate.Networks[0]!.Target, networkId, 'the service stores the network ID');
    // --pretty names it, through GET /networks/{id}?scope=swarm.
    assert.match(await ok(['service', 'inspect', '--pretty', 'web']), new RegExp(`Networks:\\s+${NET}`));
    const [client] = await containers('client');
    const webs = await containers('web');
    assert.ok(client);
    assert.equal(webs.length, 2);
    const get = await exec(client.Id, ['wget', '-q', '-O', '-', 'http://web/']);
    assert.equal(get.out.trim(), 'ok', get.out);
    const tasks = await exec(client.Id, ['nslookup', 'tasks.web']);
    const addresses = [...tasks.out.matchAll(/Address: (10\.\d+\.\d+\.\d+)/g)].map((m) => m[1]);
    assert.equal(new Set(addresses).size, 2, `tasks.web resolves to both tasks:\n${tasks.out}`);
    // And back, by the client's service name and by its spec alias.
    for (const name of ['client', 'frontend']) {
      const back = await exec(webs[0]!.Id, ['nslookup', name]);
      assert.match(back.out, /Address: 10\.\d+\.\d+\.\d+/, `${name}:\n${back.out}`);
    }
    // The agent made one engine network for it, labelled with the Berth network's ID.
    const engineNets = await engine.docker.listNetworks({ filters: { label: [`berth.network.id=${networkId}`] } });
    assert.equal(engineNets.length, 1);
  });

  test('docker network rm of a network in use is refused, naming the service', async () => {
    const r = await cli(['network', 'rm', NET]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, new RegExp(`network ${NET} \\(${networkId}\\) is in use by service (web|client)`));
  });

  test('--publish mode=host answers on the host at the published port; inspect and ps show it', async () => {
    const port = await freePort();
    await ok(['service', 'create', '--name', 'hostweb', '--publish', `mode=host,target=80,published=${port}`, IMAGE, ...WEB]);
    const body = await until(async () => {
      const res = await fetch(`http://127.0.0.1:${port}/`).catch(() => undefined);
      return res?.ok && (await res.text());
    }, 30_000, 'the host port to answer');
    assert.equal(body.trim(), 'ok');
    const [svc] = JSON.parse(await ok(['service', 'inspect', 'hostweb'])) as { Endpoint: { Ports: unknown[] } }[];
    assert.deepEqual(svc!.Endpoint.Ports, [{ Protocol: 'tcp', TargetPort: 80, PublishedPort: port, PublishMode: 'host' }]);
    assert.match(await ok(['service', 'ps', 'hostweb', '--format', '{{.Ports}}']), new RegExp(`\\*:${port}->80/tcp`));
  });

  test('an ingress publish goes through the routing mesh: no warning, VIP on the ingress network, ls PORTS', async () => {
    const port = await freePort();
    const r = await cli(['service', 'create', '--name', 'ingressweb', '--publish', `published=${port},target=80`, IMAGE, ...WEB]);
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stderr, /routing mesh/);
    type Inspected = { UpdateStatus?: unknown; Endpoint: { VirtualIPs?: { NetworkID: string; Addr: string }[] } };
    // The allocator gives the VIP just after the create.
    const svc = await until(async () => {
      const [s] = JSON.parse(await ok(['service', 'inspect', 'ingressweb'])) as Inspected[];
      return s?.Endpoint.VirtualIPs && s;
    }, 10_000, 'the virtual IP');
    assert.equal(svc.UpdateStatus, undefined);
    const ingressId = (await ok(['network', 'inspect', 'ingress', '--format', '{{.Id}}'])).trim();
    assert.deepEqual(svc.Endpoint.VirtualIPs?.map((v) => v.NetworkID), [ingressId]);
    assert.match(await ok(['service', 'ls', '--filter', 'name=ingressweb', '--format', '{{.Ports}}']), new RegExp(`\\*:${port}->80/tcp`));
    const res = await until(() => fetch(`http://127.0.0.1:${port}/`).catch(() => undefined), 30_000, 'the ingress port to answer');
    assert.equal(res.status, 200);
  });

  test('start-first rolling updates drop no request from a client looping on the service name', async (t) => {
    // With a healthcheck a task answers to the name only once it is healthy; without one it does
    // from the moment its container starts, before its server may listen (as in Swarm).
    const health = ['--health-cmd', 'wget -q -O /dev/null http://127.0.0.1/', '--health-interval', '500ms'];
    await ok(['service', 'create', '--name', 'zd', '--replicas', '2', '--network', NET, '--update-order', 'start-first', ...health, IMAGE, ...WEB]);
    const [client] = await containers('client');
    const before = new Set((await containers('zd')).map((c) => c.Id));
    assert.equal(before.size, 2);
    // The loop counts requests until /stop exists, then writes "<requests> <dropped> <lookups
    // retried>" to /result and what went wrong to /errors. A request is dropped when it does not
    // get "ok" back. A failed lookup is retried (every 0.3 s, for 3 s) and counted: Berth's
    // resolver answers from the manager's view and should never fail one.
    const loop = [
      'i=0; f=0; d=0',
      // A request that hangs (busybox wget has no timeout of its own) is cut at 10 s: a drop.
      'get() { out=$(timeout 10 wget -q -O - http://zd/ 2>&1) || out="$out (exit $?)"; }',
      'while [ ! -e /stop ]; do',
      '  i=$((i+1)); get; n=0',
      '  while [ $n -lt 10 ] && case "$out" in *"bad address"*) true ;; *) false ;; esac; do',
      '    n=$((n+1)); d=$((d+1)); sleep 0.3; get',
      '  done',
      '  [ "$out" = ok ] || { f=$((f+1)); echo "dropped: $out" >> /errors; }',
      '  [ $i = 20 ] && touch /warm',
      'done',
      'echo "$i $f $d" > /result',
    ].join('\n');
    const started = await docker(engine.url, ['exec', '-d', client!.Id, 'sh', '-c', loop]);
    assert.equal(started.code, 0, started.stderr);
    await until(async () => (await exec(client!.Id, ['test', '-e', '/warm'])).code === 0, 30_000, 'the loop to run').catch(async (err: Error) => {
      const why = await exec(client!.Id, ['sh', '-c', 'cat /etc/resolv.conf /errors; ps; time wget -q -O - http://zd/']);
      throw new Error(`${err.message}:\n${why.out}`);
    });
    await ok(['service', 'update', '--env-add', 'VERSION=2', 'zd']);
    const middle = new Set((await containers('zd')).map((c) => c.Id));
    await ok(['service', 'update', '--env-add', 'VERSION=3', 'zd']);
    await exec(client!.Id, ['touch', '/stop']);
    const result = await until(async () => {
      const r = await exec(client!.Id, ['cat', '/result']);
      return r.code === 0 && r.out.trim();
    }, 30_000, 'the loop to finish').catch(async (err: Error) => {
      const why = await exec(client!.Id, ['sh', '-c', 'ps; cat /errors']);
      throw new Error(`${err.message}:\n${why.out}`);
    });
    const [requests, failures, retried] = result.split(' ').map(Number);
    const after = (await containers('zd')).map((c) => c.Id);
    assert.equal(after.length, 2);
    const history = await ok(['service', 'ps', 'zd', '--no-trunc', '--format', '{{.Name}} {{.DesiredState}} {{.CurrentState}} {{.Error}}']);
    assert.ok(after.every((id) => !before.has(id) && !middle.has(id)), `both tasks were replaced, twice:\n${history}`);
    t.diagnostic(`${requests} requests across two updates, ${failures} dropped, ${retried} lookups retried`);
    assert.equal(retried, 0, 'every lookup answered');
    assert.equal(await runningTasks('zd'), 2);
    assert.ok(requests! >= 200, `the loop ran across the update (${requests} requests)`);
    assert.equal(failures, 0, `${failures} of ${requests} requests dropped:\n${(await exec(client!.Id, ['cat', '/errors'])).out}`);
  });

  test('an attachable network keeps its engine network without services (plain containers may join); docker network rm removes it', async () => {
    await ok(['service', 'rm', 'web', 'client', 'zd']);
    const engineNetworks = async (): Promise<number> => (await engine.docker.listNetworks({ filters: { label: [`berth.network.id=${networkId}`] } })).length;
    await until(async () => (await cli(['network', 'rm', NET])).code === 0, 60_000, 'docker network rm once the tasks are gone');
    assert.doesNotMatch(await ok(['network', 'ls']), new RegExp(NET));
    await until(async () => (await engineNetworks()) === 0, 60_000, 'the engine network removed');
  });
});
