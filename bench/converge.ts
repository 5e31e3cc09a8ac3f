// Convergence benchmark: time from "create N replicas" until all N run, on ONE Docker Engine
// (Debian's docker.io, started here on its own socket and data root), for:
//   - Docker Swarm mode (docker service create on that engine in swarm mode),
//   - Berth (berth manager + berth agent driving the same engine),
//   - raw parallel `docker run -d` of the same N (the engine's own limit: our overhead floor).
// Usage: node --import tsx bench/converge.ts [--replicas 50] [--rounds 3]

import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, rmSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import Dockerode from 'dockerode';
import { buildBusyboxImage } from '../src/agent/index.js';
import { freePort } from '../test/helpers/berth.js';

const run = promisify(execFile);
const arg = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const N = arg('replicas', 50);
const ROUNDS = arg('rounds', 3);
const IMAGE = 'localhost/berth-demo:1';
const ROOT = resolve(import.meta.dirname, '..');
const WORK = '/tmp/berth-bench';
const SOCK = join(WORK, 'dockerd.sock');

async function sh(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<string> {
  const { stdout } = await run(cmd, args, { env: { ...process.env, ...env }, maxBuffer: 64 * 2 ** 20 });
  return stdout;
}
const dockerCli = (args: string[], host = `unix://${SOCK}`): Promise<string> => sh('docker', args, { DOCKER_HOST: host });

async function until(check: () => Promise<boolean>, what: string, timeoutMs = 300_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function startDockerd(): Promise<{ proc: ChildProcess; docker: Dockerode }> {
  rmSync(WORK, { recursive: true, force: true });
  mkdirSync(WORK, { recursive: true });
  const proc = spawn('dockerd', ['--data-root', join(WORK, 'data'), '--exec-root', join(WORK, 'exec'), '-H', `unix://${SOCK}`, '--pidfile', join(WORK, 'dockerd.pid'), '--bridge', 'none', '--iptables=false'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let log = '';
  proc.stderr!.on('data', (d: Buffer) => (log += d.toString()));
  const docker = new Dockerode({ socketPath: SOCK });
  await until(async () => docker.ping().then(() => true, () => false), `dockerd start: ${log.slice(-2000)}`, 60_000);
  return { proc, docker };
}

async function runningContainers(docker: Dockerode, label: string): Promise<number> {
  return (await docker.listContainers({ filters: { label: [label], status: ['running'] } })).length;
}

async function removeContainers(docker: Dockerode, label: string): Promise<void> {
  const list = await docker.listContainers({ all: true, filters: { label: [label] } });
  await Promise.all(list.map((c) => docker.getContainer(c.Id).remove({ force: true }).catch(() => undefined)));
}

async function benchSwarm(docker: Dockerode): Promise<number> {
  await dockerCli(['swarm', 'init', '--advertise-addr', '127.0.0.1']);
  try {
    const start = performance.now();
    await dockerCli(['service', 'create', '-d', '--no-resolve-image', '--name', 'bench', '--replicas', String(N), IMAGE, 'sleep', '100000']);
    await until(async () => (await runningContainers(docker, 'com.docker.swarm.service.name=bench')) === N, 'swarm converge');
    const secs = (performance.now() - start) / 1000;
    await dockerCli(['service', 'rm', 'bench']);
    await until(async () => (await docker.listContainers({ all: true, filters: { label: ['com.docker.swarm.service.name=bench'] } })).length === 0, 'swarm cleanup');
    return secs;
  } finally {
    await dockerCli(['swarm', 'leave', '--force']).catch(() => undefined);
  }
}

async function benchBerth(docker: Dockerode): Promise<number> {
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
    const berth = new Dockerode({ host: '127.0.0.1', port, protocol: 'http' });
    const start = performance.now();
    await berth.createService({ Name: 'bench', Mode: { Replicated: { Replicas: N } }, TaskTemplate: { ContainerSpec: { Image: IMAGE, Args: ['sleep', '100000'] } } });
    await until(async () => (await runningContainers(docker, 'com.docker.swarm.service.name=bench')) === N, 'berth converge');
    const secs = (performance.now() - start) / 1000;
    await berth.getService('bench').remove();
    await until(async () => (await docker.listContainers({ all: true, filters: { label: ['com.docker.swarm.service.name=bench'] } })).length === 0, 'berth cleanup');
    return secs;
  } finally {
    agent.kill('SIGTERM');
    manager.kill('SIGTERM');
    await removeContainers(docker, 'berth.node.id');
  }
}

async function benchRaw(docker: Dockerode): Promise<number> {
  const start = performance.now();
  await Promise.all(Array.from({ length: N }, (_, i) => dockerCli(['run', '-d', '--label', 'berth-bench-raw=1', '--name', `raw-${i}`, IMAGE, 'sleep', '100000'])));
  await until(async () => (await runningContainers(docker, 'berth-bench-raw=1')) === N, 'raw converge');
  const secs = (performance.now() - start) / 1000;
  await removeContainers(docker, 'berth-bench-raw=1');
  return secs;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Each measurement starts on an idle engine: no container left from the previous one. */
async function idle(docker: Dockerode): Promise<void> {
  await until(async () => (await docker.listContainers({ all: true })).length === 0, 'engine idle', 120_000);
  await new Promise((r) => setTimeout(r, 1000));
}

const { proc, docker } = await startDockerd();
try {
  await buildBusyboxImage(docker, IMAGE);
  const results = { swarm: [] as number[], berth: [] as number[], raw: [] as number[] };
  // Rotate the order each round so no contender always runs right after another's clean-up.
  const runs: [keyof typeof results, () => Promise<number>][] = [
    ['raw', () => benchRaw(docker)],
    ['swarm', () => benchSwarm(docker)],
    ['berth', () => benchBerth(docker)],
  ];
  for (let r = 0; r < ROUNDS; r++) {
    for (let i = 0; i < runs.length; i++) {
      const [name, run] = runs[(i + r) % runs.length]!;
      await idle(docker);
      results[name].push(await run());
    }
  }
  const [swarm, berth, raw] = [median(results.swarm), median(results.berth), median(results.raw)];
  const engineVersion = (await docker.version()).Version;
  console.log(`converge ${N} replicas on one Docker Engine ${engineVersion} (median of ${ROUNDS} round(s)):`);
  console.log(`  Docker Swarm mode   ${swarm.toFixed(2)} s`);
  console.log(`  Berth               ${berth.toFixed(2)} s   Berth/Swarm time ratio ${(berth / swarm).toFixed(2)} (${(swarm / berth).toFixed(2)}x ${berth < swarm ? 'faster' : 'slower'})`);
  console.log(`  raw parallel run    ${raw.toFixed(2)} s   Berth overhead over raw ${(berth / raw).toFixed(2)}x`);
} finally {
  proc.kill('SIGTERM');
  await new Promise((r) => proc.once('exit', r));
}
