// Overlay networks across three real hosts (network namespaces on a test bridge, each with its
// own Podman and agent; docs/testing.md), driven through the docker CLI: a stack spread over the
// hosts reaches its services by name, tasks.NAME, virtual IP and alias across hosts; dnsrr; an
// internal network has no way out; an encrypted network shows only WireGuard on the wire; an ingress
// port answers on every host, spreads over every replica and follows scaling; a start-first
// update under load drops nothing; an agent kill -9 keeps containers connected and rebuilds
// nothing; `docker stack rm` leaves nothing behind; bad input gets Docker's errors; a host lost
// leaves the mesh within the node-loss time. See docs/networking.md.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { get } from 'node:http';
import { join } from 'node:path';
import { LABEL_SERVICE } from '../../src/agent/tasks/container-config.js';
import { execIn, TEST_IMAGE, testEngine } from '../helpers/engine.js';
import { createTestNetwork, saveImage, type TestHost, type TestNetwork } from '../helpers/hosts/index.js';
import type { CapturedProcess } from '../helpers/process.js';
import { BIN, docker, freePort, managerApi, startManager, tempDir, type ManagerProcess, type TaskJson } from '../helpers/berth.js';
import { until } from '../helpers/wait.js';

const STACK = 'ov';
/** A web server answering its container's hostname, so a client sees which replica served it. */
const WEB = ['sh', '-c', 'mkdir -p /www && hostname > /www/index.html && exec httpd -f -p 80 -h /www'];
const HEALTH = { test: ['CMD', 'wget', '-q', '-O', '/dev/null', 'http://127.0.0.1/'], interval: '1s', timeout: '1s', retries: 3, start_period: '1s' };

const compose = (image: string): string =>
  JSON.stringify({
    version: '3.8',
    services: {
      web: { image, command: WEB, healthcheck: HEALTH, networks: ['front', 'back'], deploy: { replicas: 3, update_config: { order: 'start-first', parallelism: 1 } } },
      api: { image, command: WEB, networks: { back: { aliases: ['backend-api'] } }, deploy: { replicas: 2, endpoint_mode: 'dnsrr' } },
      vault: { image, command: WEB, networks: ['secure'], deploy: { placement: { constraints: ['node.hostname == h2'] } } },
      client: { image, command: ['sleep', '100000'], networks: ['front', 'back', 'secure'], deploy: { placement: { constraints: ['node.hostname == h1'] } } },
      isolated: { image, command: ['sleep', '100000'], networks: ['priv'], deploy: { placement: { constraints: ['node.hostname == h2'] } } },
    },
    networks: { front: {}, back: {}, secure: { driver_opts: { encrypted: '' } }, priv: { internal: true } },
  });

/** One request on a connection of its own (keep-alive would pin every request to one backend): the body, or FAILED. */
function getOnce(url: string, timeoutMs = 3000): Promise<string> {
  return new Promise((resolve) => {
    const req = get(url, { agent: false, timeout: timeoutMs }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve(res.statusCode === 200 ? body.trim() : 'FAILED'));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve('FAILED'));
  });
}

describe('overlay networks, virtual IPs, service DNS and the routing mesh on three real hosts', { timeout: 600_000 }, () => {
  let net: TestNetwork | undefined;
  let manager: ManagerProcess;
  const agents = new Map<string, CapturedProcess>();
  const nodeOf = new Map<string, string>();
  const dir = tempDir('overlay');
  const { api, running } = managerApi(() => manager.url);
  const cli = (args: string[], timeoutMs?: number) => docker(manager.url, args, timeoutMs);
  const host = (name: string): TestHost => net!.host(name);

  const startAgent = (name: string): CapturedProcess => {
    const h = host(name);
    const agent = h.spawn(process.execPath, [BIN, 'agent', '--join', manager.join, '--token', manager.token, '--engine', h.engine.url, '--hostname', name, '--data-dir', join(h.dir, 'agent'), '--tunnel-interface', `bwg-${name}`], {
      BERTH_LOG_LEVEL: 'info',
    });
    agents.set(name, agent);
    return agent;
  };

  /** The container of a running task of the service, and the host whose engine runs it. */
  const containerOf = async (service: string, onHost?: string): Promise<{ id: string; host: TestHost }> => {
    const tasks = await running(service);
    const task = tasks.find((t) => !onHost || t.NodeID === nodeOf.get(onHost));
    assert.ok(task, `${service} has a running task${onHost ? ` on ${onHost}` : ''}`);
    const name = [...nodeOf].find(([, id]) => id === task.NodeID)![0];
    return { id: task.Status.ContainerStatus!.ContainerID!, host: host(name) };
  };
  const execOn = async (service: string, cmd: string[], onHost?: string): Promise<{ code: number; output: string }> => {
    const c = await containerOf(service, onHost);
    return execIn(c.host.engine.docker, c.id, cmd);
  };
  /** Addresses a name resolves to, as the client container's resolver answers it. */
  const resolve = async (name: string): Promise<string[]> => {
    const r = await execOn(`${STACK}_client`, ['nslookup', '-type=a', name]);
    const answer = r.output.split(/\nName:/).slice(1).join('\n');
    return [...answer.matchAll(/Address:\s*([\d.]+)/g)].map((m) => m[1]!).sort();
  };
  /** Which replicas (hostnames) answer `count` requests to url from the client container. */
  const replicasBehind = async (url: string, count: number): Promise<Set<string>> => {
    const r = await execOn(`${STACK}_client`, ['sh', '-c', `for i in $(seq ${count}); do wget -q -O - ${url} || echo FAILED; done`]);
    return new Set(r.output.split('\n').filter(Boolean));
  };
  const vipOf = async (service: string, network: string): Promise<string> => {
    const s = await api<{ Endpoint: { VirtualIPs?: { NetworkID: string; Addr: string }[] } }>(`/services/${service}`);
    const n = await api<{ Id: string }>(`/networks/${network}`);
    const vip = s.Endpoint.VirtualIPs?.find((v) => v.NetworkID === n.Id)?.Addr;
    assert.ok(vip, `${service} has a virtual IP on ${network}`);
    return vip.split('/')[0]!;
  };
  /** What the host's kernel holds for Berth: links, forwarding entries, neighbours and nft rules. */
  const kernelState = async (h: TestHost): Promise<string> => {
    const out = await Promise.all([
      h.exec('ip', ['-o', '-d', 'link', 'show']),
      h.exec('bridge', ['fdb', 'show']),
      h.exec('ip', ['neigh', 'show', 'nud', 'permanent']),
      h.exec('nft', ['list', 'ruleset']),
    ]);
    // Interface indexes and counters change without anything being rebuilt.
    return out.map((r) => r.stdout.replace(/packets \d+ bytes \d+/g, '').replace(/(\w+_timer)\s+[\d.]+/g, '$1')).join('\n---\n');
  };

  before(async () => {
    net = await createTestNetwork({ name: 'overlay', hosts: 3 });
    const [engine] = await Promise.all([testEngine(), net.startEngines()]);
    const image = join(dir, 'image.tar');
    await saveImage(engine.docker, TEST_IMAGE, image);
    await Promise.all(net.hosts.map((h) => h.loadImage(image)));
    // The manager listens for agents on the bridge's address, where the hosts reach it.
    manager = await startManager(join(dir, 'manager'), await freePort(), {}, { args: ['--cluster-listen', `${net.gateway}:0`] });
    for (const h of net.hosts) startAgent(h.name);
    for (const [name, agent] of agents) nodeOf.set(name, (await agent.waitFor(/\(node (\w+)\)/))[1]!);
    await until(async () => (await api<{ Status: { State: string } }[]>('/nodes')).filter((n) => n.Status.State === 'ready').length === 3, 30_000, 'three hosts ready');
    writeFileSync(join(dir, 'stack.yml'), compose(TEST_IMAGE));
  });

  after(async () => {
    await Promise.all([...agents.values()].map((a) => a.stop()));
    await manager?.proc.stop();
    await net?.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  test('a stack over three hosts: names, tasks.NAME, virtual IPs and aliases across hosts; dnsrr; addresses in inspect', async () => {
    const r = await cli(['stack', 'deploy', '-c', join(dir, 'stack.yml'), STACK], 120_000);
    assert.equal(r.code, 0, r.stderr);
    for (const [service, n] of [['web', 3], ['api', 2], ['vault', 1], ['client', 1], ['isolated', 1]] as const) {
      await until(async () => (await running(`${STACK}_${service}`)).length === n, 90_000, `${service}: ${n} running`);
    }
    const web = await running(`${STACK}_web`);
    assert.equal(new Set(web.map((t) => t.NodeID)).size, 3, 'web spread over the three hosts');
    // Every task has its address on each network, in the network's subnet, shown by inspect.
    const back = await api<{ Id: string; IPAM: { Config: { Subnet: string }[] }; Options: Record<string, string> }>(`/networks/${STACK}_back`);
    assert.match(back.Options['com.docker.network.driver.overlay.vxlanid_list'] ?? '', /^\d+$/);
    const prefix = back.IPAM.Config[0]!.Subnet.split('.').slice(0, 3).join('.');
    const addresses = web.map((t) => t.NetworksAttachments!.find((a) => a.Network.ID === back.Id)!.Addresses![0]!);
    for (const a of addresses) assert.ok(a.startsWith(`${prefix}.`) && a.endsWith('/24'), `${a} in ${back.IPAM.Config[0]!.Subnet}`);
    const ps = await cli(['inspect', '--format', '{{range .NetworksAttachments}}{{.Addresses}}{{end}}', web[0]!.ID]);
    assert.equal(ps.code, 0, ps.stderr);
    assert.match(ps.stdout, new RegExp(addresses[0]!.split('/')[0]!.replace(/\./g, '\\.')));

    // By name and STACK_NAME: the virtual IP, behind which all three replicas answer.
    // The client is on front and back (the CLI sorts a service's networks): the name is the VIP on its first.
    const vips = [await vipOf(`${STACK}_web`, `${STACK}_front`), await vipOf(`${STACK}_web`, `${STACK}_back`)];
    const [vip, ...more] = await resolve('web');
    assert.ok(vip && more.length === 0 && vips.includes(vip), `web is one of its VIPs ${vips.join(', ')}: ${vip}`);
    assert.deepEqual(await resolve(`${STACK}_web`), [vip]);
    const behindName = await replicasBehind('http://web/', 30);
    assert.ok(!behindName.has('FAILED'), [...behindName].join(','));
    assert.equal(behindName.size, 3, `three replicas on three hosts answer through the VIP: ${[...behindName].join(',')}`);
    assert.equal((await replicasBehind(`http://${vip}/`, 30)).size, 3, 'by the VIP itself');
    // tasks.NAME: every replica's address; dnsrr: task addresses for the name and its alias.
    assert.equal((await resolve('tasks.web')).length, 3);
    const api2 = await resolve('api');
    assert.equal(api2.length, 2, 'dnsrr: the task addresses');
    assert.deepEqual(await resolve('backend-api'), api2, 'a network alias');
    assert.deepEqual(await resolve('tasks.backend-api'), api2, 'tasks.ALIAS');
    // One request: glibc orders a name's addresses by prefix match (RFC 3484 rule 9), so a
    // dnsrr name does not spread a busybox client's requests, with Swarm as with Berth.
    assert.equal((await replicasBehind('http://api/', 1)).size, 1);
    // A name that is nobody's is NXDOMAIN, not a hang.
    assert.deepEqual(await resolve('nosuchservice'), []);
  });

  test('an internal network has no way out; the others reach the outside', async () => {
    const outside = `${net!.gateway}`;
    assert.equal((await execOn(`${STACK}_client`, ['ping', '-c', '1', '-W', '2', outside])).code, 0, 'a task on a plain overlay reaches the outside');
    assert.notEqual((await execOn(`${STACK}_isolated`, ['ping', '-c', '1', '-W', '2', outside])).code, 0, 'a task on an internal overlay does not');
  });

  test('an encrypted network: between hosts the wire carries only the tunnel (WireGuard), never VXLAN in the clear', async () => {
    const h1 = host('h1').ip;
    const h2 = host('h2').ip;
    const dump = spawn('tcpdump', ['-i', net!.bridge, '-n', '-l', '-c', '400', `host ${h1} and host ${h2} and udp`], { stdio: ['ignore', 'pipe', 'ignore'] });
    let seen = '';
    dump.stdout.on('data', (d: Buffer) => (seen += d.toString()));
    await new Promise((r) => setTimeout(r, 500));
    try {
      const got = await replicasBehind('http://vault/', 5);
      assert.deepEqual([...got].filter((h) => !/^[0-9a-f]{12}$/.test(h)), [], 'vault answered every request');
      await new Promise((r) => setTimeout(r, 300));
    } finally {
      dump.kill();
    }
    assert.match(seen, /\.51820 > [\d.]+\.51820: UDP/, 'WireGuard packets between the hosts');
    assert.doesNotMatch(seen, /\.(4789|4790): /, 'no VXLAN on the wire');
    // The vault's VXLAN runs inside the tunnel: its devices send from the tunnel address, on a port of their own.
    const links = await host('h2').exec('ip', ['-d', 'link', 'show']);
    assert.match(links.stdout, /vxlan id \d+ local 10\.255\.\d+\.\d+ .*dstport 4790/);
  });

  test('an ingress port answers on every host, one without a task too, spreads over all replicas and follows scaling', async () => {
    const port = await freePort();
    const r = await cli(['service', 'create', '-d', '--name', 'pub', '--publish', `${port}:80`, '--replicas', '2', '--constraint', 'node.hostname!=h3', TEST_IMAGE, ...WEB]);
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stderr, /routing mesh/, 'no warning: the mesh exists');
    await until(async () => (await running('pub')).length === 2, 60_000, 'pub running');
    const fetchFrom = async (hostIp: string, n: number): Promise<Set<string>> => {
      const seen = new Set<string>();
      for (let i = 0; i < n; i++) seen.add(await getOnce(`http://${hostIp}:${port}/`));
      return seen;
    };
    const onH3 = await until(async () => {
      const s = await fetchFrom(host('h3').ip, 20);
      return s.size === 2 && !s.has('FAILED') && s;
    }, 15_000, 'h3, which runs no task, answers from both replicas');
    assert.equal(onH3.size, 2);
    for (const h of ['h1', 'h2']) {
      await until(async () => {
        const seen = await fetchFrom(host(h).ip, 20);
        return seen.size === 2 && !seen.has('FAILED');
      }, 10_000, `${h} spreads too`);
    }
    // Ingress ports are not engine port bindings: nothing is bound by the engine on any host.
    const inspect = await api<{ Endpoint: { VirtualIPs: { NetworkID: string }[]; Ports: { PublishMode: string }[] } }>('/services/pub');
    assert.equal(inspect.Endpoint.Ports[0]!.PublishMode, 'ingress');
    const ingress = await api<{ Id: string; Ingress: boolean }>('/networks/ingress');
    assert.ok(ingress.Ingress);
    assert.ok(inspect.Endpoint.VirtualIPs.some((v) => v.NetworkID === ingress.Id), 'a VIP on the ingress network, as Swarm fills it');
    assert.equal((await cli(['service', 'update', '-d', '--constraint-rm', 'node.hostname!=h3', '--replicas', '4', 'pub'])).code, 0);
    await until(async () => (await fetchFrom(host('h3').ip, 40)).size === 4, 30_000, 'scaled to four: all four answer');
    // The constraint change replaces the first two tasks too: let that finish before the next tests.
    await until(async () => (await api<{ UpdateStatus?: { State?: string } }>('/services/pub')).UpdateStatus?.State === 'completed', 60_000, 'pub updated');
  });

  test('a start-first rolling update under a request loop through the VIP from another host drops nothing', async () => {
    const loop = execOn(`${STACK}_client`, [
      'sh',
      '-c',
      'ok=0; fail=0; while [ ! -f /stop-loop ]; do if wget -q -O /dev/null http://web/; then ok=$((ok+1)); else fail=$((fail+1)); fi; usleep 20000; done; echo "ok=$ok fail=$fail"',
    ]);
    await new Promise((r) => setTimeout(r, 1000));
    const r = await cli(['service', 'update', '--force', `${STACK}_web`], 180_000);
    await execOn(`${STACK}_client`, ['touch', '/stop-loop']);
    const result = (await loop).output;
    assert.equal(r.code, 0, r.stderr);
    const [, ok, fail] = /ok=(\d+) fail=(\d+)/.exec(result) ?? [];
    assert.ok(Number(ok) > 50, `requests went on during the update: ${result}`);
    assert.equal(Number(fail), 0, `no request failed: ${result}`);
    await execOn(`${STACK}_client`, ['rm', '-f', '/stop-loop']);
  });

  test('agent kill -9 and restart: containers stay connected and nothing is rebuilt', async (t) => {
    const h2 = host('h2');
    // A restart shorter than the node-loss time: the node stays up and keeps its tasks (as with
    // Swarm, a longer absence moves them).
    assert.equal((await cli(['swarm', 'update', '--dispatcher-heartbeat', '10s'])).code, 0);
    const target = (await running(`${STACK}_web`)).find((t) => t.NodeID === nodeOf.get('h2'))!;
    const ip = target.NetworksAttachments![0]!.Addresses![0]!.split('/')[0]!;
    const before = await kernelState(h2);
    const loop = execOn(`${STACK}_client`, ['sh', '-c', `ok=0; fail=0; while [ ! -f /stop-loop ]; do if wget -q -O /dev/null http://${ip}/; then ok=$((ok+1)); else fail=$((fail+1)); fi; usleep 20000; done; echo "ok=$ok fail=$fail"`]);
    t.after(async () => void (await cli(['swarm', 'update', '--dispatcher-heartbeat', '2s'])));
    await agents.get('h2')!.stop('SIGKILL');
    await new Promise((r) => setTimeout(r, 1000));
    const agent = startAgent('h2');
    await agent.waitFor(/session with manager established/);
    await new Promise((r) => setTimeout(r, 3000));
    await execOn(`${STACK}_client`, ['touch', '/stop-loop']);
    const result = (await loop).output;
    await execOn(`${STACK}_client`, ['rm', '-f', '/stop-loop']);
    assert.match(result, /fail=0/, `the task on h2 answered throughout: ${result}`);
    const now = await kernelState(h2);
    const changed = now.split('\n').filter((l) => !before.includes(l));
    assert.deepEqual(changed, [], `the restarted agent changed nothing in the kernel; now different:\n${changed.join('\n')}\nbefore:\n${before}`);
    assert.equal((await running(`${STACK}_web`)).find((x) => x.ID === target.ID)?.Status.ContainerStatus?.ContainerID, target.Status.ContainerStatus?.ContainerID, 'same container');
  });

  test('bad input: overlapping and invalid subnets, an exhausted subnet, a network in use — Docker\'s errors', async () => {
    const back = await api<{ IPAM: { Config: { Subnet: string }[] } }>(`/networks/${STACK}_back`);
    const overlap = await cli(['network', 'create', '-d', 'overlay', '--subnet', back.IPAM.Config[0]!.Subnet, 'clash']);
    assert.notEqual(overlap.code, 0);
    assert.match(overlap.stderr, /overlap/i);
    const invalid = await cli(['network', 'create', '-d', 'overlay', '--subnet', '10.300.0.0/24', 'bad']);
    assert.notEqual(invalid.code, 0);
    assert.match(invalid.stderr, /subnet/i);
    const inUse = await cli(['network', 'rm', `${STACK}_back`]);
    assert.notEqual(inUse.code, 0);
    assert.match(inUse.stderr, new RegExp(`${STACK}_(web|api|client)`));
    // A /29 holds five addresses: the rest of the replicas wait, saying why.
    assert.equal((await cli(['network', 'create', '-d', 'overlay', '--subnet', '10.250.9.0/29', 'tiny'])).code, 0);
    assert.equal((await cli(['service', 'create', '-d', '--name', 'crowd', '--network', 'tiny', '--replicas', '8', '--endpoint-mode', 'dnsrr', TEST_IMAGE, 'sleep', '100000'])).code, 0);
    const waiting = await until(async () => {
      const tasks = await api<TaskJson[]>(`/tasks?filters=${encodeURIComponent(JSON.stringify({ service: { crowd: true } }))}`);
      return tasks.find((t) => /no IP address left/i.test(`${t.Status.Message} ${t.Status.Err ?? ''}`));
    }, 30_000, 'a task waiting for an address');
    assert.match(`${waiting.Status.Err ?? waiting.Status.Message}`, /tiny/);
    const ps = await cli(['service', 'ps', '--no-trunc', '--format', '{{.CurrentState}} {{.Error}}', 'crowd']);
    assert.match(ps.stdout, /no IP address left/i);
    assert.equal((await cli(['service', 'rm', 'crowd'])).code, 0);
    await until(async () => (await cli(['network', 'rm', 'tiny'])).code === 0, 30_000, 'tiny removed once crowd is gone');
  });

  test('an attachable network: a plain container on one host and a task on another reach each other by name and VIP; the manager knows it, keeps its network, and forgets it once gone', async (t) => {
    assert.equal((await cli(['network', 'create', '-d', 'overlay', '--attachable', 'shared'])).code, 0);
    const anchor = await cli(['service', 'create', '-d', '--name', 'anchor', '--network', 'shared', '--constraint', 'node.hostname==h1', TEST_IMAGE, ...WEB]);
    assert.equal(anchor.code, 0, anchor.stderr);
    await until(async () => (await running('anchor')).length === 1, 60_000, 'anchor running on h1');
    const shared = await api<{ Id: string }>('/networks/shared');
    const engineName = `berth_shared_${shared.Id.slice(0, 12)}`;
    const h2 = host('h2');
    // No task of it runs on h2, yet its engine has the network: a plain container may join anywhere.
    await until(async () => (await h2.engine.docker.listNetworks({ filters: { name: [engineName] } })).length === 1, 15_000, `${engineName} on h2`);
    // Podman gives a container on a network without its own DNS server the host's nameservers: Berth's resolver, on the gateway, is asked for.
    const gateway = ((await h2.engine.docker.getNetwork(engineName).inspect()).IPAM!.Config as { Gateway: string }[])[0]!.Gateway;
    const probe = await h2.engine.docker.createContainer({ Image: TEST_IMAGE, name: 'probe', Cmd: WEB, HostConfig: { NetworkMode: engineName, Dns: [gateway] } });
    t.after(() => probe.remove({ force: true }).catch(() => undefined));
    await probe.start();
    const endpoint = (await probe.inspect()).NetworkSettings.Networks[engineName]!;
    // Podman handed out an address from h2's block, which no task can get.
    const leases = (await new Promise<{ subnets: { lease_range?: { start_ip: string; end_ip: string } }[] }>((resolve, reject) =>
      h2.engine.docker.modem.dial({ path: `/v4.0.0/libpod/networks/${engineName}/json`, method: 'GET', statusCodes: { 200: true } }, (err, data) => (err ? reject(err) : resolve(data as never))),
    )).subnets[0]!.lease_range!;
    const last = (a: string): number => Number(a.split('.')[3]);
    assert.ok(last(endpoint.IPAddress) >= last(leases.start_ip) && last(endpoint.IPAddress) <= last(leases.end_ip), `${endpoint.IPAddress} in ${leases.start_ip}-${leases.end_ip}`);
    assert.equal(last(leases.end_ip) - last(leases.start_ip), 15, 'a block of 16');

    // A task on h1 reaches it by its container name, and it reaches the task's service by name (the VIP).
    const anchorName = (await execOn('anchor', ['hostname'])).output.trim();
    await until(async () => (await execOn('anchor', ['wget', '-q', '-O', '-', 'http://probe/'])).output.trim() === probe.id.slice(0, 12), 15_000, 'anchor on h1 reaches probe on h2 by name');
    assert.equal((await execIn(h2.engine.docker, probe.id, ['wget', '-q', '-O', '-', 'http://anchor/'])).output.trim(), anchorName);
    const h1Fdb = async (): Promise<string> => (await host('h1').exec('bridge', ['fdb', 'show'])).stdout;
    assert.match(await h1Fdb(), new RegExp(`${endpoint.MacAddress} dev bx\\d+ dst ${h2.ip}`), 'h1 forwards its MAC to h2');

    // Docker's rule: a network with endpoints stays, with or without a service on it.
    assert.equal((await cli(['service', 'rm', 'anchor'])).code, 0);
    const rm = await cli(['network', 'rm', 'shared']);
    assert.notEqual(rm.code, 0);
    assert.match(rm.stderr, /has active endpoints \(container probe on node h2\)/);
    // A network that is not attachable takes no plain container: the engine has no address to give it.
    const back = await api<{ Id: string }>(`/networks/${STACK}_back`);
    const stray = await h2.engine.docker.createContainer({ Image: TEST_IMAGE, Cmd: ['true'], HostConfig: { NetworkMode: `berth_${STACK}_back_${back.Id.slice(0, 12)}` } });
    await assert.rejects(stray.start(), /failed to find free IP/);
    await stray.remove({ force: true });

    // Gone: h1 forgets it, and the network can go.
    await probe.remove({ force: true });
    await until(async () => !(await h1Fdb()).includes(endpoint.MacAddress), 15_000, 'h1 dropped its forwarding entry');
    await until(async () => (await cli(['network', 'rm', 'shared'])).code === 0, 30_000, 'shared removed once probe is gone');
    await until(async () => (await h2.engine.docker.listNetworks({ filters: { name: [engineName] } })).length === 0, 15_000, `${engineName} gone from h2`);
  });

  test('docker stack rm leaves no interfaces, forwarding entries, neighbours or rules behind on any host', async () => {
    const networks = await Promise.all(['front', 'back', 'secure', 'priv'].map((n) => api<{ Id: string }>(`/networks/${STACK}_${n}`)));
    assert.equal((await cli(['stack', 'rm', STACK])).code, 0);
    for (const h of net!.hosts) {
      await until(async () => (await h.engine.docker.listContainers({ all: true, filters: { label: [`${LABEL_SERVICE}`] } })).filter((c) => c.Labels['com.docker.stack.namespace'] === STACK).length === 0, 60_000, `${h.name}: stack containers gone`);
      await until(async () => {
        const state = await kernelState(h);
        return networks.every((n) => !state.includes(n.Id.slice(0, 12)));
      }, 15_000, `${h.name}: nothing of the stack's networks left in the kernel`);
      const xfrm = await h.exec('ip', ['xfrm', 'state']);
      assert.equal(xfrm.stdout.trim(), '', `${h.name}: no IPsec state once no encrypted network is left`);
    }
  });

  test('a host lost: requests through the mesh recover within the node-loss time', async () => {
    const port = (await api<{ Endpoint: { Ports: { PublishedPort: number }[] } }>('/services/pub')).Endpoint.Ports[0]!.PublishedPort;
    await host('h3').cutLink();
    const lostAt = Date.now();
    await until(async () => {
      for (let i = 0; i < 10; i++) {
        if ((await getOnce(`http://${host('h1').ip}:${port}/`, 1000)) === 'FAILED') return false;
      }
      return true;
    }, 30_000, 'ten requests in a row through h1 succeed without h3');
    const recovered = Date.now() - lostAt;
    // Node loss: three missed heartbeats (2 s each) and a pass of the loops.
    assert.ok(recovered < 15_000, `recovered in ${recovered} ms`);
    await host('h3').restoreLink();
  });
});
