// Join: how long a new host takes to become a Ready node, on the same two hosts (cluster.ts):
// - Berth: from starting the printed `berth agent --join HOST:PORT --token T` (with --engine,
//   --hostname, --data-dir) on the host until the manager lists the node Ready, as `docker node
//   ls` shows it. The agent is a new process: its start-up is in the figure.
// - Swarm: from `docker swarm join --token T HOST:2377` against the host's running dockerd until
//   the manager lists the node Ready. The daemon was already up: its start-up is not.
// Rounds alternate which goes first; between them the host leaves (Berth: `node rm`, after which
// its agent leaves and stops; Swarm: `swarm leave`, then `node rm`).
//
//   node --import tsx bench/join.ts [--rounds 5]

import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { Berth, Swarm, arg, median, nodes, secs, startHosts, stopHosts, until, type Dockerd, type Hosts, type System } from './cluster.js';

const ROUNDS = arg('rounds', 5);

interface Sample {
  readyMs: number;
  /** Berth: the agent process logged its engine connected (it has loaded and started); Swarm: none. */
  upMs?: number;
  /** Berth: the agent logged its certificate ("joined the cluster"); Swarm: the join command returned. */
  joinedMs: number;
}

let hosts: Hosts | undefined;
let berth: Berth | undefined;

/** readyNode waits for the host's node to be listed Ready, and gives its id. */
const readyNode = (sys: System, hostname: string): Promise<string> =>
  until(async () => (await nodes(sys)).find((n) => n.hostname === hostname && n.state === 'ready')?.id, `${sys.name}: ${hostname} ready`, 60_000);

async function joinBerth(b: Berth, engine: Dockerd, round: number): Promise<Sample> {
  const dataDir = join(engine.host.dir, `berth-agent-${round}`);
  const start = performance.now();
  const agent = b.startAgent(engine, dataDir);
  let joinedMs = NaN;
  let upMs = NaN;
  agent.child.stderr!.on('data', (d: Buffer) => {
    const text = d.toString();
    if (Number.isNaN(upMs) && text.includes('using the container engine')) upMs = performance.now() - start;
    if (Number.isNaN(joinedMs) && text.includes('joined the cluster')) joinedMs = performance.now() - start;
  });
  const id = await readyNode(b, engine.host.name);
  const readyMs = performance.now() - start;
  // A removed node's agent leaves (its containers and certificate) and stops.
  await b.api.getNode(id).remove({ force: true });
  await until(async () => agent.child.exitCode !== null, 'the removed node\'s agent stopped', 30_000);
  rmSync(dataDir, { recursive: true, force: true });
  return { readyMs, joinedMs, upMs };
}

async function joinSwarm(swarm: Swarm, engine: Dockerd): Promise<Sample> {
  const start = performance.now();
  await swarm.join(engine);
  const joinedMs = performance.now() - start;
  const id = await readyNode(swarm, engine.host.name);
  const readyMs = performance.now() - start;
  await engine.cli(['swarm', 'leave']);
  await swarm.manager.cli(['node', 'rm', '--force', id]);
  return { readyMs, joinedMs };
}

async function main(): Promise<void> {
  hosts = await startHosts('join', 1);
  const { manager, engine } = hosts;
  const host = engine(hosts.workers[0]!);
  const swarm = await Swarm.init(engine(manager));
  berth = await Berth.start(manager);
  const b = berth;
  const results = { berth: [] as Sample[], swarm: [] as Sample[] };
  for (let r = 0; r < ROUNDS; r++) {
    const order = r % 2 === 0 ? (['berth', 'swarm'] as const) : (['swarm', 'berth'] as const);
    for (const which of order) {
      const s = which === 'berth' ? await joinBerth(b, host, r) : await joinSwarm(swarm, host);
      results[which].push(s);
      console.error(`# round ${r + 1} ${which}: ${s.upMs === undefined ? '' : `up ${secs(s.upMs)} s, `}joined ${secs(s.joinedMs)} s, ready ${secs(s.readyMs)} s`);
    }
  }
  const med = (xs: Sample[], k: keyof Sample): number => median(xs.map((s) => s[k] ?? NaN));
  console.log(`join: a new host until its node is Ready on the manager (Docker Engine ${(await host.docker.version()).Version} on each host; median of ${ROUNDS} rounds, and each round)`);
  console.log('| system | from | process up (median) | joined (median) | Ready (median) | rounds (Ready) | Berth/Swarm | Ready after start-up (median) |');
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- |');
  const [bm, sm] = [med(results.berth, 'readyMs'), med(results.swarm, 'readyMs')];
  const rounds = (xs: Sample[]): string => xs.map((s) => secs(s.readyMs)).join(', ');
  console.log(`| Berth | \`berth agent --join\` started (a new process) | ${secs(med(results.berth, 'upMs'))} s (engine connected) | ${secs(med(results.berth, 'joinedMs'))} s (certificate) | ${secs(bm)} s | ${rounds(results.berth)} | ${(bm / sm).toFixed(2)} | ${secs(median(results.berth.map((x) => x.readyMs - x.upMs!)))} s |`);
  console.log(`| Swarm | \`docker swarm join\` run (dockerd already up) | | ${secs(med(results.swarm, 'joinedMs'))} s (command returned) | ${secs(sm)} s | ${rounds(results.swarm)} | | ${secs(sm)} s |`);
  console.log(`(dockerd itself took ${[...hosts!.engines.values()].map((e) => secs(e.startMs)).join(' and ')} s from exec to answering on these hosts, not counted above)`);
}

try {
  await main();
} finally {
  await berth?.stop().catch(() => undefined);
  if (hosts) await stopHosts(hosts);
}
