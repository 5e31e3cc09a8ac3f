// What the benchmarks share: one Docker Engine of their own (Debian's docker.io on its own
// socket and data root), Swarm mode on it, and Berth (manager + agent) driving the same engine.

import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, rmSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import Dockerode from 'dockerode';
import { buildBusyboxImage } from '../src/agent/index.js';
import { freePort } from '../test/helpers/berth.js';

const run = promisify(execFile);
export const IMAGE = 'localhost/berth-demo:1';
const ROOT = resolve(import.meta.dirname, '..');
const WORK = '/tmp/berth-bench';
export const SOCK = join(WORK, 'dockerd.sock');

export function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}

export const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export async function dockerCli(args: string[]): Promise<string> {
  const { stdout } = await run('docker', args, { env: { ...process.env, DOCKER_HOST: `unix://${SOCK}` }, maxBuffer: 64 * 2 ** 20 });
  return stdout;
}

export async function until(check: () => Promise<boolean>, what: string, timeoutMs = 300_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** startDockerd starts a fresh engine with the busybox test image; stop() ends it. */
export async function startDockerd(): Promise<{ docker: Dockerode; stop(): Promise<void> }> {
  rmSync(WORK, { recursive: true, force: true });
  mkdirSync(WORK, { recursive: true });
  const proc: ChildProcess = spawn('dockerd', ['--data-root', join(WORK, 'data'), '--exec-root', join(WORK, 'exec'), '-H', `unix://${SOCK}`, '--pidfile', join(WORK, 'dockerd.pid'), '--bridge', 'none', '--iptables=false'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let log = '';
  proc.stderr!.on('data', (d: Buffer) => (log += d.toString()));
  const docker = new Dockerode({ socketPath: SOCK });
  await until(async () => docker.ping().then(() => true, () => false), `dockerd start: ${log.slice(-2000)}`, 60_000);
  await buildBusyboxImage(docker, IMAGE);
  return {
    docker,
    stop: async () => {
      proc.kill('SIGTERM');
      await new Promise((r) => proc.once('exit', r));
    },
  };
}

export async function runningContainers(docker: Dockerode, label: string): Promise<Dockerode.ContainerInfo[]> {
  return docker.listContainers({ filters: { label: [label], status: ['running'] } });
}

/** Containers of the benchmark's `bench` service carry this label, in Swarm and in Berth alike. */
export const BENCH_LABEL = 'com.docker.swarm.service.name=bench';

/** noneLeft tells whether the engine holds no container with the label any more. */
export async function noneLeft(docker: Dockerode, label = BENCH_LABEL): Promise<boolean> {
  return (await docker.listContainers({ all: true, filters: { label: [label] } })).length === 0;
}

export async function removeContainers(docker: Dockerode, label: string): Promise<void> {
  const list = await docker.listContainers({ all: true, filters: { label: [label] } });
  await Promise.all(list.map((c) => docker.getContainer(c.Id).remove({ force: true }).catch(() => undefined)));
}

/** idle waits until the engine runs nothing, so each measurement starts alike. */
export async function idle(docker: Dockerode): Promise<void> {
  await until(async () => (await docker.listContainers({ all: true })).length === 0, 'engine idle', 120_000);
  await new Promise((r) => setTimeout(r, 1000));
}

/** withSwarm runs fn with the engine in Swarm mode, and leaves the swarm afterwards. */
export async function withSwarm<T>(fn: () => Promise<T>): Promise<T> {
  await dockerCli(['swarm', 'init', '--advertise-addr', '127.0.0.1']);
  try {
    return await fn();
  } finally {
    await dockerCli(['swarm', 'leave', '--force']).catch(() => undefined);
  }
}

/** withBerth runs fn against a Berth manager with one agent on the bench engine. */
export async function withBerth<T>(docker: Dockerode, fn: (berth: Dockerode) => Promise<T>): Promise<T> {
  const port = await freePort();
  const dir = join(WORK, `berth-${port}`);
  const env = { ...process.env, BERTH_LOG_LEVEL: 'warn', DOCKER_HOST: '' };
  const bin = join(ROOT, 'bin/berth.js');
  const manager = spawn(process.execPath, [bin, 'manager', '--data-dir', join(dir, 'm'), '--listen', `127.0.0.1:${port}`], { env, stdio: 'ignore' });
  const url = `http://127.0.0.1:${port}`;
  await until(async () => fetch(`${url}/_ping`).then((r) => r.ok, () => false), 'berth manager', 30_000);
  const token = readFileSync(join(dir, 'm', 'worker-token'), 'utf8').trim();
  const agent = spawn(process.execPath, [bin, 'agent', '--manager', url, '--join-token', token, '--engine', `unix://${SOCK}`, '--hostname', 'bench', '--data-dir', join(dir, 'a')], { env, stdio: 'ignore' });
  try {
    await until(async () => ((await (await fetch(`${url}/nodes`)).json()) as unknown[]).length === 1, 'agent joined', 30_000);
    return await fn(new Dockerode({ host: '127.0.0.1', port, protocol: 'http' }));
  } finally {
    agent.kill('SIGTERM');
    manager.kill('SIGTERM');
    await removeContainers(docker, 'berth.node.id');
  }
}
