// The multi-host benchmarks' parts (node-loss.ts, join.ts, failover.ts): test hosts (network namespaces on a
// test bridge, test/helpers/hosts, docs/testing.md), each with a Docker Engine of its own, and on
// them, side by side in the same run, a Docker Swarm and a Berth cluster. One host is both
// clusters' manager; workers' engines are shared by Swarm (dockerd is its own agent) and a Berth
// agent, so both systems start the same image on the same engines.

import { execFile } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import Dockerode from 'dockerode';
import { buildBusyboxImage } from '../src/agent/engine/image-build.js';
import { createTestNetwork, saveImage, type TestHost, type TestNetwork } from '../test/helpers/hosts/index.js';
import { loadImage } from '../test/helpers/hosts/images.js';
import type { CapturedProcess } from '../test/helpers/process.js';
import { BIN } from '../test/helpers/berth.js';

const run = promisify(execFile);
export const IMAGE = 'localhost/berth-demo:1';
export const SERVICE = 'bench';
/** Containers of the `bench` service carry this label, in Swarm and in Berth alike. */
export const SERVICE_LABEL = `com.docker.swarm.service.name=${SERVICE}`;
/** Exits at once on SIGTERM, so stop grace periods never hold a clean-up up. */
const CMD = ['sh', '-c', "trap 'exit 0' TERM; sleep 100000 & wait"];
/** Berth's cluster port: Swarm's manager on the same host has 2377. */
const BERTH_CLUSTER_PORT = 2378;
const POLL_MS = 50;

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function until<T>(check: () => Promise<T | undefined | false>, what: string, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check().catch(() => undefined);
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms: ${what}`);
    await sleep(POLL_MS);
  }
}

/** One host's Docker Engine: its own data root, exec root, containerd and socket, in the host's namespace. */
export class Dockerd {
  readonly dir: string;
  readonly socket: string;
  readonly docker: Dockerode;
  /** How long the last start took, from exec to the API answering. */
  startMs = 0;
  #proc: CapturedProcess | undefined;

  constructor(readonly host: TestHost) {
    this.dir = join(host.dir, 'dockerd');
    this.socket = join(this.dir, 'docker.sock');
    this.docker = new Dockerode({ socketPath: this.socket });
  }

  get url(): string {
    return `unix://${this.socket}`;
  }

  /**
   * start runs dockerd in the host under the host's name (its own UTS namespace: Swarm names
   * nodes by hostname). No iptables: the test bridge's traffic crosses the root namespace's
   * FORWARD chain, and nothing here publishes ports; no default bridge, which tasks never use.
   */
  async start(): Promise<void> {
    mkdirSync(this.dir, { recursive: true });
    const start = performance.now();
    const args = ['--data-root', join(this.dir, 'data'), '--exec-root', join(this.dir, 'exec'), '-H', this.url, '--pidfile', join(this.dir, 'pid'), '--bridge', 'none', '--iptables=false'];
    this.#proc = this.host.spawn('unshare', ['--uts', '--', 'sh', '-c', 'hostname "$0" && exec dockerd "$@"', this.host.name, ...args]);
    const proc = this.#proc;
    await until(async () => proc.child.exitCode === null && (await this.docker.ping()) !== undefined, `dockerd on ${this.host.name}: ${proc.output.slice(-1500)}`, 60_000);
    this.startMs = performance.now() - start;
  }

  /** kill sends dockerd a signal and waits for it to exit (its containers' shims live on). */
  async kill(signal: NodeJS.Signals): Promise<void> {
    await this.#proc?.stop(signal);
  }

  async cli(args: string[]): Promise<string> {
    const { stdout } = await run('docker', args, { env: { ...process.env, DOCKER_HOST: this.url }, maxBuffer: 16 * 2 ** 20 });
    return stdout.trim();
  }

  /** running counts the bench service's running containers on this engine. */
  async running(): Promise<number> {
    return (await this.docker.listContainers({ filters: { label: [SERVICE_LABEL], status: ['running'] } })).length;
  }

  async any(): Promise<number> {
    return (await this.docker.listContainers({ all: true, filters: { label: [SERVICE_LABEL] } })).length;
  }

  /** runningInRuntime counts the containers running under this engine as runc sees them: it works with dockerd dead. */
  async runningInRuntime(): Promise<number> {
    const { stdout } = await run('runc', ['--root', join(this.dir, 'exec', 'runtime-runc', 'moby'), 'list', '--format', 'json']);
    return ((JSON.parse(stdout) as { status: string }[] | null) ?? []).filter((c) => c.status === 'running').length;
  }
}

export interface Hosts {
  net: TestNetwork;
  /** The managers' host (the last one). */
  manager: TestHost;
  workers: TestHost[];
  engines: Map<string, Dockerd>;
  engine(host: TestHost): Dockerd;
}

/**
 * startHosts makes `workers` + 1 hosts, each with its engine; workers get the busybox test image
 * (built once, offline, then loaded from a file). The harness removes it all at destroy() or exit.
 */
export async function startHosts(name: string, workers: number): Promise<Hosts> {
  const net = await createTestNetwork({ name, hosts: workers + 1 });
  try {
    const engines = new Map(net.hosts.map((h) => [h.name, new Dockerd(h)]));
    await Promise.all([...engines.values()].map((e) => e.start()));
    const [first, ...rest] = net.hosts.slice(0, workers);
    const engine = (h: TestHost): Dockerd => engines.get(h.name)!;
    await buildBusyboxImage(engine(first!).docker, IMAGE);
    const file = join(net.dir, 'image.tar');
    await saveImage(engine(first!).docker, IMAGE, file);
    await Promise.all(rest.map((h) => loadImage(engine(h).docker, file)));
    rmSync(file);
    return { net, manager: net.hosts.at(-1)!, workers: net.hosts.slice(0, workers), engines, engine };
  } catch (err) {
    await net.destroy();
    throw err;
  }
}

/**
 * stopHosts ends the engines, then removes the hosts. dockerd stops its containers on SIGTERM
 * (no live-restore) and removes their cgroups; the harness's tear-down, which kills, is the net.
 */
export async function stopHosts(hosts: Pick<Hosts, 'net' | 'engines'>): Promise<void> {
  try {
    await Promise.all([...hosts.engines.values()].map((e) => Promise.race([e.kill('SIGTERM'), sleep(30_000)])));
  } finally {
    await hosts.net.destroy();
  }
}

/** What the benchmarks ask of either system: its manager's Engine API, and its nodes. */
export interface System {
  name: string;
  api: Dockerode;
}

export interface NodeInfo {
  id: string;
  hostname: string;
  state: string;
  availability: string;
}

export async function nodes(sys: System): Promise<NodeInfo[]> {
  const list = (await sys.api.listNodes()) as { ID: string; Description?: { Hostname?: string }; Status?: { State?: string }; Spec?: { Availability?: string } }[];
  return list.map((n) => ({ id: n.ID, hostname: n.Description?.Hostname ?? '', state: n.Status?.State ?? '', availability: n.Spec?.Availability ?? '' }));
}

/** ready tells whether every named host is a ready node of the system. */
export async function ready(sys: System, hostnames: string[]): Promise<boolean> {
  const list = await nodes(sys);
  return hostnames.every((h) => list.some((n) => n.hostname === h && n.state === 'ready'));
}

/** createService creates the bench service; restartDelayMs sets its restart policy's delay (default: the system's, Swarm's 5 s). */
export function createService(sys: System, replicas: number, restartDelayMs?: number): Promise<unknown> {
  const RestartPolicy = restartDelayMs === undefined ? undefined : { Delay: restartDelayMs * 1e6 };
  return sys.api.createService({ Name: SERVICE, Mode: { Replicated: { Replicas: replicas } }, TaskTemplate: { ContainerSpec: { Image: IMAGE, Args: CMD }, RestartPolicy } });
}

export async function removeService(sys: System): Promise<void> {
  await sys.api.getService(SERVICE).remove().catch((err: { statusCode?: number }) => {
    if (err.statusCode !== 404) throw err;
  });
}

/** The service's tasks the manager sees running (and wants running). */
export async function runningTasks(sys: System): Promise<number> {
  const tasks = (await sys.api.listTasks({ filters: { service: [SERVICE], 'desired-state': ['running'] } })) as { Status?: { State?: string } }[];
  return tasks.filter((t) => t.Status?.State === 'running').length;
}

/** Docker Swarm mode: dockerd on the managers' host inits the swarm (drained: it runs no tasks). */
export class Swarm implements System {
  readonly name = 'Swarm';
  readonly api: Dockerode;
  #token = '';

  constructor(
    readonly manager: Dockerd,
    readonly addr: string,
  ) {
    this.api = manager.docker;
  }

  static async init(manager: Dockerd): Promise<Swarm> {
    const ip = manager.host.ip;
    await manager.cli(['swarm', 'init', '--advertise-addr', ip]);
    await manager.cli(['node', 'update', '--availability', 'drain', manager.host.name]);
    const swarm = new Swarm(manager, `${ip}:2377`);
    swarm.#token = await manager.cli(['swarm', 'join-token', '-q', 'worker']);
    return swarm;
  }

  /** join runs `docker swarm join` on an engine (as a worker, or a manager); it returns once the CLI does. */
  async join(engine: Dockerd, role: 'worker' | 'manager' = 'worker'): Promise<void> {
    const token = role === 'worker' ? this.#token : await this.manager.cli(['swarm', 'join-token', '-q', 'manager']);
    await engine.cli(['swarm', 'join', '--token', token, this.addr]);
  }

  heartbeat(period: string): Promise<string> {
    return this.manager.cli(['swarm', 'update', '--dispatcher-heartbeat', period]);
  }
}

/**
 * Berth: `berth manager` on the managers' host (its API on its unix socket, read from here), and
 * agents started with the join line it prints, each driving its host's dockerd.
 */
export class Berth implements System {
  readonly name = 'Berth';
  readonly api: Dockerode;
  readonly agents = new Map<string, CapturedProcess>();

  private constructor(
    readonly manager: CapturedProcess,
    readonly dataDir: string,
    /** The printed line's arguments: agent --join HOST:PORT --token TOKEN. */
    readonly joinArgs: string[],
  ) {
    this.api = new Dockerode({ socketPath: join(dataDir, 'berth.sock') });
  }

  static async start(host: TestHost): Promise<Berth> {
    const dataDir = join(host.dir, 'berth-manager');
    const manager = host.spawn(process.execPath, [BIN, 'manager', '--data-dir', dataDir, '--cluster-listen', `${host.ip}:${BERTH_CLUSTER_PORT}`], { BERTH_LOG_LEVEL: 'warn' });
    const [, line] = await manager.waitFor(/^\s+(berth agent --join \S+ --token \S+)$/m, 30_000);
    const berth = new Berth(manager, dataDir, line!.split(' ').slice(1));
    await until(async () => (await berth.api.ping()) !== undefined, 'berth API socket', 30_000);
    return berth;
  }

  /** startAgent runs the printed join line on a host, with its engine, name and a data dir. */
  startAgent(engine: Dockerd, dataDir = join(engine.host.dir, 'berth-agent')): CapturedProcess {
    const agent = engine.host.spawn(process.execPath, [BIN, ...this.joinArgs, '--engine', engine.url, '--hostname', engine.host.name, '--data-dir', dataDir], { BERTH_LOG_LEVEL: 'info' });
    this.agents.set(engine.host.name, agent);
    return agent;
  }

  /** stop ends the agents and the manager gracefully (an agent unmounts what it mounted). */
  async stop(): Promise<void> {
    await Promise.all([...this.agents.values()].map((a) => a.stop()));
    await this.manager.stop();
  }
}

export function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}

export const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

export const secs = (ms: number): string => (ms / 1000).toFixed(2);
