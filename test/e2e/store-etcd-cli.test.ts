// `berth manager --store etcd://...` driven by the docker CLI: what the CLI was told is done is in
// etcd, so a manager killed with SIGKILL right after comes back with it from etcd (no state.db);
// `berth store backup` of a running manager and `berth store migrate` of a stopped one from
// state.db onto etcd, its agent's tasks running on through it (neither restarted nor
// duplicated); bad --store values are refused before anything starts. See docs/store.md.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type Dockerode from 'dockerode';
import { BerthProcess, docker, freePort, startAgent, startManager, tempDir, type ManagerProcess, type TaskJson } from '../helpers/berth.js';
import { nodeContainers, removeNodeContainers, testEngine } from '../helpers/engine.js';
import { startEtcd, type TestEtcd } from '../helpers/etcd.js';

describe('a manager on etcd, through the docker CLI', { timeout: 240_000 }, () => {
  let etcd: TestEtcd;
  let manager: ManagerProcess | undefined;
  let agent: BerthProcess | undefined;
  let engine: { docker: Dockerode; url: string };
  let nodeId = '';
  const dir = tempDir('etcd-cli');

  before(async () => {
    [etcd, engine] = await Promise.all([startEtcd(), testEngine()]);
  });
  after(async () => {
    await agent?.stop();
    if (nodeId) await removeNodeContainers(engine.docker, nodeId);
    await manager?.proc.stop('SIGKILL');
    await etcd?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('acknowledged changes survive kill -9: the restarted manager reads them back from etcd', async () => {
    const port = await freePort();
    const store = ['--store', `etcd://${etcd.hostPort}/clusters/one`];
    manager = await startManager(join(dir, 'm'), port, {}, { args: store });
    const created = await docker(manager.url, ['service', 'create', '-d', '--name', 'web', '--replicas', '3', '--label', 'tier=front', 'busybox', 'sleep', '1000']);
    assert.equal(created.code, 0, created.stderr);
    assert.equal((await docker(manager.url, ['network', 'create', '-d', 'overlay', 'backend'])).code, 0);
    await manager.proc.stop('SIGKILL');
    assert.equal(existsSync(join(dir, 'm', 'state.db')), false, 'the state is in etcd, not in a file');

    manager = await startManager(join(dir, 'm'), port, {}, { args: store, clusterPort: manager.clusterPort });
    const ls = await docker(manager.url, ['service', 'ls', '--format', '{{.Name}} {{.Replicas}}']);
    assert.equal(ls.code, 0, ls.stderr);
    assert.match(ls.stdout, /^web \d\/3$/m);
    const label = await docker(manager.url, ['service', 'inspect', '--format', '{{index .Spec.Labels "tier"}}', 'web']);
    assert.equal(label.stdout.trim(), 'front');
    assert.match((await docker(manager.url, ['network', 'ls', '--format', '{{.Name}}'])).stdout, /^backend$/m);
    // A clean stop lets go of etcd (its watch included) and exits.
    assert.equal(await manager.proc.stop('SIGTERM'), 0);
    manager = undefined;
  });

  /** runs `berth ARGS` to its end: its exit code and output. */
  const berth = async (args: string[]): Promise<{ code: number | null; output: string }> => {
    const proc = new BerthProcess(args);
    const code = await new Promise<number | null>((resolve) => proc.child.once('exit', resolve));
    return { code, output: proc.output };
  };

  test('berth store: a backup of a running manager, then its state.db moved onto etcd with migrate, and the manager started there; its tasks ran on, neither restarted nor duplicated', async () => {
    const port = await freePort();
    const data = join(dir, 'sq');
    manager = await startManager(data, port);
    agent = startAgent({ join: manager.join, token: manager.token, engine: engine.url, hostname: 'migrate-a', dataDir: join(dir, 'agent') });
    const created = await docker(manager.url, ['service', 'create', '--name', 'api', '--replicas', '2', 'localhost/berth-demo:1', 'sleep', '1000']);
    assert.equal(created.code, 0, created.stderr);
    const url = manager.url;
    const tasks = async (): Promise<TaskJson[]> => (await (await fetch(`${url}/tasks?filters=${encodeURIComponent(JSON.stringify({ service: ['api'] }))}`)).json()) as TaskJson[];
    const runningTasks = (await tasks()).filter((t) => t.Status.State === 'running');
    assert.equal(runningTasks.length, 2);
    nodeId = runningTasks[0]!.NodeID!;
    /** The node's containers: ID and start time, which a restart would change. */
    const containers = async () => (await Promise.all((await nodeContainers(engine.docker, nodeId)).map(async (c) => `${c.Id} ${(await engine.docker.getContainer(c.Id).inspect()).State.StartedAt}`))).sort();
    const beforeMigration = await containers();
    assert.equal(beforeMigration.length, 2);
    writeFileSync(join(dir, 'token.txt'), 'not-in-the-clear-anywhere');
    const secret = await docker(manager.url, ['secret', 'create', 'token', join(dir, 'token.txt')]);
    assert.equal(secret.code, 0, secret.stderr);
    const backup = await berth(['store', 'backup', '--data-dir', data, '--output', join(dir, 'backup.json')]);
    assert.equal(backup.code, 0, backup.output);
    assert.match(backup.output, /^Backed up \d+ objects \(commit \d+\) from .*state\.db to /);
    assert.ok(!readFileSync(join(dir, 'backup.json'), 'utf8').includes(Buffer.from('not-in-the-clear-anywhere').toString('base64')), 'the secret stays sealed');
    const busy = await berth(['store', 'migrate', '--data-dir', data, '--to', `etcd://${etcd.hostPort}/clusters/two`]);
    assert.notEqual(busy.code, 0);
    assert.match(busy.output, /a manager is running on .* stop it first/);

    assert.equal(await manager.proc.stop('SIGTERM'), 0);
    const migrated = await berth(['store', 'migrate', '--data-dir', data, '--to', `etcd://${etcd.hostPort}/clusters/two`]);
    assert.equal(migrated.code, 0, migrated.output);
    assert.match(migrated.output, /Start the manager with: berth manager --data-dir .* --store etcd:\/\/.*\/clusters\/two/);
    assert.ok(existsSync(join(data, 'state.db.migrated')) && !existsSync(join(data, 'state.db')));
    const again = await berth(['store', 'migrate', '--data-dir', data, '--to', `etcd://${etcd.hostPort}/clusters/two`]);
    assert.match(again.output, /state\.db does not exist/);

    manager = await startManager(data, port, {}, { args: ['--store', `etcd://${etcd.hostPort}/clusters/two`], clusterPort: manager.clusterPort });
    assert.match((await docker(manager.url, ['service', 'ls', '--format', '{{.Name}} {{.Replicas}}'])).stdout, /^api \d\/2$/m);
    assert.match((await docker(manager.url, ['secret', 'ls', '--format', '{{.Name}}'])).stdout, /^token$/m);
    // The agent comes back to the manager now on etcd: a third replica, which only it can run, proves it.
    const scaled = await docker(manager.url, ['service', 'scale', 'api=3']);
    assert.equal(scaled.code, 0, scaled.stderr);
    const after = (await tasks()).filter((t) => t.Status.State === 'running');
    assert.equal(after.length, 3);
    assert.ok(runningTasks.every((t) => after.some((a) => a.ID === t.ID)), 'the two tasks from before run on');
    const now = await containers();
    assert.equal(now.length, 3, 'one container per replica');
    assert.ok(beforeMigration.every((c) => now.includes(c)), 'the same two containers, never restarted');
    assert.equal(await manager.proc.stop('SIGTERM'), 0);
    manager = undefined;
  });

  test('an etcd that takes TLS clients only: the manager speaks TLS with --etcd-cacert, --etcd-cert and --etcd-key; without its client certificate it stops, naming etcd', async () => {
    // Each step has its own limit, so that a step that hangs names itself (and its output).
    const step = async <T>(what: string, ms: number, work: Promise<T>, output?: () => string): Promise<T> => {
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: not done within ${ms / 1000} s${output ? `; its output:\n${output()}` : ''}`)), ms)));
      try {
        return await Promise.race([work, late]);
      } finally {
        clearTimeout(timer);
      }
    };
    const secure = await step('etcd with TLS starting', 30_000, startEtcd('etcd-tls', { tls: true }));
    try {
      const store = ['--store', `etcd://${secure.hostPort}/tls`];
      const tls = ['--etcd-cacert', secure.tls!.ca, '--etcd-cert', secure.tls!.cert, '--etcd-key', secure.tls!.key];
      const port = await freePort();
      manager = await step('the manager on TLS etcd starting', 30_000, startManager(join(dir, 'tls'), port, {}, { args: [...store, ...tls] }));
      const m = manager;
      assert.equal((await step('docker network create', 20_000, docker(m.url, ['network', 'create', '-d', 'overlay', 'over-tls']))).code, 0);
      assert.equal(await step('the manager on TLS etcd stopping (SIGTERM)', 20_000, m.proc.stop('SIGTERM'), () => m.proc.output), 0);
      manager = undefined;
      const backup = await step('berth store backup over TLS', 20_000, berth(['store', 'backup', '--data-dir', join(dir, 'tls'), ...store, ...tls, '--output', join(dir, 'tls.json')]));
      assert.equal(backup.code, 0, backup.output);
      assert.match(readFileSync(join(dir, 'tls.json'), 'utf8'), /over-tls/, 'what the manager wrote is in etcd');

      const proc = new BerthProcess(['manager', '--data-dir', join(dir, 'tls'), '--listen', `127.0.0.1:${port}`, '--insecure-api', ...store, '--etcd-cacert', secure.tls!.ca]);
      const code = await step('the manager without a client certificate exiting', 75_000, new Promise<number | null>((resolve) => proc.child.once('exit', resolve)), () => proc.output).finally(() => proc.child.kill('SIGKILL'));
      assert.notEqual(code, 0);
      assert.match(proc.output, /etcd/);
    } finally {
      await secure.stop();
    }
  });

  test('a bad --store is refused with the flag and the fix named, before anything starts', async () => {
    for (const [args, message] of [
      [['--store', 'mysql://db'], /--store mysql:\/\/db: use sqlite, or etcd:\/\/HOST:PORT/],
      [['--store', 'etcd://nohost'], /nohost is not HOST:PORT/],
      [['--store', 'etcd://127.0.0.1:2379', '--etcd-cert', '/nonexistent'], /give both --etcd-cert FILE and --etcd-key FILE/],
    ] as const) {
      const proc = new BerthProcess(['manager', '--data-dir', join(dir, 'bad'), '--listen', `127.0.0.1:${await freePort()}`, '--insecure-api', ...args]);
      const code = await new Promise<number | null>((resolve) => proc.child.once('exit', resolve));
      assert.notEqual(code, 0);
      assert.match(proc.output, message);
    }
  });
});
