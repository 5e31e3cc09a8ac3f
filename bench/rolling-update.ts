// Rolling update benchmark: 20 replicas updated to a new image with parallelism 2 and delay 0,
// stop-first (both defaults otherwise), on ONE Docker Engine: Docker Swarm mode vs Berth. Time
// from the update call until every running container is of the new image and none of the old.
// The tasks exit at once on SIGTERM, so stop grace periods do not dominate.
// Usage: node --import tsx bench/rolling-update.ts [--replicas 20] [--rounds 3]

import type Dockerode from 'dockerode';
import { BENCH_LABEL, IMAGE, arg, dockerCli, idle, median, noneLeft, runningContainers, startDockerd, until, withBerth, withSwarm } from './lib.js';

const N = arg('replicas', 20);
const ROUNDS = arg('rounds', 3);
const NEW_IMAGE = 'localhost/berth-demo:2';
const CMD = ['sh', '-c', "trap 'exit 0' TERM; sleep 100000 & wait"];

/** updated: all N running containers run the new image. */
async function updated(docker: Dockerode, image: string): Promise<boolean> {
  const running = await runningContainers(docker, BENCH_LABEL);
  return running.length === N && running.every((c) => c.Image === image);
}

async function benchSwarm(docker: Dockerode): Promise<number> {
  return withSwarm(async () => {
    await dockerCli(['service', 'create', '-d', '--no-resolve-image', '--name', 'bench', '--replicas', String(N), IMAGE, ...CMD]);
    await until(() => updated(docker, IMAGE), 'swarm initial converge');
    const start = performance.now();
    await dockerCli(['service', 'update', '-d', '--no-resolve-image', '--image', NEW_IMAGE, '--update-parallelism', '2', '--update-delay', '0s', 'bench']);
    await until(() => updated(docker, NEW_IMAGE), 'swarm update');
    const secs = (performance.now() - start) / 1000;
    await dockerCli(['service', 'rm', 'bench']);
    await until(() => noneLeft(docker), 'swarm cleanup');
    return secs;
  });
}

async function benchBerth(docker: Dockerode): Promise<number> {
  return withBerth(docker, async (berth) => {
    const spec = { Name: 'bench', Mode: { Replicated: { Replicas: N } }, TaskTemplate: { ContainerSpec: { Image: IMAGE, Args: CMD } } };
    await berth.createService(spec);
    await until(() => updated(docker, IMAGE), 'berth initial converge');
    const service = berth.getService('bench');
    const { Version } = (await service.inspect()) as { Version: { Index: number } };
    const start = performance.now();
    await service.update({
      version: Version.Index,
      ...spec,
      TaskTemplate: { ContainerSpec: { Image: NEW_IMAGE, Args: CMD } },
      UpdateConfig: { Parallelism: 2, Delay: 0 },
    });
    await until(() => updated(docker, NEW_IMAGE), 'berth update');
    const secs = (performance.now() - start) / 1000;
    await service.remove();
    await until(() => noneLeft(docker), 'berth cleanup');
    return secs;
  });
}

const engine = await startDockerd();
try {
  const { docker } = engine;
  await docker.getImage(IMAGE).tag({ repo: 'localhost/berth-demo', tag: '2' });
  const results = { swarm: [] as number[], berth: [] as number[] };
  for (let r = 0; r < ROUNDS; r++) {
    for (const name of r % 2 === 0 ? (['swarm', 'berth'] as const) : (['berth', 'swarm'] as const)) {
      await idle(docker);
      results[name].push(name === 'swarm' ? await benchSwarm(docker) : await benchBerth(docker));
    }
  }
  const [swarm, berth] = [median(results.swarm), median(results.berth)];
  console.log(`rolling update of ${N} replicas, parallelism 2, delay 0, on one Docker Engine ${(await docker.version()).Version} (median of ${ROUNDS} round(s)):`);
  console.log(`  Docker Swarm mode   ${swarm.toFixed(2)} s`);
  console.log(`  Berth               ${berth.toFixed(2)} s   Berth/Swarm time ratio ${(berth / swarm).toFixed(2)} (${berth <= swarm ? `${(swarm / berth).toFixed(2)}x faster` : `${(berth / swarm).toFixed(2)}x slower`})`);
} finally {
  await engine.stop();
}
