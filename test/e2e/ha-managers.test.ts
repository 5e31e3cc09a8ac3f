// Three real managers (bin/berth.js) over a real three-member etcd cluster on loopback: joining
// with the manager token, one Leader and two Reachable in the node list, writes through any of
// them, the leader killed (-9) twenty times at random points while a checker writes through
// every manager and verifies each acknowledged write after each round, a leader frozen off etcd
// (SIGSTOP) replaced and then following, the loss of etcd's quorum, and demotions with the docker
// CLI down to the last manager. See docs/ha.md.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BerthProcess, docker, freePort, tempDir, type DockerResult } from '../helpers/berth.js';
import { startEtcdCluster } from '../helpers/etcd.js';

interface Running {
  name: string;
  dir: string;
  apiPort: number;
  clusterPort: number;
  proc?: BerthProcess;
}

interface NodeJson {
  ID: string;
  Spec: { Role: string; Availability: string };
  Status: { State: string };
  ManagerStatus?: { Leader?: boolean; Reachability: string; Addr: string };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('three managers on a three-member etcd', { timeout: 600_000 }, () => {
  let etcd: Awaited<ReturnType<typeof startEtcdCluster>>;
  const managers: Running[] = [];
  let managerToken = '';
  /** Names of the secrets whose creation a manager acknowledged (201): each must exist from then on. */
  const acknowledged = new Set<string>();
  let writes = 0;

  const url = (m: Running) => `http://127.0.0.1:${m.apiPort}`;
  const live = () => managers.filter((m) => m.proc && m.proc.child.exitCode === null && m.proc.child.signalCode === null);

  async function start(m: Running, join?: string): Promise<void> {
    const args = ['manager', '--data-dir', m.dir, '--listen', `127.0.0.1:${m.apiPort}`, '--insecure-api', '--cluster-listen', `127.0.0.1:${m.clusterPort}`, '--store', `etcd://${etcd.endpoints}`];
    if (join) args.push('--join', join, '--token', managerToken);
    m.proc = new BerthProcess(args, { BERTH_LOG_LEVEL: 'info' });
    await m.proc.waitFor(/cluster port \S+\n/, 60_000);
  }

  async function request(m: Running, method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown }> {
    const res = await fetch(url(m) + path, {
      method,
      ...(body !== undefined && { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
      signal: AbortSignal.timeout(40_000),
    });
    const text = await res.text();
    return { status: res.status, json: text ? (JSON.parse(text) as unknown) : undefined };
  }

  const nodes = async (m: Running) => (await request(m, 'GET', '/nodes')).json as NodeJson[];

  /** The manager the others agree leads: its node is Leader in every live manager's list. */
  async function leader(): Promise<Running | undefined> {
    const seen = new Set<string>();
    for (const m of live()) {
      const l = (await nodes(m).catch(() => [])).find((n) => n.ManagerStatus?.Leader);
      seen.add(l?.ManagerStatus?.Addr ?? 'none');
    }
    const [addr] = [...seen];
    if (seen.size !== 1 || addr === 'none') return undefined;
    return managers.find((m) => addr === `127.0.0.1:${m.clusterPort}`);
  }

  async function until<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const v = await fn().catch(() => undefined);
      if (v !== undefined) return v;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n${managers.map((m) => `--- ${m.name}\n${m.proc?.output.slice(-3000)}`).join('\n')}`);
      await sleep(100);
    }
  }

  /** write creates one secret through `m`; it counts only when acknowledged. */
  async function write(m: Running): Promise<number> {
    const name = `ck-${++writes}`;
    const res = await request(m, 'POST', '/secrets/create', { Name: name, Data: Buffer.from(name).toString('base64') }).catch(() => ({ status: 0, json: undefined }));
    if (res.status === 201) acknowledged.add(name);
    return res.status;
  }

  /** verify checks that every live manager holds every acknowledged write. */
  async function verify(): Promise<void> {
    for (const m of live()) {
      const names = await until(`${m.name} to hold every acknowledged secret`, async () => {
        const have = new Set(((await request(m, 'GET', '/secrets')).json as { Spec: { Name: string } }[]).map((s) => s.Spec.Name));
        return [...acknowledged].every((n) => have.has(n)) ? have : undefined;
      });
      assert.ok(names.size >= acknowledged.size);
    }
  }

  before(async () => {
    etcd = await startEtcdCluster(3, 'ha-etcd');
    for (const name of ['m1', 'm2', 'm3']) managers.push({ name, dir: tempDir(`ha-${name}`), apiPort: await freePort(), clusterPort: await freePort() });
    await start(managers[0]!);
    managerToken = ((await request(managers[0]!, 'GET', '/swarm')).json as { JoinTokens: { Manager: string } }).JoinTokens.Manager;
    await Promise.all(managers.slice(1).map((m) => start(m, `127.0.0.1:${managers[0]!.clusterPort}`)));
  });

  after(async () => {
    for (const m of managers) {
      m.proc?.child.kill('SIGCONT');
      await m.proc?.stop('SIGKILL');
    }
    await etcd?.stop();
  });

  test('managers join with the manager token; docker node ls shows one Leader and two Reachable, drained; a write through a follower is on every manager', async () => {
    const list = await until('three reachable managers', async () => {
      const l = await nodes(managers[2]!);
      return l.length === 3 && l.every((n) => n.ManagerStatus?.Reachability === 'reachable') ? l : undefined;
    });
    assert.equal(list.filter((n) => n.ManagerStatus?.Leader).length, 1);
    assert.ok(list.every((n) => n.Spec.Role === 'manager' && n.Spec.Availability === 'drain' && n.Status.State === 'ready'));
    const first = await leader();
    assert.equal(first?.name, 'm1', 'the first manager leads');
    assert.equal(await write(managers[1]!), 201, 'a follower passes the write to the leader');
    // Read-your-writes: the follower answers a change once its own copy holds it.
    for (let i = 0; i < 10; i++) {
      assert.equal(await write(managers[2]!), 201);
      assert.equal((await request(managers[2]!, 'GET', `/secrets/ck-${writes}`)).status, 200, 'what a follower acknowledged, it shows at once');
    }
    await verify();
  });

  test('kill -9 of the leader 20 times at random points: a new leader each time, writes resume, no acknowledged write is lost', async () => {
    let stop = false;
    // The checker: writes through every live manager, all the time.
    const checker = (async () => {
      while (!stop) {
        for (const m of live()) await write(m);
        await sleep(20);
      }
    })();
    const failovers: number[] = [];
    for (let round = 1; round <= 20; round++) {
      const old = await until('a leader', leader);
      await sleep(Math.random() * 1_000);
      const killedAt = Date.now();
      old.proc!.child.kill('SIGKILL');
      await old.proc!.stop('SIGKILL');
      const next = await until(`a new leader after round ${round}`, async () => {
        const l = await leader();
        return l && l !== old ? l : undefined;
      });
      await until('a write through the new leader', async () => ((await write(next)) === 201 ? true : undefined));
      failovers.push(Date.now() - killedAt);
      await start(old);
      await verify();
    }
    stop = true;
    await checker;
    await verify();
    assert.ok(acknowledged.size > 100, `the checker's writes were acknowledged (${acknowledged.size} of ${writes})`);
    process.stdout.write(`# failover (kill -9 to the first acknowledged write), ms: ${failovers.join(' ')}\n`);
  });

  test('a leader frozen off etcd (SIGSTOP) is replaced; thawed, it follows the new leader and what it had not written is gone', async () => {
    const old = await until('a leader', leader);
    old.proc!.child.kill('SIGSTOP');
    try {
      const others = managers.filter((m) => m !== old);
      const next = await until('a leader among the others', async () => {
        for (const m of others) {
          const l = (await nodes(m)).find((n) => n.ManagerStatus?.Leader);
          if (l && l.ManagerStatus!.Addr !== `127.0.0.1:${old.clusterPort}`) return l;
        }
        return undefined;
      });
      assert.ok(next);
      assert.equal(await write(others[0]!), 201);
    } finally {
      old.proc!.child.kill('SIGCONT');
    }
    // Thawed, it steps down (its lease is gone) and follows: one leader, not it, and it has every write.
    await until('the thawed manager to follow', async () => {
      const l = await leader();
      return l && l !== old ? l : undefined;
    });
    const mine = (await nodes(old)).find((n) => n.ManagerStatus?.Addr === `127.0.0.1:${old.clusterPort}`);
    assert.equal(mine?.ManagerStatus?.Leader, false);
    assert.equal(await write(old), 201, 'a write through it reaches the new leader');
    await verify();
  });

  test("losing 2 of 3 etcd members: writes answer 503 (no leader), reads keep working; quorum back, writes resume", async () => {
    const [a, b] = etcd.members;
    a!.pause();
    b!.pause();
    try {
      for (const m of managers) {
        const res = await until(`${m.name} to refuse writes`, async () => {
          const r = await request(m, 'POST', '/secrets/create', { Name: `noquorum-${m.name}-${Date.now()}`, Data: 'eA==' });
          return r.status === 201 ? undefined : r;
        }, 60_000);
        assert.equal(res.status, 503, JSON.stringify(res.json));
        assert.equal((await request(m, 'GET', '/secrets')).status, 200, 'reads work without quorum');
      }
    } finally {
      a!.resume();
      b!.resume();
    }
    await until('writes to resume', async () => ((await write(managers[0]!)) === 201 ? true : undefined), 60_000);
    await verify();
  });

  test('autolock with three managers: one key seals every data dir; a follower down while the key rotated is unlocked with the old key and re-seals under the new; off, plain again', async () => {
    const lead = await until('a leader', leader);
    const [follower] = live().filter((m) => m !== lead);
    const f = follower!;
    const cli = (m: Running, ...args: string[]) => docker(`tcp://127.0.0.1:${m.apiPort}`, args, 60_000);
    const sealed = (m: Running) => existsSync(join(m.dir, 'keys.sealed')) && !existsSync(join(m.dir, 'store.key')) && !existsSync(join(m.dir, 'certificates', 'swarm-root-ca.key'));
    const plain = (m: Running) => !existsSync(join(m.dir, 'keys.sealed')) && existsSync(join(m.dir, 'store.key')) && existsSync(join(m.dir, 'certificates', 'swarm-root-ca.key'));
    /** `docker swarm unlock` through the locked manager's root-only socket, the key on stdin. */
    const unlock = (m: Running, key: string): Promise<DockerResult> =>
      new Promise((resolve) => {
        const env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', DOCKER_HOST: `unix://${join(m.dir, 'berth.sock')}` };
        const child = execFile('docker', ['swarm', 'unlock'], { env }, (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }));
        child.stdin!.end(`${key}\n`);
      });
    const startLocked = async (m: Running): Promise<void> => {
      m.proc = new BerthProcess(['manager', '--data-dir', m.dir, '--listen', `127.0.0.1:${m.apiPort}`, '--insecure-api', '--cluster-listen', `127.0.0.1:${m.clusterPort}`, '--store', `etcd://${etcd.endpoints}`], { BERTH_LOG_LEVEL: 'info' });
      await m.proc.waitFor(/is locked \(autolock\)/, 60_000);
    };

    // Through a follower: the change goes to the leader, the key it prints is read back from the follower's copy.
    const on = await cli(f, 'swarm', 'update', '--autolock=true');
    assert.equal(on.code, 0, on.stderr);
    const key = /(SWMKEY-1-\S+)/.exec(on.stdout)?.[1];
    assert.ok(key, on.stdout);
    for (const m of live()) {
      await until(`${m.name} to seal its keys`, async () => (sealed(m) ? true : undefined));
      assert.match((await cli(m, 'swarm', 'unlock-key', '-q')).stdout.trim(), new RegExp(`^${key!.replace(/[+/]/g, '\\$&')}$`), 'every manager shows the one key');
    }

    f.proc!.child.kill('SIGKILL');
    await f.proc!.stop('SIGKILL');
    const rotated = await cli(lead, 'swarm', 'unlock-key', '--rotate', '-q');
    assert.equal(rotated.code, 0, rotated.stderr);
    const newKey = rotated.stdout.trim();
    assert.notEqual(newKey, key);
    const before = readFileSync(join(f.dir, 'keys.sealed'), 'utf8');
    await startLocked(f);
    const wrong = await unlock(f, newKey);
    assert.notEqual(wrong.code, 0);
    assert.match(wrong.stderr, /invalid key provided/, 'its files are still sealed under the key of when it stopped');
    const opened = await unlock(f, key!);
    assert.equal(opened.code, 0, opened.stderr);
    await f.proc!.waitFor(/cluster port \S+\n/, 60_000);
    await until(`${f.name} to re-seal under the new key`, async () => (readFileSync(join(f.dir, 'keys.sealed'), 'utf8') !== before ? true : undefined));
    await f.proc!.stop('SIGKILL');
    await startLocked(f);
    const again = await unlock(f, newKey);
    assert.equal(again.code, 0, again.stderr);
    await f.proc!.waitFor(/cluster port \S+\n/, 60_000);
    assert.equal(await write(f), 201);

    const off = await cli(lead, 'swarm', 'update', '--autolock=false');
    assert.equal(off.code, 0, off.stderr);
    for (const m of live()) await until(`${m.name} to keep its keys plain again`, async () => (plain(m) ? true : undefined));
    await verify();
  });

  test('docker node demote of a follower: its process exits 0, it is listed as a down worker and docker node rm removes it; the last manager is not demoted', async () => {
    const lead = await until('a leader', leader);
    const cli = `tcp://127.0.0.1:${lead.apiPort}`;
    const idOf = async (m: Running) => (await nodes(lead)).find((n) => n.ManagerStatus?.Addr === `127.0.0.1:${m.clusterPort}`)!.ID;
    /** demote demotes `m` with the docker CLI and waits for its process to exit. */
    const demote = async (m: Running): Promise<string> => {
      const id = await idOf(m);
      // As a client would: during an election (the last test lost etcd's quorum) the answer is to retry.
      const res = await until('the demotion', async () => {
        const r = await docker(cli, ['node', 'demote', id]);
        return /does not have a leader/.test(r.stderr) ? undefined : r;
      });
      assert.equal(res.code, 0, res.stderr);
      assert.match(res.stdout, new RegExp(`Manager ${id} demoted in the swarm`));
      const code = await until(`${m.name} to exit`, async () => m.proc!.child.exitCode ?? undefined);
      assert.equal(code, 0, m.proc!.output.slice(-3000));
      assert.match(m.proc!.output, /this manager was demoted: it stops; remove it with docker node rm/);
      return id;
    };
    const [first, second] = live().filter((m) => m !== lead);
    const id = await demote(first!);
    const row = await until('the demoted manager listed as a down worker', async () => {
      const ls = await docker(cli, ['node', 'ls', '--filter', `id=${id}`, '--format', '{{.Status}}|{{.ManagerStatus}}']);
      return ls.stdout.trim() === 'Down|' ? ls.stdout : undefined;
    });
    assert.ok(row);
    const rm = await docker(cli, ['node', 'rm', id]);
    assert.equal(rm.code, 0, rm.stderr);
    assert.equal((await nodes(lead)).some((n) => n.ID === id), false);
    // Started again with its data dir, the removed manager refuses to come back with the cluster's keys.
    await start(first!).catch(() => undefined);
    const exit = await until('the removed manager to exit', async () => first!.proc!.child.exitCode ?? undefined);
    assert.notEqual(exit, 0);
    assert.match(first!.proc!.output, new RegExp(`this manager's node ${id} is no longer in the cluster \\(it was removed\\)`));

    await demote(second!);
    const last = await docker(cli, ['node', 'demote', await idOf(lead)]);
    assert.notEqual(last.code, 0);
    assert.match(last.stderr, /attempting to demote the last manager of the swarm/);
    assert.equal((await nodes(lead)).filter((n) => n.Spec.Role === 'manager').length, 1);
  });

  test("backup, then a new cluster from it on a fresh etcd prefix (Swarm's force-new-cluster): every acknowledged write is there, and a new manager joins it", async () => {
    const lead = await until('a leader', leader);
    const backup = `${lead.dir}/backup.json`;
    /** run runs a berth command to its end and gives its exit code and output. */
    const run = async (args: string[]) => {
      const p = new BerthProcess(args);
      const code = await new Promise<number | null>((r) => (p.child.exitCode !== null ? r(p.child.exitCode) : p.child.once('exit', r)));
      return { code, output: p.output };
    };
    const saved = await run(['store', 'backup', '--data-dir', lead.dir, '--store', `etcd://${etcd.endpoints}`, '--output', backup]);
    assert.equal(saved.code, 0, saved.output);
    await lead.proc!.stop('SIGTERM');
    const restored = await run(['store', 'restore', '--data-dir', lead.dir, '--store', `etcd://${etcd.endpoints}/restored`, '--input', backup]);
    assert.equal(restored.code, 0, restored.output);
    assert.match(restored.output, /Restored \d+ objects/);
    const args = ['manager', '--data-dir', lead.dir, '--listen', `127.0.0.1:${lead.apiPort}`, '--insecure-api', '--cluster-listen', `127.0.0.1:${lead.clusterPort}`, '--store', `etcd://${etcd.endpoints}/restored`];
    lead.proc = new BerthProcess(args, { BERTH_LOG_LEVEL: 'info' });
    await lead.proc.waitFor(/cluster port \S+\n/, 60_000);
    await verify();
    assert.equal(await write(lead), 201);
    const fresh: Running = { name: 'm4', dir: tempDir('ha-m4'), apiPort: await freePort(), clusterPort: await freePort() };
    managers.push(fresh);
    const token = ((await request(lead, 'GET', '/swarm')).json as { JoinTokens: { Manager: string } }).JoinTokens.Manager;
    fresh.proc = new BerthProcess(['manager', '--data-dir', fresh.dir, '--listen', `127.0.0.1:${fresh.apiPort}`, '--insecure-api', '--cluster-listen', `127.0.0.1:${fresh.clusterPort}`, '--store', `etcd://${etcd.endpoints}/restored`, '--join', `127.0.0.1:${lead.clusterPort}`, '--token', token], { BERTH_LOG_LEVEL: 'info' });
    await fresh.proc.waitFor(/cluster port \S+\n/, 60_000);
    await until('two reachable managers on the restored cluster', async () => ((await nodes(fresh)).filter((n) => n.ManagerStatus?.Reachability === 'reachable').length === 2 ? true : undefined));
    assert.equal(await write(fresh), 201);
    await verify();
  });
});
