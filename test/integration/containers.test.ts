// Task containers through the manager (docs/containers.md): a real manager and a real agent on
// the shared Podman engine, driven with dockerode and the docker CLI against the manager's API.
// ps, inspect, logs (-f), top, stats, exec (hijacked, TTY, stdin, exit code), the refusals, and
// that nothing is left on the agent or the engine when a client leaves mid-stream.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { connect } from 'node:net';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { promisify } from 'node:util';
import Dockerode from 'dockerode';
import { Agent } from '../../src/agent/session/session.js';
import { ContainerService } from '../../src/agent/containers/container-service.js';
import type { ContainerResultMessage } from '../../src/types/index.js';
import { silentLogger } from '../../src/common/log.js';
import { Manager } from '../../src/manager/index.js';
import { forwardToLeader } from '../../src/manager/forward.js';
import { engineServer } from '../../src/api/server.js';
import { routeUpgrades } from '../../src/api/index.js';
import { TEST_IMAGE, removeNodeContainers, testEngine, type TestEngine } from '../helpers/engine.js';
import { docker as dockerCli, tempDir } from '../helpers/berth.js';
import { until } from '../helpers/wait.js';

const run = promisify(execFile);
const HOST = 'ctr-node';
/** Waits for the terminal to have its size (the CLI sends it just after the exec starts), then prints it. */
const SIZE = 'for i in 1 2 3 4 5 6 7 8 9 10; do s=$(stty size 2>/dev/null); [ -n "$s" ] && [ "$s" != "0 0" ] && break; sleep 0.5; done; echo size=$s';

interface Task {
  ID: string;
  NodeID: string;
  Slot: number;
  Status: { State: string; ContainerStatus?: { ContainerID?: string } };
}

describe('task containers through the manager', { timeout: 240_000 }, () => {
  let engine: TestEngine;
  let manager: Manager;
  let agent: Agent;
  let api: Dockerode;
  let url: string;
  const stop = new AbortController();
  let ran: Promise<unknown> | undefined;
  let task: Task;
  let plain: Dockerode.Container | undefined;
  const dir = tempDir('containers');

  const cli = (args: string[], timeoutMs = 60_000) => dockerCli(url, args, timeoutMs);
  const raw = async (method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown; text: string }> => {
    const res = await fetch(url + path, { method, ...(body !== undefined && { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }) });
    const text = await res.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: res.status, json, text };
  };

  before(async () => {
    engine = await testEngine();
    manager = await Manager.start({ dataDir: join(dir, 'manager'), listen: '127.0.0.1:0', insecureApi: true, clusterListen: '127.0.0.1:0', log: silentLogger(), version: 'test' });
    url = manager.url;
    const u = new URL(url);
    api = new Dockerode({ host: u.hostname, port: Number(u.port), protocol: 'http' });
    agent = new Agent({
      manager: manager.clusterLocalAddr,
      joinToken: manager.workerToken,
      stateDir: join(dir, 'agent'),
      docker: engine.docker,
      engineUrl: engine.url,
      description: { Hostname: HOST },
      log: silentLogger(),
      filesRoot: join(dir, 'files'),
      registryCertsDir: join(dir, 'certs.d'),
      tunnelInterface: `bwc${process.pid % 100000}`,
    });
    ran = agent.run(stop.signal);
    const tick = 'echo started; echo to-stderr >&2; i=1; while true; do echo "tick $i"; i=$((i+1)); sleep 0.2; done';
    await api.createService({ Name: 'web', TaskTemplate: { ContainerSpec: { Image: TEST_IMAGE, Command: ['sh', '-c', tick] } }, Mode: { Replicated: { Replicas: 1 } } });
    task = await until(async () => {
      const tasks = (await api.listTasks()) as unknown as Task[];
      return tasks.find((t) => t.Status.State === 'running' && t.Status.ContainerStatus?.ContainerID);
    }, 60_000, 'the task running');
    // A plain container on the same engine: not the manager's to show.
    plain = await engine.docker.createContainer({ Image: TEST_IMAGE, Cmd: ['sleep', '600'], name: `plain-${process.pid}` });
    await plain.start();
  });

  after(async () => {
    await plain?.remove({ force: true }).catch(() => undefined);
    stop.abort();
    await ran;
    await manager?.stop();
    if (agent?.nodeId) await removeNodeContainers(engine.docker, agent.nodeId);
  });

  const containerId = (): string => task.Status.ContainerStatus!.ContainerID!;
  const name = (): string => `web.${task.Slot}.${task.ID}`;

  test('docker ps lists the task containers with their node in the name, never a plain container', async () => {
    const list = await api.listContainers();
    assert.deepEqual(list.map((c) => c.Names), [[`/${HOST}/${name()}`]]);
    assert.equal(list[0]!.Id, containerId());
    const r = await cli(['ps', '--format', '{{.ID}} {{.Names}}']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), `${containerId().slice(0, 12)} ${HOST}/${name()}`);
    const filtered = await cli(['ps', '-a', '--filter', 'name=nothing-like-it', '-q']);
    assert.equal(filtered.stdout.trim(), '');
    const byNode = await cli(['ps', '-q', '--filter', `node=${HOST}`]);
    assert.equal(byNode.stdout.trim(), containerId().slice(0, 12));
    const otherNode = await cli(['ps', '-q', '--filter', 'node=elsewhere']);
    assert.equal(otherNode.stdout.trim(), '');
  });

  test('inspect by ID, prefix and either name; a plain container and unknown names are 404 in Docker\'s words', async () => {
    // The manager's name has a slash: in a path it is sent encoded.
    for (const ref of [containerId(), containerId().slice(0, 8), name(), encodeURIComponent(`${HOST}/${name()}`)]) {
      const info = (await api.getContainer(ref).inspect()) as unknown as { Id: string; Node: { Name: string } };
      assert.equal(info.Id, containerId(), ref);
      assert.equal(info.Node.Name, HOST);
    }
    for (const ref of [plain!.id, `plain-${process.pid}`, 'nope']) {
      const r = await raw('GET', `/containers/${ref}/json`);
      assert.equal(r.status, 404);
      assert.deepEqual(r.json, { message: `No such container: ${ref}` });
    }
    const exec = await raw('POST', `/containers/${plain!.id}/exec`, { Cmd: ['true'] });
    assert.equal(exec.status, 404);
    assert.deepEqual(await raw('GET', '/exec/0123456789abcdef/json').then((r) => [r.status, r.json]), [404, { message: 'No such exec instance: 0123456789abcdef' }]);
    const cliInspect = await cli(['inspect', '--format', '{{.Id}}', name()]);
    assert.equal(cliInspect.stdout.trim(), containerId(), cliInspect.stderr);
  });

  test('docker logs: stdout and stderr, tail; -f streams new lines', async () => {
    const r = await cli(['logs', '--tail', '2', containerId()]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^tick \d+\ntick \d+\n$/);
    const all = await cli(['logs', name()]);
    assert.match(all.stdout, /^started\ntick 1\n/);
    assert.match(all.stderr, /to-stderr/);
    // Follow: lines keep coming after the request.
    const follow = spawn('docker', ['logs', '-f', '--tail', '0', containerId()], { env: { PATH: process.env.PATH, HOME: process.env.HOME, DOCKER_HOST: url.replace(/^http:/, 'tcp:') } });
    let out = '';
    follow.stdout.on('data', (c: Buffer) => (out += c.toString()));
    await until(() => (out.match(/tick/g)?.length ?? 0) >= 3, 15_000, 'followed lines');
    follow.kill();
  });

  test('docker top and docker stats --no-stream; a stats stream', async () => {
    const top = await cli(['top', name()]);
    assert.equal(top.code, 0, top.stderr);
    assert.match(top.stdout, /sh -c/);
    const stats = await cli(['stats', '--no-stream', '--format', '{{.Name}} {{.PIDs}}', containerId()]);
    assert.equal(stats.code, 0, stats.stderr);
    assert.match(stats.stdout, /\S+ \d+/);
    const res = await fetch(`${url}/containers/${containerId()}/stats`);
    assert.equal(res.status, 200);
    const reader = res.body!.getReader();
    let text = '';
    while (!text.includes('\n')) text += Buffer.from((await reader.read()).value!).toString();
    assert.ok(JSON.parse(text.split('\n')[0]!).memory_stats, 'a stats sample');
    await reader.cancel();
  });

  test('docker exec: output and exit code, stdin, a TTY driven through a pseudo-terminal with resize', async () => {
    const r = await cli(['exec', name(), 'sh', '-c', 'echo out; echo err >&2; exit 3']);
    assert.equal(r.code, 3, r.stderr);
    assert.equal(r.stdout, 'out\n');
    assert.equal(r.stderr, 'err\n');
    // stdin to the end, then the output of what read it.
    const piped = await run('sh', ['-c', `printf 'a\\nb\\n' | docker exec -i ${containerId()} wc -l`], { env: { PATH: process.env.PATH, HOME: process.env.HOME, DOCKER_HOST: url.replace(/^http:/, 'tcp:') } });
    assert.equal(piped.stdout.trim(), '2');
    // A TTY: `script` gives docker a terminal of 30x100; stty inside sees it.
    const tty = await run('script', ['-qec', `stty cols 100 rows 30; docker exec -it ${containerId()} sh -c '${SIZE}; exit 5'`, '/dev/null'], { env: { PATH: process.env.PATH, HOME: process.env.HOME, DOCKER_HOST: url.replace(/^http:/, 'tcp:') } }).catch((e: { code: number; stdout: string }) => e);
    assert.match(tty.stdout, /size=30 100/);
    assert.equal((tty as { code?: number }).code, 5);
  });

  test('exec create and start are in the audit log, naming the container, its node and the command; resizes are not', async () => {
    const r = await cli(['exec', name(), 'echo', 'audited']);
    assert.equal(r.stdout, 'audited\n', r.stderr);
    const entries = (await raw('GET', '/berth/v1/audit')).json as { Action: string; Status: number; Object?: { Kind: string; ID: string; Name: string; Node: { Name: string } }; Command?: string[] }[];
    const of = (action: string) => entries.filter((e) => e.Action === action && e.Command?.[1] === 'audited');
    for (const [action, status] of [['container.exec', 201], ['exec.start', 101]] as const) {
      assert.equal(of(action).length, 1, action);
      const e = of(action)[0]!;
      assert.equal(e.Status, status);
      assert.deepEqual(e.Command, ['echo', 'audited']);
      assert.deepEqual({ kind: e.Object?.Kind, id: e.Object?.ID, name: e.Object?.Name, node: e.Object?.Node.Name }, { kind: 'container', id: containerId(), name: `${HOST}/${name()}`, node: HOST });
    }
    assert.ok(!entries.some((e) => e.Action === 'exec.resize'));
  });

  test('through a follower (which forwards them to the leader): ps, logs, exec with stdin, and exec -it with its size and exit code', async () => {
    // A follower's forwarding, as manager.ts sets it up, in front of this manager as the leader.
    const follower = engineServer({ version: 'test' });
    routeUpgrades(follower.server, (req, res) => follower.server.emit('request', req, res));
    forwardToLeader(follower, { leader: () => url, tls: () => ({ ca: '' }), plain: true, caughtUp: async () => undefined, log: silentLogger() });
    await follower.listen({ host: '127.0.0.1', port: 0 });
    const via = `tcp://127.0.0.1:${(follower.server.address() as { port: number }).port}`;
    const env = { PATH: process.env.PATH, HOME: process.env.HOME, DOCKER_HOST: via };
    try {
      const ps = await dockerCli(via, ['ps', '--format', '{{.Names}}']);
      assert.equal(ps.stdout.trim(), `${HOST}/${name()}`, ps.stderr);
      const logs = await dockerCli(via, ['logs', '--tail', '1', name()]);
      assert.match(logs.stdout, /^tick \d+\n$/);
      const piped = await run('sh', ['-c', `printf 'a\\nb\\nc\\n' | docker exec -i ${name()} sh -c 'wc -l; exit 4'`], { env }).catch((e: { code: number; stdout: string }) => e);
      assert.equal(piped.stdout.trim(), '3');
      assert.equal((piped as { code?: number }).code, 4);
      const tty = await run('script', ['-qec', `stty cols 80 rows 20; docker exec -it ${name()} sh -c '${SIZE}; exit 6'`, '/dev/null'], { env }).catch((e: { code: number; stdout: string }) => e);
      assert.match(tty.stdout, /size=20 80/);
      assert.equal((tty as { code?: number }).code, 6);
    } finally {
      await follower.close();
    }
  });

  test("the agent answers only for its node's task containers and its own execs, whatever the manager asks", async () => {
    const results: ContainerResultMessage[] = [];
    const service = new ContainerService({ docker: engine.docker, clusterId: manager.store.view((tx) => tx.cluster()!.ID), nodeId: agent.nodeId!, log: silentLogger(), send: (m) => void results.push(m), dial: () => assert.fail('no stream is dialed for a refused one') });
    const ask = async (id: string, call: Parameters<ContainerService['handle']>[0]): Promise<ContainerResultMessage> => {
      service.handle(call);
      return until(() => results.find((r) => r.id === id), 10_000, `the answer to ${id}`);
    };
    assert.deepEqual(await ask('1', { type: 'container-call', id: '1', call: { op: 'inspect', container: plain!.id, size: false } }), { type: 'container-result', id: '1', status: 404, message: `No such container: ${plain!.id}` });
    assert.equal((await ask('2', { type: 'container-call', id: '2', call: { op: 'exec-create', container: plain!.id, options: { Cmd: ['true'] } } })).status, 404);
    assert.equal((await ask('3', { type: 'stream-open', id: '3', stream: { op: 'logs', container: plain!.id, query: { follow: false, stdout: true, stderr: true, timestamps: false, tail: 'all', since: '', until: '' } } })).status, 404);
    // An exec another client made on the engine is not this agent's either.
    const other = await engine.docker.getContainer(containerId()).exec({ Cmd: ['true'] });
    assert.deepEqual(await ask('4', { type: 'container-call', id: '4', call: { op: 'exec-inspect', exec: other.id } }), { type: 'container-result', id: '4', status: 404, message: `No such exec instance: ${other.id}` });
    // The task's container is: the list holds it and not the plain one.
    const listed = await ask('5', { type: 'container-call', id: '5', call: { op: 'list', all: true, size: false, filters: {} } });
    assert.deepEqual((listed.body as { Id: string }[]).map((c) => c.Id), [containerId()]);
  });

  test('plain containers are not made or removed through the manager: the answer names docker service', async () => {
    const run1 = await cli(['run', '--rm', TEST_IMAGE, 'true']);
    assert.notEqual(run1.code, 0);
    assert.match(run1.stderr, /docker service create/);
    const rm = await cli(['rm', '-f', name()]);
    assert.match(rm.stderr, /docker service rm/);
    const stopped = await cli(['stop', name()]);
    assert.match(stopped.stderr, /docker service/);
  });

  test('a client leaving mid-stream leaves nothing behind on the agent', async () => {
    // logs -f, a stats stream and an exec whose client vanishes: each stream ends on the agent.
    const u = new URL(url);
    for (const path of [`/containers/${containerId()}/logs?follow=1&stdout=1`, `/containers/${containerId()}/stats`]) {
      const socket = connect(Number(u.port), u.hostname);
      socket.write(`GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`);
      await new Promise((r) => socket.once('data', r));
      await until(() => agent.containerStreams === 1, 5000, 'the stream open on the agent');
      socket.destroy();
      await until(() => agent.containerStreams === 0, 5000, 'the stream gone from the agent');
    }
    // A quiet stream (an exec that prints nothing, answered as HTTP without an upgrade) ends at once too.
    const quiet = (await raw('POST', `/containers/${containerId()}/exec`, { Cmd: ['sleep', '30'], AttachStdout: true })).json as { Id: string };
    const body = '{}';
    const socket = connect(Number(u.port), u.hostname);
    socket.write(`POST /exec/${quiet.Id}/start HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
    await new Promise((r) => socket.once('data', r));
    await until(() => agent.containerStreams === 1, 5000, 'the quiet exec stream open on the agent');
    socket.destroy();
    await until(() => agent.containerStreams === 0, 5000, 'the quiet exec stream gone from the agent');
    // As with dockerd, an exec whose client went away learns of it when it next writes: then
    // the stream ends on the agent, and the engine ends the exec.
    const exec = await api.getContainer(containerId()).exec({ Cmd: ['sh', '-c', 'while true; do echo x; sleep 0.1; done'], AttachStdout: true, AttachStdin: true });
    const stream = await exec.start({ hijack: true, stdin: true });
    stream.pipe(new PassThrough());
    await until(() => agent.containerStreams === 1, 5000, 'the exec stream open');
    stream.destroy();
    await until(() => agent.containerStreams === 0, 5000, 'the exec stream gone from the agent');
    await until(async () => !(await exec.inspect()).Running, 10_000, 'the exec ended');
  });
});
