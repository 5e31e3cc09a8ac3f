// End to end: `docker service logs` — the stock docker CLI against a real `berth manager` and a
// real `berth agent` on the Podman engine. Tests run in order on one cluster.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type Dockerode from 'dockerode';
import { removeNodeContainers, testEngine } from '../helpers/engine.js';
import { BerthProcess, docker, dockerOk, freePort, startAgent, startManager, tempDir, managerApi } from '../helpers/berth.js';
import type { ManagerProcess } from '../helpers/berth.js';
import { until } from '../helpers/wait.js';

const IMAGE = 'localhost/berth-demo:1';
const NODE = 'logs-node';
const TS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/;


/** A pretty line: "<service>.<slot>[.<task>]@<node>    | <text>". */
const PRETTY = /^(?:(\S+) )?(\w[\w-]*)\.(\d+)(?:\.(\w+))?@(\S+?)\s+\| (.*)$/;
interface Pretty {
  ts?: string;
  service: string;
  slot: number;
  task?: string;
  node: string;
  text: string;
}
function parse(out: string): Pretty[] {
  return out
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => {
      const m = PRETTY.exec(l);
      assert.ok(m, `a pretty log line: ${JSON.stringify(l)}`);
      return { ...(m[1] && { ts: m[1] }), service: m[2]!, slot: Number(m[3]), ...(m[4] && { task: m[4] }), node: m[5]!, text: m[6]! };
    });
}

describe('docker service logs through the CLI', { timeout: 240_000 }, () => {
  let engine: { docker: Dockerode; url: string };
  let dir: string;
  let manager: ManagerProcess;
  let agent: BerthProcess;
  let nodeId = '';

  const cli = (...args: string[]): ReturnType<typeof docker> => docker(manager.url, args, 60_000);
  const { api, tasksOf } = managerApi(() => manager.url);
  const startLogsAgent = (): BerthProcess =>
    startAgent({ join: manager.join, token: manager.token, engine: engine.url, hostname: NODE, dataDir: join(dir, NODE), env: { BERTH_LOG_LEVEL: 'debug' } });

  before(async () => {
    engine = await testEngine();
    dir = tempDir('logs');
    manager = await startManager(join(dir, 'manager'), await freePort());
    agent = startLogsAgent();
    nodeId = await until(async () => (await api<{ ID: string; Status: { State: string } }[]>('/nodes')).find((n) => n.Status.State === 'ready')?.ID, 30_000, 'the node');
    // Two replicas that print numbered lines on stdout and stderr, then fail; a ticker; a TTY one.
    const numbers = 'i=1; while [ $i -le 30 ]; do echo "out $i"; echo "err $i" >&2; i=$((i+1)); done; exit 1';
    await dockerOk(manager.url, ['service', 'create', '-d', '--name', 'numbers', '--replicas', '2', '--restart-condition', 'none', IMAGE, 'sh', '-c', numbers]);
    const tick = 'i=1; while true; do echo "tick $i"; i=$((i+1)); sleep 0.1; done';
    await dockerOk(manager.url, ['service', 'create', '-d', '--name', 'ticker', IMAGE, 'sh', '-c', tick]);
    await dockerOk(manager.url, ['service', 'create', '-d', '--name', 'console', '-t', '--restart-condition', 'none', IMAGE, 'sh', '-c', 'echo tty-one; echo tty-two']);
    await until(async () => (await tasksOf('numbers')).filter((t) => t.Status.State === 'failed').length === 2, 60_000, 'numbers ended');
    await until(async () => (await tasksOf('ticker')).some((t) => t.Status.State === 'running'), 60_000, 'ticker running');
    await until(async () => (await tasksOf('console')).some((t) => t.Status.State === 'complete'), 60_000, 'console ended');
  });

  after(async () => {
    await agent.stop();
    await manager.proc.stop();
    if (nodeId) await removeNodeContainers(engine.docker, nodeId);
    rmSync(dir, { recursive: true, force: true });
  });

  test('the logs of ended tasks: stdout and stderr, each task in order, "<service>.<slot>.<task>@<node>" prefixes', async () => {
    const r = await cli('service', 'logs', 'numbers');
    assert.equal(r.code, 0, r.stderr);
    const tasks = await tasksOf('numbers');
    for (const [stream, word] of [[r.stdout, 'out'], [r.stderr, 'err']] as const) {
      const lines = parse(stream);
      for (const t of tasks) {
        const own = lines.filter((l) => l.task === t.ID.slice(0, 12));
        assert.ok(own.every((l) => l.service === 'numbers' && l.slot === t.Slot && l.node === NODE));
        assert.deepEqual(own.map((l) => l.text), Array.from({ length: 30 }, (_, i) => `${word} ${i + 1}`), `${word} of task ${t.ID}`);
      }
      assert.equal(lines.length, 60);
    }
  });

  test('--tail per task, -t timestamps, --no-task-ids, --no-trunc', async () => {
    const r = await cli('service', 'logs', '--tail', '3', '-t', '--no-task-ids', 'numbers');
    assert.equal(r.code, 0, r.stderr);
    const lines = parse(r.stdout + r.stderr);
    assert.equal(lines.length, 6, 'three lines of each task');
    for (const l of lines) {
      assert.match(l.ts ?? '', TS);
      assert.equal(l.task, undefined);
      assert.ok(Number(l.text.split(' ')[1]) >= 28, `a last line: ${l.text}`);
    }
    assert.deepEqual(lines.map((l) => l.slot).sort(), [1, 1, 1, 2, 2, 2]);
    const full = await cli('service', 'logs', '--tail', '1', '--no-trunc', 'numbers');
    const ids = (await tasksOf('numbers')).map((t) => t.ID);
    assert.deepEqual(parse(full.stdout + full.stderr).map((l) => l.task).sort(), ids.sort(), 'full task IDs');
  });

  test('--raw prints the lines alone; a task\'s own logs by task ID', async () => {
    const raw = await cli('service', 'logs', '--raw', 'numbers');
    assert.equal(raw.code, 0, raw.stderr);
    const out = raw.stdout.trimEnd().split('\n');
    assert.equal(out.length, 60);
    assert.ok(out.every((l) => /^out \d+$/.test(l)));
    const [task] = await tasksOf('numbers');
    const own = await cli('service', 'logs', task!.ID);
    assert.equal(own.code, 0, own.stderr);
    const lines = parse(own.stdout);
    assert.deepEqual(lines.map((l) => l.text), Array.from({ length: 30 }, (_, i) => `out ${i + 1}`));
    assert.ok(lines.every((l) => l.task === task!.ID.slice(0, 12)));
  });

  test('--since keeps the lines from that time on', async () => {
    const all = await until(async () => {
      const lines = parse((await cli('service', 'logs', '-t', 'ticker')).stdout);
      return new Set(lines.map((l) => l.ts!.slice(0, 19))).size >= 3 && lines;
    }, 30_000, 'ticks over three seconds', 200);
    // Podman stamps lines to the second: start at a second after the first one.
    const first = all[0]!.ts!.slice(0, 19);
    const later = all.find((l) => l.ts!.slice(0, 19) > first);
    assert.ok(later, 'lines of a later second');
    const since = `${later.ts!.slice(0, 19)}Z`;
    const r = await cli('service', 'logs', '-t', '--since', since, 'ticker');
    assert.equal(r.code, 0, r.stderr);
    const lines = parse(r.stdout);
    assert.equal(lines[0]!.text, later.text, 'the first line at or after --since');
    assert.ok(lines.every((l) => l.ts! >= later.ts!));
    const ticks = lines.map((l) => Number(l.text.split(' ')[1]));
    assert.deepEqual(ticks, ticks.map((_, i) => ticks[0]! + i), 'in order, none missing');
  });

  test('-f follows new lines in order and ends when killed; the agent drops the subscription', async () => {
    const cancelled = (): number => agent.output.split('log subscription cancelled').length - 1;
    const before = cancelled();
    const child = spawn('docker', ['service', 'logs', '-f', '--tail', '1', 'ticker'], {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/root', DOCKER_HOST: manager.url.replace(/^http:/, 'tcp:') },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((r) => child.once('exit', (code, signal) => r(code ?? (signal ? 128 : null))));
    await until(() => parse(out.slice(0, out.lastIndexOf('\n') + 1)).length >= 15, 30_000, 'followed lines', 50);
    const ticks = parse(out.slice(0, out.lastIndexOf('\n') + 1)).map((l) => Number(l.text.split(' ')[1]));
    assert.deepEqual(ticks, ticks.map((_, i) => ticks[0]! + i), 'consecutive ticks');
    child.kill('SIGINT');
    assert.notEqual(await exited, null);
    await until(() => cancelled() > before, 10_000, 'the agent cancelled the subscription', 50);
  });

  test('a TTY service needs --raw, as with Docker; unknown names and bad parameters are refused', async () => {
    const pretty = await cli('service', 'logs', 'console');
    assert.notEqual(pretty.code, 0);
    assert.match(pretty.stderr, /tty service logs only supported with --raw/);
    const raw = await cli('service', 'logs', '--raw', 'console');
    assert.equal(raw.code, 0, raw.stderr);
    assert.equal(raw.stdout, 'tty-one\r\ntty-two\r\n');

    const missing = await cli('service', 'logs', 'nosuch');
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /no such task or service: nosuch/);
    for (const [path, status, message] of [
      ['/services/nosuch/logs?stdout=1', 404, /^service nosuch not found$/],
      ['/tasks/nosuch/logs?stdout=1', 404, /^task nosuch not found$/],
      ['/services/numbers/logs', 400, /you must choose at least one stream/],
      ['/services/numbers/logs?stdout=1&tail=-2', 400, /negative tail values not supported/],
      ['/services/numbers/logs?stdout=1&tail=ten', 400, /tail value must be a positive integer or "all"/],
      ['/services/numbers/logs?stdout=1&since=yesterday', 400, /could not parse since timestamp/],
    ] as const) {
      const res = await fetch(manager.url + path);
      assert.equal(res.status, status, path);
      assert.match(((await res.json()) as { message: string }).message, message, path);
    }
  });

  test('an agent restart: a follower is told, then resumes after its last line; logs are read again from the engine', async () => {
    const child = spawn('docker', ['service', 'logs', '-f', '--tail', '1', 'ticker'], {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/root', DOCKER_HOST: manager.url.replace(/^http:/, 'tcp:') },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise((r) => child.once('exit', r));
    const lines = (): Pretty[] => parse(out.slice(0, out.lastIndexOf('\n') + 1));
    await until(() => lines().length >= 5, 30_000, 'followed lines', 50);
    await agent.stop();
    await until(() => lines().some((l) => /^berth: logs unavailable: node \w+ disconnected unexpectedly/.test(l.text)), 10_000, 'the notice', 50);
    const seen = lines().length;
    agent = startLogsAgent();
    await until(() => lines().length >= seen + 10, 30_000, 'lines after the restart', 50);
    child.kill('SIGINT');
    await exited;
    const ticks = lines().filter((l) => !l.text.startsWith('berth:')).map((l) => Number(l.text.split(' ')[1]));
    assert.deepEqual(ticks, ticks.map((_, i) => ticks[0]! + i), 'no tick missing or repeated across the restart');

    const again = await cli('service', 'logs', '--raw', 'numbers');
    assert.equal(again.code, 0, again.stderr);
    assert.equal(again.stdout.trimEnd().split('\n').length, 60);
  });

  test('a node that is down: the other logs, then Swarm\'s incomplete-stream error naming it', async () => {
    await agent.stop();
    const r = await cli('service', 'logs', 'numbers');
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, new RegExp(`Error grabbing logs: warning: incomplete log stream\\. some logs could not be retrieved for the following reasons: node ${nodeId} is not available`));
  });
});
