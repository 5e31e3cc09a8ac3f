// Manager failover: three managers on three test hosts, the leader's process killed (-9); time
// until a write is acknowledged again through one of the two others, and until they list a new
// Leader. Side by side on the same hosts: Docker Swarm mode (a dockerd per host, three Raft
// managers; killing the leader kills its dockerd) and Berth (an etcd member and `berth manager
// --store etcd://...` per host; killing the leader kills the manager, its etcd member lives on).
// Rounds alternate which system goes first; each round starts from three reachable managers and
// ends with the killed one restarted as it was started (it rejoins as a follower).
//
//   node --import tsx bench/failover.ts [--rounds 5]

import { execFile } from 'node:child_process';
import { join } from 'node:path';
import Dockerode from 'dockerode';
import { createTestNetwork, startHostEtcd, type TestHost, type TestNetwork } from '../test/helpers/hosts/index.js';
import type { CapturedProcess } from '../test/helpers/process.js';
import { BIN } from '../test/helpers/berth.js';
import { LEASE_TTL_S } from '../src/manager/leadership.js';
import { Dockerd, Swarm, arg, median, secs, sleep, stopHosts, until } from './cluster.js';

const ROUNDS = arg('rounds', 5);
const POLL_MS = 50;
const MEASURE_TIMEOUT_MS = 120_000;
/** Berth's cluster port: Swarm's dockerd has 2377 on the same addresses. */
const BERTH_CLUSTER_PORT = 2477;
const BERTH_API_PORT = 7420;

/** One system's three managers, each reached on its own host's unix socket. */
interface Managers {
  name: 'Berth' | 'Swarm';
  socket(h: TestHost): string;
  api(h: TestHost): Dockerode;
  kill(h: TestHost): Promise<void>;
  restart(h: TestHost): Promise<void>;
}

interface Sample {
  victim: string;
  /** From the kill until a write through a surviving manager was acknowledged. */
  writeMs: number;
  /** The survivor that acknowledged it, and how many writes the survivors tried. */
  via: string;
  attempts: number;
  /** What the refused writes answered (distinct texts). */
  refusals: string[];
  /** From the kill until both survivors listed a Leader other than the killed manager. */
  leaderMs: number;
  /** From the restart of the killed manager until all three list three reachable managers. */
  backMs: number;
}

interface ManagerJson {
  ManagerStatus?: { Leader?: boolean; Reachability?: string; Addr?: string };
}

let net: TestNetwork | undefined;
const engines = new Map<string, Dockerd>();
const berthManagers = new Map<string, CapturedProcess>();

async function main(): Promise<void> {
  net = await createTestNetwork({ name: 'failover', hosts: 3 });
  const hosts = net.hosts;
  const [h1, h2, h3] = hosts as [TestHost, TestHost, TestHost];
  for (const h of hosts) engines.set(h.name, new Dockerd(h));
  await Promise.all([...engines.values()].map((e) => e.start()));
  const engine = (h: TestHost): Dockerd => engines.get(h.name)!;
  const swarmInit = await Swarm.init(engine(h1));
  for (const h of [h2, h3]) await swarmInit.join(engine(h), 'manager');

  await startHostEtcd(hosts);
  const berthArgs = new Map<string, string[]>();
  const startBerth = (h: TestHost): CapturedProcess => {
    const p = h.spawn(process.execPath, berthArgs.get(h.name)!, { BERTH_LOG_LEVEL: 'warn' });
    berthManagers.set(h.name, p);
    return p;
  };
  const store = `etcd://${hosts.map((h) => `${h.ip}:2379`).join(',')}`;
  for (const h of hosts) {
    berthArgs.set(h.name, [BIN, 'manager', '--data-dir', join(h.dir, 'manager'), '--listen', `${h.ip}:${BERTH_API_PORT}`, '--cluster-listen', `${h.ip}:${BERTH_CLUSTER_PORT}`, '--advertise-addr', h.ip, '--store', store]);
  }
  const started = /cluster port \S+\n/;
  await startBerth(h1).waitFor(started, 60_000);
  const berthSocket = (h: TestHost): string => join(h.dir, 'manager', 'berth.sock');
  const token = (await cli(berthSocket(h1), ['swarm', 'join-token', '-q', 'manager'])).trim();
  for (const h of [h2, h3]) berthArgs.get(h.name)!.push('--join', `${h1.ip}:${BERTH_CLUSTER_PORT}`, '--token', token);
  await Promise.all([startBerth(h2), startBerth(h3)].map((p) => p.waitFor(started, 60_000)));

  // Clients of their own with a timeout: a poll that hangs must not stall the measure.
  const clients = (socket: (h: TestHost) => string): Map<string, Dockerode> => new Map(hosts.map((h) => [h.name, new Dockerode({ socketPath: socket(h), timeout: 10_000 })]));
  const berthApis = clients(berthSocket);
  const swarmApis = clients((h) => engine(h).socket);
  const berth: Managers = {
    name: 'Berth',
    socket: berthSocket,
    api: (h) => berthApis.get(h.name)!,
    kill: async (h) => void (await berthManagers.get(h.name)!.stop('SIGKILL')),
    restart: async (h) => void startBerth(h),
  };
  const swarm: Managers = {
    name: 'Swarm',
    socket: (h) => engine(h).socket,
    api: (h) => swarmApis.get(h.name)!,
    kill: (h) => engine(h).kill('SIGKILL'),
    restart: (h) => engine(h).start(),
  };

  const results = new Map<Managers, Sample[]>([[berth, []], [swarm, []]]);
  for (let r = 0; r < ROUNDS; r++) {
    for (const sys of r % 2 === 0 ? [berth, swarm] : [swarm, berth]) {
      const s = await measure(sys, hosts, r);
      results.get(sys)!.push(s);
      console.error(
        `# round ${r + 1} ${sys.name}: leader ${s.victim} killed; write acknowledged ${secs(s.writeMs)} s (via ${s.via}, ${s.attempts} writes tried), new Leader listed ${secs(s.leaderMs)} s, back ${secs(s.backMs)} s; refused: ${s.refusals.join(' | ') || 'none'}`,
      );
    }
  }
  const raft = ((await engine(h1).docker.swarmInspect()) as { Spec: { Raft: { ElectionTick: number; HeartbeatTick: number } } }).Spec.Raft;
  const peer = `Swarm mode on Docker Engine ${(await engine(h1).docker.version()).Version}, Raft ElectionTick ${raft.ElectionTick} and HeartbeatTick ${raft.HeartbeatTick} of 1 s`;
  report(results.get(berth)!, results.get(swarm)!, peer);
}

async function measure(sys: Managers, hosts: TestHost[], round: number): Promise<Sample> {
  await settled(sys, hosts);
  // Every manager takes a write before the kill, so none is still catching up.
  for (const h of hosts) await cli(sys.socket(h), ['secret', 'create', `warm-${round}-${h.name}`, '-'], 'x');
  await sleep(1000);
  const victim = (await leader(sys, hosts[0]!, hosts))!;
  const survivors = hosts.filter((h) => h !== victim);
  const start = performance.now();
  await sys.kill(victim);
  const [write, leaderMs] = await Promise.all([firstWrite(sys, survivors, start, round), newLeader(sys, survivors, victim, start)]);
  const backAt = performance.now();
  await sys.restart(victim);
  await settled(sys, hosts);
  return { victim: victim.name, ...write, leaderMs, backMs: performance.now() - backAt };
}

/** The host whose manager leads, as `from` lists it. */
async function leader(sys: Managers, from: TestHost, hosts: TestHost[]): Promise<TestHost | undefined> {
  const l = ((await sys.api(from).listNodes()) as ManagerJson[]).find((n) => n.ManagerStatus?.Leader);
  return hosts.find((h) => l?.ManagerStatus?.Addr?.startsWith(`${h.ip}:`));
}

/** settled waits until every manager answers and lists three reachable managers, one of them Leader. */
async function settled(sys: Managers, hosts: TestHost[]): Promise<void> {
  await until(
    async () => {
      for (const h of hosts) {
        const ms = ((await sys.api(h).listNodes()) as ManagerJson[]).filter((n) => n.ManagerStatus);
        if (ms.length !== 3 || ms.some((n) => n.ManagerStatus!.Reachability !== 'reachable') || ms.filter((n) => n.ManagerStatus!.Leader).length !== 1) return false;
      }
      return true;
    },
    `${sys.name}: three reachable managers`,
    MEASURE_TIMEOUT_MS,
  );
}

/**
 * firstWrite writes (`docker secret create NAME -`) through each survivor in turn, 50 ms after
 * its last answer, until one is acknowledged; it waits for the other survivor's write in flight.
 */
async function firstWrite(sys: Managers, survivors: TestHost[], start: number, round: number): Promise<Pick<Sample, 'writeMs' | 'via' | 'attempts' | 'refusals'>> {
  let done: { writeMs: number; via: string } | undefined;
  let attempts = 0;
  const refusals = new Set<string>();
  await Promise.all(
    survivors.map(async (h) => {
      for (let n = 0; !done; n++) {
        if (performance.now() - start > MEASURE_TIMEOUT_MS) throw new Error(`${sys.name}: no write acknowledged within ${MEASURE_TIMEOUT_MS} ms`);
        attempts++;
        const r = await tryCli(sys.socket(h), ['secret', 'create', `failover-${round}-${h.name}-${n}`, '-'], 'x');
        if (r.ok) {
          done ??= { writeMs: performance.now() - start, via: h.name };
          return;
        }
        refusals.add(r.err.replace(/failover-\S+|[0-9a-z]{25}/g, '…'));
        await sleep(POLL_MS);
      }
    }),
  );
  return { ...done!, attempts, refusals: [...refusals] };
}

/** newLeader polls `node ls` on each survivor every 50 ms until both list a Leader that is not the victim. */
async function newLeader(sys: Managers, survivors: TestHost[], victim: TestHost, start: number): Promise<number> {
  const hosts = [victim, ...survivors];
  const times = await Promise.all(
    survivors.map(async (h) => {
      await until(async () => {
        const l = await leader(sys, h, hosts);
        return l !== undefined && l !== victim;
      }, `${sys.name}: a new Leader listed by ${h.name}`, MEASURE_TIMEOUT_MS);
      return performance.now() - start;
    }),
  );
  return Math.max(...times);
}

/** tryCli runs the docker CLI on a manager's socket, `input` on its stdin; a refusal is a result. */
function tryCli(socket: string, args: string[], input = ''): Promise<{ ok: boolean; out: string; err: string }> {
  return new Promise((resolve) => {
    const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/root', DOCKER_HOST: `unix://${socket}` };
    const child = execFile('docker', args, { env, timeout: MEASURE_TIMEOUT_MS }, (err, stdout, stderr) => resolve({ ok: !err, out: stdout, err: err ? stderr.trim() || err.message : '' }));
    child.stdin!.on('error', () => undefined); // the CLI may exit before reading its input
    child.stdin!.end(input);
  });
}

async function cli(socket: string, args: string[], input = ''): Promise<string> {
  const r = await tryCli(socket, args, input);
  if (!r.ok) throw new Error(`docker ${args.join(' ')} on ${socket}: ${r.err}`);
  return r.out;
}

function report(berth: Sample[], swarm: Sample[], peer: string): void {
  const row = (what: string, pick: (s: Sample) => number): string => {
    const [b, w] = [berth.map(pick), swarm.map(pick)];
    return `| ${what} | ${secs(median(b))} s | ${secs(Math.max(...b))} s | ${secs(median(w))} s | ${secs(Math.max(...w))} s | ${(median(w) / median(b)).toFixed(2)} |`;
  };
  console.log(`manager failover: 3 managers, the leader killed (-9), ${berth.length} rounds each (Berth on etcd 3.4, lease TTL ${LEASE_TTL_S} s; ${peer})`);
  console.log('| measure | Berth median | Berth max | Swarm median | Swarm max | Swarm/Berth (median) |');
  console.log('| --- | --- | --- | --- | --- | --- |');
  console.log(row('kill → a write acknowledged through a survivor', (s) => s.writeMs));
  console.log(row('kill → both survivors list a new Leader', (s) => s.leaderMs));
  console.log(row('restart → three reachable managers', (s) => s.backMs));
  console.log(`| rounds (write acknowledged, s) | ${berth.map((s) => secs(s.writeMs)).join(', ')} | | ${swarm.map((s) => secs(s.writeMs)).join(', ')} | | |`);
  const [b, w] = [median(berth.map((s) => s.writeMs)), median(swarm.map((s) => s.writeMs))];
  const met = Math.max(...berth.map((s) => s.writeMs)) <= 5_000 && b < w;
  console.log(`failover: Berth ${secs(b)} s (max ${secs(Math.max(...berth.map((s) => s.writeMs)))} s), Swarm ${secs(w)} s (Swarm/Berth ${(w / b).toFixed(2)}); goal: Berth <= 5 s and ahead of Swarm: ${met ? 'met' : 'NOT MET'}`);
}

try {
  await main();
} finally {
  await Promise.all([...berthManagers.values()].map((p) => p.stop('SIGKILL').catch(() => undefined)));
  if (net) await stopHosts({ net, engines });
}
