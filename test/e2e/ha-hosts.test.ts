// Highly available managers on three real hosts (network namespaces on a test bridge, docs/testing.md):
// each host runs an etcd member, a manager (`berth manager --store etcd://...`, the second and
// third joined with the manager token) and an agent on its own Podman. The API is reached through
// each manager's unix socket with the stock docker CLI; followers pass writes to the leader over
// TLS. Killing the leader's process moves its agents to the new leader with no task restarted;
// cutting the leader's host off makes it stop leading while the others elect, and its return
// leaves no task run twice; losing etcd's quorum stops writes, not tasks. See docs/ha.md.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { get } from 'node:http';
import { join } from 'node:path';
import { LABEL_SERVICE } from '../../src/agent/tasks/container-config.js';
import { TEST_IMAGE, testEngine } from '../helpers/engine.js';
import { createTestNetwork, saveImage, startHostEtcd, type TestHost, type TestNetwork } from '../helpers/hosts/index.js';
import type { CapturedProcess } from '../helpers/process.js';
import { BIN, docker, tempDir, type TaskJson } from '../helpers/berth.js';
import { until } from '../helpers/wait.js';

interface NodeJson {
  ID: string;
  Description: { Hostname: string };
  Spec: { Role: string };
  Status: { State: string };
  ManagerStatus?: { Leader?: boolean; Reachability: string; Addr: string };
}

describe('managers on three real hosts over etcd: losing the leader costs seconds of writes and no task', { timeout: 600_000 }, () => {
  let net: TestNetwork | undefined;
  const managers = new Map<string, CapturedProcess>();
  const agents = new Map<string, CapturedProcess>();
  let etcdMembers: CapturedProcess[] = [];
  let managerToken = '';
  let workerToken = '';
  const dir = tempDir('ha-hosts');

  const socket = (h: TestHost) => `unix://${join(h.dir, 'manager', 'berth.sock')}`;
  const cli = (h: TestHost, args: string[]) => docker(socket(h), args, 60_000);
  const ok = async (h: TestHost, args: string[]): Promise<string> => {
    const r = await cli(h, args);
    assert.equal(r.code, 0, `docker ${args.join(' ')} on ${h.name}: ${r.stderr}`);
    return r.stdout;
  };
  const json = async <T>(h: TestHost, args: string[]): Promise<T> => JSON.parse(await ok(h, args)) as T;
  const hosts = () => net!.hosts;
  /** withLogs adds each manager's last log lines to a failure: what the election did is there. */
  const withLogs = (body: () => Promise<void>) => async () => {
    try {
      await body();
    } catch (err) {
      const logs = [...managers].map(([name, p]) => `--- manager on ${name}\n${p.output.split('\n').slice(-25).join('\n')}`).join('\n');
      throw new Error(`${(err as Error).message}\n${logs}`, { cause: err });
    }
  };
  /** GET `path` on `h`'s manager through its unix socket (a file: reachable from outside the host's namespace). */
  const viaSocket = <T>(h: TestHost, path: string): Promise<T> =>
    new Promise((resolve, reject) => {
      get({ socketPath: join(h.dir, 'manager', 'berth.sock'), path }, (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => (res.statusCode === 200 ? resolve(JSON.parse(body) as T) : reject(new Error(`GET ${path}: ${res.statusCode} ${body}`))));
      }).on('error', reject);
    });
  const etcdUrl = () => `etcd://${hosts().map((h) => `${h.ip}:2379`).join(',')}`;

  function startManager(h: TestHost, join?: string): CapturedProcess {
    const args = [BIN, 'manager', '--data-dir', `${h.dir}/manager`, '--listen', `${h.ip}:7420`, '--cluster-listen', `${h.ip}:2377`, '--advertise-addr', h.ip, '--store', etcdUrl()];
    if (join) args.push('--join', join, '--token', managerToken);
    const p = h.spawn(process.execPath, args, { BERTH_LOG_LEVEL: 'info' });
    managers.set(h.name, p);
    return p;
  }

  /** The nodes as `h`'s manager shows them. */
  const inspectNodes = async (h: TestHost): Promise<NodeJson[]> => json<NodeJson[]>(h, ['node', 'inspect', ...(await ok(h, ['node', 'ls', '-q'])).trim().split('\n')]);
  /** The host whose manager leads, as `from` sees it. */
  const leaderHost = async (from: TestHost): Promise<TestHost | undefined> => {
    const l = (await inspectNodes(from)).find((n) => n.ManagerStatus?.Leader);
    return hosts().find((h) => l?.ManagerStatus?.Addr === `${h.ip}:2377`);
  };
  const tasks = async (h: TestHost, service: string): Promise<TaskJson[]> => {
    const ids = (await ok(h, ['service', 'ps', '-q', '--no-trunc', service])).trim().split('\n').filter(Boolean);
    return ids.length ? json<TaskJson[]>(h, ['inspect', '--type', 'task', ...ids]) : [];
  };
  const running = async (h: TestHost, service: string) => (await tasks(h, service)).filter((t) => t.DesiredState === 'running' && t.Status.State === 'running');
  /** The service's containers on every host's engine, running or not: one per task the cluster wants. */
  const containers = async (serviceId: string) =>
    (await Promise.all(hosts().map(async (h) => (await h.engine.docker.listContainers({ all: true, filters: { label: [`${LABEL_SERVICE}=${serviceId}`], status: ['running'] } })).map((c) => ({ host: h.name, id: c.Id }))))).flat();

  before(async () => {
    net = await createTestNetwork({ name: 'ha-hosts', hosts: 3 });
    const [engine] = await Promise.all([testEngine(), net.startEngines()]);
    const image = join(dir, 'image.tar');
    await saveImage(engine.docker, TEST_IMAGE, image);
    await Promise.all(net.hosts.map((h) => h.loadImage(image)));
    etcdMembers = (await startHostEtcd(net.hosts)).members;
    const [h1, h2, h3] = net.hosts as [TestHost, TestHost, TestHost];
    await startManager(h1).waitFor(/cluster port \S+\n/, 60_000);
    managerToken = (await ok(h1, ['swarm', 'join-token', '-q', 'manager'])).trim();
    workerToken = (await ok(h1, ['swarm', 'join-token', '-q', 'worker'])).trim();
    await Promise.all([startManager(h2, `${h1.ip}:2377`), startManager(h3, `${h1.ip}:2377`)].map((p) => p.waitFor(/cluster port \S+\n/, 60_000)));
    // Each host's agent joins through its own manager: a follower sends it to the leader.
    for (const h of net.hosts) {
      agents.set(h.name, h.spawn(process.execPath, [BIN, 'agent', '--join', `${h.ip}:2377`, '--token', workerToken, '--engine', h.engine.url, '--hostname', h.name, '--data-dir', `${h.dir}/agent`, '--registry-certs-dir', h.certsDir], { BERTH_LOG_LEVEL: 'info' }));
    }
  });

  after(async () => {
    for (const m of etcdMembers) m.child.kill('SIGCONT');
    await Promise.all([...agents.values(), ...managers.values()].map((p) => p.stop('SIGKILL')));
    await net?.destroy();
  });

  test('three managers (one Leader, two Reachable) and three workers Ready; a service created through a follower spreads over the hosts', withLogs(async () => {
    const [, h2, h3] = hosts() as [TestHost, TestHost, TestHost];
    await until(async () => (await inspectNodes(h3)).filter((n) => n.Status.State === 'ready').length === 6, 60_000, 'six nodes ready');
    const list = await inspectNodes(h2);
    const ms = list.filter((n) => n.ManagerStatus);
    assert.equal(ms.length, 3);
    assert.deepEqual(ms.map((n) => (n.ManagerStatus!.Leader ? 'Leader' : n.ManagerStatus!.Reachability)).sort(), ['Leader', 'reachable', 'reachable']);
    await ok(h3, ['service', 'create', '-d', '--name', 'web', '--replicas', '6', TEST_IMAGE, 'sleep', '100000']);
    await until(async () => (await running(h2, 'web')).length === 6, 90_000, 'six running');
    // The leader recorded it, naming the follower's client (root on its unix socket), not the follower.
    const leader = (await leaderHost(h2))!;
    assert.notEqual(leader, h3, 'created through a follower');
    const [entry] = await viaSocket<{ User: string; Auth: string; Source: string; Object: { Name: string } }[]>(leader, '/berth/v1/audit?action=service.create');
    assert.deepEqual([entry?.Object.Name, entry?.User, entry?.Auth, entry?.Source], ['web', 'root', 'unix-socket', 'local']);

    // A login through a follower over TLS without credentials: the leader answers it as the
    // client's (not the follower's, an admin's), and the session works through another manager.
    const password = /Admin password of user admin \(shown once[^:]*\): (\S+)/.exec(managers.get('h1')?.output ?? '')?.[1];
    assert.ok(password, 'the first manager printed the first admin\'s password');
    /** curl, in `h`'s namespace, to its own manager, with no client certificate. */
    const curl = async (h: TestHost, path: string, args: string[]) => (await h.exec('curl', ['-sS', '--cacert', join(hosts()[0]!.dir, 'manager', 'client', 'ca.pem'), ...args, `https://${h.ip}:7420${path}`])).stdout;
    const follower = hosts().find((h) => h !== leader)!;
    const session = JSON.parse(await curl(follower, '/berth/v1/login', ['-H', 'content-type: application/json', '-d', JSON.stringify({ Username: 'admin', Password: password })])) as { Token?: string; message?: string };
    assert.ok(session.Token, JSON.stringify(session));
    const other = hosts().find((h) => h !== leader && h !== follower)!;
    assert.deepEqual(JSON.parse(await curl(other, '/berth/v1/whoami', ['-H', `authorization: Bearer ${session.Token}`])), { User: 'admin', Auth: 'session', Role: 'admin', Teams: [] });
    const wrong = JSON.parse(await curl(follower, '/berth/v1/login', ['-H', 'content-type: application/json', '-d', JSON.stringify({ Username: 'admin', Password: 'wrong' })])) as { message: string };
    assert.equal(wrong.message, 'wrong user name or password');
  }));

  test('kill -9 of the leader while scaling, at random points, several rounds: a new leader, agents follow with no task restarted, the scale converges with no duplicate, no acknowledged write lost', withLogs(async () => {
    const rounds = Number(process.env.BERTH_HA_ROUNDS ?? 3);
    const [h1] = hosts() as [TestHost];
    const serviceId = (await json<{ ID: string }[]>(h1, ['service', 'inspect', 'web']))[0]!.ID;
    const acknowledged: string[] = [];
    let replicas = 6;
    for (let round = 1; round <= rounds; round++) {
      const old = (await until(() => leaderHost(h1).catch(() => undefined), 30_000, 'a leader'))!;
      const other = hosts().find((h) => h !== old)!;
      const before = new Set((await containers(serviceId)).map((c) => c.id));
      assert.equal(before.size, replicas);
      replicas += 2;
      // The scale goes through a follower; the kill lands at a random point after it.
      await ok(other, ['service', 'scale', '-d', `web=${replicas}`]);
      await new Promise((r) => setTimeout(r, Math.random() * 1_500));
      await managers.get(old.name)!.stop('SIGKILL');
      // Writes through the survivors: each acknowledged one must stay.
      await until(async () => {
        const name = `ck-${round}-${Date.now()}`;
        const r = await cli(other, ['secret', 'create', name, '/etc/hostname']);
        if (r.code === 0) acknowledged.push(name);
        return r.code === 0;
      }, 30_000, 'a write acknowledged after the kill');
      const next = await until(async () => {
        const l = await leaderHost(other).catch(() => undefined);
        return l && l !== old ? l : undefined;
      }, 30_000, 'a new leader');
      assert.notEqual(next, old);
      await until(async () => (await running(other, 'web')).length === replicas && (await containers(serviceId)).length === replicas, 90_000, `${replicas} running, ${replicas} containers`);
      const after = new Set((await containers(serviceId)).map((c) => c.id));
      assert.ok([...before].every((id) => after.has(id)), 'no container of the service was restarted');
      // The killed manager comes back as a follower.
      startManager(old);
      await until(async () => (await inspectNodes(other)).filter((n) => n.ManagerStatus?.Reachability === 'reachable').length === 3, 60_000, 'three reachable managers');
      await until(async () => (await inspectNodes(other)).filter((n) => !n.ManagerStatus && n.Status.State === 'ready').length === 3, 60_000, 'three workers ready');
      const secrets = new Set((await ok(old, ['secret', 'ls', '--format', '{{.Name}}'])).trim().split('\n'));
      assert.ok(acknowledged.every((n) => secrets.has(n)), 'the restarted manager holds every acknowledged write');
    }
  }));

  test("the leader's host cut off: it stops leading, the others elect; back, it follows and no task runs twice", withLogs(async () => {
    const [h1] = hosts() as [TestHost];
    const cut = (await leaderHost(h1))!;
    const other = hosts().find((h) => h !== cut)!;
    const [service] = await json<{ ID: string; Spec: { Mode: { Replicated: { Replicas: number } } } }[]>(other, ['service', 'inspect', 'web']);
    const serviceId = service!.ID;
    const replicas = service!.Spec.Mode.Replicated.Replicas;
    await cut.cutLink();
    try {
      const next = await until(async () => {
        const l = await leaderHost(other).catch(() => undefined);
        return l && l !== cut ? l : undefined;
      }, 30_000, 'a leader among the others');
      assert.notEqual(next, cut);
      // Cut off from etcd's majority, the old leader steps down: its own API refuses writes.
      await until(async () => /not the leader|does not have a leader|not saved/.test((await cli(cut, ['secret', 'create', `cut-${Date.now()}`, '/etc/hostname'])).stderr), 30_000, 'the cut manager refusing writes');
      assert.match(managers.get(cut.name)!.output, /this manager lost the lead/);
      // Its host's tasks are replaced elsewhere.
      await until(async () => {
        const r = await running(other, 'web');
        const cutNode = (await inspectNodes(other)).find((n) => n.Description.Hostname === cut.name && !n.ManagerStatus)?.ID;
        return r.length === replicas && r.every((t) => t.NodeID !== cutNode);
      }, 90_000, 'all replicas running on the other hosts');
    } finally {
      await cut.restoreLink();
    }
    await until(async () => (await inspectNodes(other)).filter((n) => n.Status.State === 'ready').length === 6, 90_000, 'all six nodes back');
    await until(async () => (await containers(serviceId)).length === replicas, 60_000, 'one container per replica: the cut host removed its replaced copies');
    assert.equal((await running(other, 'web')).length, replicas);
    // Once its etcd member has caught up, it shows the new leader, not itself.
    await until(async () => {
      const leaders = (await inspectNodes(cut)).filter((n) => n.ManagerStatus?.Leader);
      return leaders.length === 1 && leaders[0]!.ManagerStatus!.Addr !== `${cut.ip}:2377`;
    }, 30_000, 'the cut manager to follow the new leader');
  }));

  test('losing 2 of 3 etcd members: writes answer an error naming no leader, reads work, every task runs on in its container; quorum back, writes resume and nothing restarted', withLogs(async () => {
    const h3 = hosts()[2]!;
    const [service] = await json<{ ID: string }[]>(h3, ['service', 'inspect', 'web']);
    const before = (await containers(service!.ID)).map((c) => c.id).sort();
    assert.ok(before.length > 0);
    for (const m of etcdMembers.slice(0, 2)) m.child.kill('SIGSTOP');
    try {
      await until(async () => {
        const r = await cli(h3, ['secret', 'create', `noquorum-${Date.now()}`, '/etc/hostname']);
        return r.code !== 0 && /does not have a leader|not the leader|not saved/.test(r.stderr);
      }, 60_000, 'writes refused without quorum');
      assert.equal((await cli(h3, ['service', 'ls'])).code, 0, 'reads work without quorum');
      assert.deepEqual((await containers(service!.ID)).map((c) => c.id).sort(), before, 'the tasks run on');
    } finally {
      for (const m of etcdMembers.slice(0, 2)) m.child.kill('SIGCONT');
    }
    await until(async () => (await cli(h3, ['secret', 'create', `quorum-${Date.now()}`, '/etc/hostname'])).code === 0, 60_000, 'writes to resume');
    await until(async () => (await running(h3, 'web')).length === before.length, 60_000, 'every task reported running again');
    assert.deepEqual((await containers(service!.ID)).map((c) => c.id).sort(), before, 'the same containers: none restarted, none added');
  }));
});
