// Convergence benchmark: time from "create N replicas" until all N run, on ONE Docker Engine,
// for Docker Swarm mode, Berth, and raw parallel `docker run -d` of the same N (the engine's own
// limit: our overhead floor). Rounds rotate the order; each measurement starts on an idle engine.
// Usage: node --import tsx bench/converge.ts [--replicas 50] [--rounds 3]

import type Dockerode from 'dockerode';
import { BENCH_LABEL, IMAGE, arg, dockerCli, idle, median, noneLeft, removeContainers, runningContainers, startDockerd, until, withBerth, withSwarm } from './lib.js';

const N = arg('replicas', 50);
const ROUNDS = arg('rounds', 3);

const allRunning = async (docker: Dockerode, label: string): Promise<boolean> => (await runningContainers(docker, label)).length === N;

async function benchSwarm(docker: Dockerode): Promise<number> {
  return withSwarm(async () => {
    const start = performance.now();
    await dockerCli(['service', 'create', '-d', '--no-resolve-image', '--name', 'bench', '--replicas', String(N), IMAGE, 'sleep', '100000']);
    await until(() => allRunning(docker, BENCH_LABEL), 'swarm converge');
    const secs = (performance.now() - start) / 1000;
    await dockerCli(['service', 'rm', 'bench']);
    await until(() => noneLeft(docker), 'swarm cleanup');
    return secs;
  });
}

async function benchBerth(docker: Dockerode): Promise<number> {
  return withBerth(docker, async (berth) => {
    const start = performance.now();
    await berth.createService({ Name: 'bench', Mode: { Replicated: { Replicas: N } }, TaskTemplate: { ContainerSpec: { Image: IMAGE, Args: ['sleep', '100000'] } } });
    await until(() => allRunning(docker, BENCH_LABEL), 'berth converge');
    const secs = (performance.now() - start) / 1000;
    await berth.getService('bench').remove();
    await until(() => noneLeft(docker), 'berth cleanup');
    return secs;
  });
}

async function benchRaw(docker: Dockerode): Promise<number> {
  const start = performance.now();
  await Promise.all(Array.from({ length: N }, (_, i) => dockerCli(['run', '-d', '--label', 'berth-bench-raw=1', '--name', `raw-${i}`, IMAGE, 'sleep', '100000'])));
  await until(() => allRunning(docker, 'berth-bench-raw=1'), 'raw converge');
  const secs = (performance.now() - start) / 1000;
  await removeContainers(docker, 'berth-bench-raw=1');
  return secs;
}

const engine = await startDockerd();
try {
  const { docker } = engine;
  const results = { swarm: [] as number[], berth: [] as number[], raw: [] as number[] };
  const runs: [keyof typeof results, () => Promise<number>][] = [
    ['raw', () => benchRaw(docker)],
    ['swarm', () => benchSwarm(docker)],
    ['berth', () => benchBerth(docker)],
  ];
  for (let r = 0; r < ROUNDS; r++) {
    for (let i = 0; i < runs.length; i++) {
      const [name, measure] = runs[(i + r) % runs.length]!;
      await idle(docker);
      results[name].push(await measure());
    }
  }
  const [swarm, berth, raw] = [median(results.swarm), median(results.berth), median(results.raw)];
  console.log(`converge ${N} replicas on one Docker Engine ${(await docker.version()).Version} (median of ${ROUNDS} round(s)):`);
  console.log(`  Docker Swarm mode   ${swarm.toFixed(2)} s`);
  console.log(`  Berth               ${berth.toFixed(2)} s   Berth/Swarm time ratio ${(berth / swarm).toFixed(2)} (${berth <= swarm ? `${(swarm / berth).toFixed(2)}x faster` : `${(berth / swarm).toFixed(2)}x slower`})`);
  console.log(`  raw parallel run    ${raw.toFixed(2)} s   Berth overhead over raw ${(berth / raw).toFixed(2)}x`);
} finally {
  await engine.stop();
}
