// Exec through the manager: the round trip of an exec (create, start hijacked, output to its end,
// inspect for the exit code) into a task container, through Berth's manager — over the agent's
// session and a stream it dials back — against the same exec straight on the node's engine.
// Both with the Engine API (dockerode) and with the docker CLI (`docker exec C true`, process
// start included). Manager, agent and engine on this machine (the shared Podman engine), so the
// figure is Berth's own overhead, no network.
//
//   node --import tsx bench/exec.ts [--rounds 30]

import { execFile } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { promisify } from 'node:util';
import Dockerode from 'dockerode';
import { Agent } from '../src/agent/index.js';
import { silentLogger } from '../src/common/log.js';
import { Manager } from '../src/manager/index.js';
import { TEST_IMAGE, removeNodeContainers, testEngine } from '../test/helpers/engine.js';
import { tempDir } from '../test/helpers/berth.js';
import { arg, median, until } from './lib.js';

const ROUNDS = arg('rounds', 30);
const run = promisify(execFile);

/** One exec of `true`, as the CLI does it: create, start hijacked, read to the end, inspect. */
async function execOnce(docker: Dockerode, container: string): Promise<number> {
  const start = performance.now();
  const exec = await docker.getContainer(container).exec({ Cmd: ['true'], AttachStdout: true, AttachStderr: true });
  const stream = await exec.start({ hijack: true, stdin: false });
  stream.pipe(new PassThrough()).resume();
  await new Promise((resolve) => stream.once('close', resolve).once('end', resolve));
  const info = await exec.inspect();
  if (info.ExitCode !== 0) throw new Error(`exec exited ${String(info.ExitCode)}`);
  return performance.now() - start;
}

async function cliOnce(host: string, container: string): Promise<number> {
  const start = performance.now();
  await run('docker', ['exec', container, 'true'], { env: { PATH: process.env.PATH, HOME: process.env.HOME, DOCKER_HOST: host } });
  return performance.now() - start;
}

const ms = (x: number): string => `${x.toFixed(1)} ms`;

async function main(): Promise<void> {
  const engine = await testEngine();
  const dir = tempDir('bench-exec');
  const manager = await Manager.start({ dataDir: join(dir, 'manager'), listen: '127.0.0.1:0', insecureApi: true, clusterListen: '127.0.0.1:0', log: silentLogger(), version: 'bench' });
  const stop = new AbortController();
  const agent = new Agent({
    manager: manager.clusterLocalAddr,
    joinToken: manager.workerToken,
    stateDir: join(dir, 'agent'),
    docker: engine.docker,
    engineUrl: engine.url,
    description: { Hostname: 'bench-exec' },
    log: silentLogger(),
    filesRoot: join(dir, 'files'),
    tunnelInterface: `bwx${process.pid % 100000}`,
  });
  const ran = agent.run(stop.signal);
  const u = new URL(manager.url);
  const api = new Dockerode({ host: u.hostname, port: Number(u.port), protocol: 'http' });
  try {
    await api.createService({ Name: 'bench', TaskTemplate: { ContainerSpec: { Image: TEST_IMAGE, Command: ['sleep', '100000'] } }, Mode: { Replicated: { Replicas: 1 } } });
    let container = '';
    await until(async () => {
      const tasks = (await api.listTasks()) as unknown as { Status: { State: string; ContainerStatus?: { ContainerID?: string } } }[];
      container = tasks.find((t) => t.Status.State === 'running')?.Status.ContainerStatus?.ContainerID ?? '';
      return container !== '';
    }, 'the task running', 60_000);
    const samples = { apiDirect: [] as number[], apiManager: [] as number[], cliDirect: [] as number[], cliManager: [] as number[] };
    // Warm up both paths once; then alternate which goes first.
    await execOnce(engine.docker, container);
    await execOnce(api, container);
    for (let i = 0; i < ROUNDS; i++) {
      const pairs: [() => Promise<number>, number[]][] = [
        [() => execOnce(engine.docker, container), samples.apiDirect],
        [() => execOnce(api, container), samples.apiManager],
        [() => cliOnce(engine.url, container), samples.cliDirect],
        [() => cliOnce(`tcp://${u.host}`, container), samples.cliManager],
      ];
      if (i % 2 === 1) pairs.reverse();
      for (const [f, xs] of pairs) xs.push(await f());
    }
    const apiRatio = median(samples.apiManager) / median(samples.apiDirect);
    const cliRatio = median(samples.cliManager) / median(samples.cliDirect);
    console.log(`exec round trip (\`true\`), median of ${ROUNDS} rounds`);
    console.log('| client | on the engine | through the manager | manager/engine |');
    console.log('| --- | --- | --- | --- |');
    console.log(`| Engine API (dockerode) | ${ms(median(samples.apiDirect))} | ${ms(median(samples.apiManager))} | ${apiRatio.toFixed(2)} |`);
    console.log(`| docker exec (CLI) | ${ms(median(samples.cliDirect))} | ${ms(median(samples.cliManager))} | ${cliRatio.toFixed(2)} |`);
  } finally {
    stop.abort();
    await ran;
    await manager.stop();
    if (agent.nodeId) await removeNodeContainers(engine.docker, agent.nodeId);
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
