// The container engine integration tests share: Berth's own Podman service in a fixed data dir,
// started by the first test file that needs it and left running for the next ones (a later
// connect finds its socket answering and reuses it). BERTH_TEST_ENGINE points tests at another
// engine instead (unix:///path or tcp://host:port).

import { execFile } from 'node:child_process';
import { PassThrough } from 'node:stream';
import { promisify } from 'node:util';
import type Dockerode from 'dockerode';
import { connectEngine, connectPodman } from '../../src/agent/engine/engine.js';
import { buildBusyboxImage, DEMO_IMAGE } from '../../src/agent/engine/image-build.js';
import { LABEL_NODE } from '../../src/agent/tasks/container-config.js';
import { LABEL_NETWORK } from '../../src/agent/tasks/networks.js';
import { ALIAS_PREFIX as OVERLAY_ALIAS } from '../../src/agent/overlay/names.js';
import { newId } from '../../src/common/ids.js';
import { silentLogger } from '../../src/common/log.js';

const run = promisify(execFile);

export const TEST_ENGINE_DIR = '/tmp/berth-test-engine';
export const TEST_IMAGE = DEMO_IMAGE;
/** The cluster a test process's workers belong to: each process its own, as separate clusters on one engine. */
export const TEST_CLUSTER = newId();

export interface TestEngine {
  docker: Dockerode;
  url: string;
}

let shared: Promise<TestEngine> | undefined;

/** testEngine connects (once per process) and makes sure TEST_IMAGE exists. */
export function testEngine(): Promise<TestEngine> {
  shared ??= (async () => {
    const opts = { dataDir: TEST_ENGINE_DIR, log: silentLogger() };
    // Podman directly, so a DOCKER_HOST exported for the docker CLI cannot redirect the tests.
    const conn = process.env.BERTH_TEST_ENGINE
      ? await connectEngine({ ...opts, engine: process.env.BERTH_TEST_ENGINE })
      : await connectPodman(opts);
    await buildBusyboxImage(conn.docker, TEST_IMAGE);
    await clearOverlays(conn.docker);
    return { docker: conn.docker, url: conn.url };
  })();
  return shared;
}

/**
 * clearOverlays gives each test file the machine's network namespace as a fresh host would have
 * it: the overlays an earlier file's cluster left (its agents stop without tearing them down, as
 * an agent restart must keep them) go — bridges and VXLAN devices, the load balancer's table, the
 * tunnel's guard, engine networks no container uses. Test files run one at a time; a Berth the
 * developer runs on this machine meanwhile loses its overlays too (see docs/testing.md).
 */
async function clearOverlays(docker: Dockerode): Promise<void> {
  const { stdout } = await run('ip', ['-j', '-d', 'link', 'show']);
  const links = JSON.parse(stdout) as { ifname: string; ifalias?: string }[];
  for (const l of links) if (l.ifalias?.startsWith(OVERLAY_ALIAS)) await run('ip', ['link', 'del', 'dev', l.ifname]).catch(() => undefined);
  for (const table of [['ip', 'berth'], ['inet', 'berth-tunnel']]) await run('nft', ['delete', 'table', ...table]).catch(() => undefined);
  for (const n of await docker.listNetworks({ filters: { label: [LABEL_NETWORK] } })) {
    const info = await docker.getNetwork(n.Id).inspect().catch(() => undefined);
    if (info && Object.keys(info.Containers ?? {}).length === 0) await docker.getNetwork(n.Id).remove().catch(() => undefined);
  }
}

/** removeNodeContainers force-removes every container labelled as made by the given Berth node. */
export async function removeNodeContainers(docker: Dockerode, nodeId: string): Promise<number> {
  const found = await docker.listContainers({ all: true, filters: { label: [`${LABEL_NODE}=${nodeId}`] } });
  await Promise.all(
    found.map(async (c) => {
      const container = docker.getContainer(c.Id);
      // Kill first: Podman's forced remove would wait out the stop grace period.
      if (c.State === 'running') await container.kill().catch(() => undefined);
      await container.remove({ force: true, v: true }).catch((err: { statusCode?: number }) => {
        if (err.statusCode !== 404 && err.statusCode !== 409) throw err;
      });
    }),
  );
  return found.length;
}

/** nodeContainers lists (all) containers labelled as made by the given Berth node. */
export function nodeContainers(docker: Dockerode, nodeId: string): Promise<Dockerode.ContainerInfo[]> {
  return docker.listContainers({ all: true, filters: { label: [`${LABEL_NODE}=${nodeId}`] } });
}

/** execIn runs a command in a running container and gives its exit code and output (stdout and stderr). */
export async function execIn(docker: Dockerode, containerId: string, cmd: string[]): Promise<{ code: number; output: string }> {
  const exec = await docker.getContainer(containerId).exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true });
  const stream = await exec.start({ hijack: true, stdin: false });
  const sink = new PassThrough();
  const chunks: Buffer[] = [];
  sink.on('data', (c: Buffer) => chunks.push(c));
  docker.modem.demuxStream(stream, sink, sink);
  await new Promise<void>((resolve, reject) => {
    stream.on('end', resolve);
    stream.on('close', resolve);
    stream.on('error', reject);
  });
  // Podman may report the exec as running for a moment after its output ends.
  for (let i = 0; ; i++) {
    const info = await exec.inspect();
    if (!info.Running || i > 50) return { code: info.ExitCode ?? -1, output: Buffer.concat(chunks).toString() };
    await new Promise((r) => setTimeout(r, 20));
  }
}
