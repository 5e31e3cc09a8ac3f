// Provisions the Podman API service Berth uses when no engine is running: installs podman if
// asked to, writes the containers.conf this kind of machine needs (runc + cgroupfs, file
// events, ulimits within the hard limits, or no container starts), and starts `podman system service` detached, so a crashed Berth can find and reuse it.
// Isolated services (the test harness's hosts) keep all their state in their data dir and may
// run in a network namespace of their own.

import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { access, constants, mkdir, open, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { UnavailableError } from '../../types/index.js';
import type { Logger } from '../../common/log.js';
import { answers, dockerFor } from './engine-client.js';

export interface PodmanService {
  stop(): Promise<void>;
}

export interface StartPodmanOptions {
  dataDir: string;
  socket: string;
  log: Logger;
  install: boolean;
  /**
   * Keep this engine's images, containers, run state, locks and network definitions in dataDir
   * instead of the machine's, so several engines run side by side (see isolatedPodmanEnv).
   */
  isolated?: boolean;
  /** A network namespace (/run/netns/NAME) to run the service in, entered with nsenter. */
  netns?: string;
}

const START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 10_000;
/** Unreaped children of the Podman service above which it is restarted (recycleIfLeaking). */
const MAX_ZOMBIES = 300;
// Podman's own defaults; lowered to the hard limits when those are smaller.
const PODMAN_NOFILE = 1_048_576;
const PODMAN_NPROC = 4_194_304;

/**
 * startPodman starts the service on `socket` and resolves once it answers. If another process
 * is starting one on the same data dir, it waits for that one instead and owns nothing.
 */
export async function startPodman(opts: StartPodmanOptions): Promise<PodmanService> {
  const { dataDir, socket, log } = opts;
  await mkdir(dataDir, { recursive: true });
  const podman = await ensurePodman(log, opts.install);
  const conf = join(dataDir, 'containers.conf');
  await writeFile(conf, await containersConf(opts.isolated ? dataDir : undefined));
  // An isolated service's HOME is its own: Podman reads registry certificates from
  // $HOME/.config/containers/certs.d first (isolatedCertsDir), before the machine's /etc.
  const env = opts.isolated ? { ...isolatedPodmanEnv(dataDir), HOME: join(dataDir, 'home') } : { CONTAINERS_CONF: conf };
  if ('CONTAINERS_STORAGE_CONF' in env) await writeFile(env.CONTAINERS_STORAGE_CONF, storageConf(dataDir));
  const docker = dockerFor(`unix://${socket}`);
  const lock = join(dataDir, 'podman.lock');
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (!(await tryLock(lock))) {
    if (await answers(docker)) return { stop: async () => {} };
    if (Date.now() > deadline) throw new UnavailableError(`timed out waiting for another process to start Podman (lock ${lock})`);
    await sleep(200);
  }
  try {
    const pidFile = join(dataDir, 'podman.pid');
    await recycleIfLeaking(pidFile, log);
    if (await answers(docker)) return { stop: async () => {} };
    const previous = await runningService(pidFile);
    if (previous) {
      // Alive but slow to answer (busy, or still starting): never start a second one on its socket.
      if (await answersWithin(docker, START_TIMEOUT_MS)) return { stop: async () => {} };
      throw new UnavailableError(
        `the Podman service started earlier (pid ${previous}) runs but does not answer on ${socket}; stop it (kill ${previous}) and retry`,
      );
    }
    await rm(socket, { force: true });
    const logPath = join(dataDir, 'podman.log');
    const out = openSync(logPath, 'a');
    let child: ChildProcess;
    try {
      const service = [podman, 'system', 'service', '--time=0', `unix://${socket}`];
      // nsenter execs podman, so the child (and the pid file) is the service itself.
      const [cmd, ...args] = opts.netns ? ['nsenter', `--net=${opts.netns}`, '--', ...service] : service;
      child = spawn(cmd!, args, {
        env: { ...process.env, ...env },
        // The service outlives whoever started it; conmon fails in a working directory that was removed.
        cwd: dataDir,
        detached: true,
        stdio: ['ignore', out, out],
      });
    } finally {
      closeSync(out);
    }
    child.unref();
    log.info({ socket, servicePid: child.pid, conf, log: logPath }, 'started the Podman API service');
    await waitUntilAnswering(child, docker, logPath);
    await writeFile(pidFile, `${child.pid}\n`);
    return {
      stop: async () => {
        await stopChild(child, log);
        await rm(pidFile, { force: true });
      },
    };
  } finally {
    await rm(lock, { force: true });
  }
}

async function waitUntilAnswering(child: ChildProcess, docker: ReturnType<typeof dockerFor>, logPath: string): Promise<void> {
  let exited = false;
  child.once('exit', () => (exited = true));
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (!(await answers(docker))) {
    if (exited || Date.now() > deadline) {
      if (!exited) child.kill('SIGKILL');
      const tail = (await readFile(logPath, 'utf8').catch(() => '')).trim().split('\n').slice(-5).join('\n');
      throw new UnavailableError(`the Podman service did not start (log ${logPath}):\n${tail}`);
    }
    await sleep(100);
  }
}

async function stopChild(child: ChildProcess, log: Logger): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
  await exited;
  clearTimeout(timer);
  log.info({ servicePid: child.pid }, 'stopped the Podman API service');
}

/**
 * A Podman 4.3 API service whose conmon processes fail early (seen when its working directory
 * had been removed) does not reap them, and their zombies pile up until every start fails
 * ("write child: broken pipe"). A service Berth started that holds many is stopped here, before
 * it is reused, and a new one is started: containers keep running (each has its own live
 * conmon), and the zombies go to init, which reaps them.
 */
async function recycleIfLeaking(pidFile: string, log: Logger): Promise<void> {
  const pid = await runningService(pidFile);
  if (!pid) return;
  const zombies = await zombieChildren(pid);
  if (zombies < MAX_ZOMBIES) return;
  log.warn({ servicePid: pid, zombies }, 'the Podman service has not reaped its finished processes; restarting it');
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + STOP_TIMEOUT_MS;
  while (alive(pid) && Date.now() < deadline) await sleep(100);
  if (alive(pid)) process.kill(pid, 'SIGKILL');
  while (alive(pid)) await sleep(50);
  await rm(pidFile, { force: true });
}

/** zombieChildren counts the exited, unreaped children of pid (from /proc). */
export async function zombieChildren(pid: number): Promise<number> {
  let count = 0;
  for (const entry of await readdir('/proc').catch(() => [] as string[])) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
    // "pid (comm) state ppid ...": comm may hold spaces, so read after its closing parenthesis.
    const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (state === 'Z' && Number(ppid) === pid) count++;
  }
  return count;
}

/** runningService gives the pid in the pid file if that process is still a Podman API service. */
async function runningService(pidFile: string): Promise<number | undefined> {
  const pid = Number((await readFile(pidFile, 'utf8').catch(() => '')).trim());
  if (!Number.isInteger(pid) || pid <= 0 || !alive(pid)) return undefined;
  const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
  return cmdline.includes('podman') && cmdline.includes('service') ? pid : undefined;
}

async function answersWithin(docker: ReturnType<typeof dockerFor>, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await answers(docker)) return true;
    await sleep(500);
  }
  return false;
}

/** tryLock takes the start lock, clearing one left by a process that no longer exists. */
async function tryLock(path: string): Promise<boolean> {
  try {
    const f = await open(path, 'wx');
    await f.writeFile(`${process.pid}\n`);
    await f.close();
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  const holder = Number((await readFile(path, 'utf8').catch(() => '')).trim());
  if (!Number.isInteger(holder) || holder <= 0 || !alive(holder)) {
    await rm(path, { force: true });
    return tryLock(path);
  }
  return false;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The environment that points the podman CLI at an isolated engine's configuration in dataDir. */
export function isolatedPodmanEnv(dataDir: string): { CONTAINERS_CONF: string; CONTAINERS_STORAGE_CONF: string } {
  return { CONTAINERS_CONF: join(dataDir, 'containers.conf'), CONTAINERS_STORAGE_CONF: join(dataDir, 'storage.conf') };
}

/** Where an isolated service reads per-registry certificates (certs.d): under its own HOME, so several on one machine differ. */
export function isolatedCertsDir(dataDir: string): string {
  return join(dataDir, 'home', '.config', 'containers', 'certs.d');
}

function storageConf(dataDir: string): string {
  return ['[storage]', 'driver = "overlay"', `graphroot = "${join(dataDir, 'root')}"`, `runroot = "${join(dataDir, 'run')}"`, ''].join('\n');
}

/**
 * containersConf renders the engine settings; ulimits come from this process's hard limits.
 * With isolatedIn, libpod's own state goes there too: its tmp dir; file locks, because the
 * default shared-memory locks are one set for the whole machine, and the locks of containers
 * in a storage that is deleted without removing them would stay taken until a reboot; and
 * network definitions, which default to /etc/containers/networks.
 */
export async function containersConf(isolatedIn?: string): Promise<string> {
  // The same numbers as `ulimit -Hn` / `ulimit -Hu`, which the podman child inherits.
  const limits = await readFile('/proc/self/limits', 'utf8');
  const hard = (name: string, fallback: number): number => {
    const m = new RegExp(`^${name}\\s+\\S+\\s+(\\S+)`, 'm').exec(limits);
    return m?.[1] && m[1] !== 'unlimited' ? Math.min(Number(m[1]), fallback) : fallback;
  };
  const nofile = hard('Max open files', PODMAN_NOFILE);
  // Podman itself lowers its own process limit to kernel.pid_max, and a container cannot get more.
  const pidMax = Number((await readFile('/proc/sys/kernel/pid_max', 'utf8').catch(() => '')).trim()) || PODMAN_NPROC;
  const nproc = hard('Max processes', Math.min(pidMax, PODMAN_NPROC));
  return [
    '# Written by Berth. crun refuses hybrid cgroup hierarchies, and podman\'s default ulimits',
    '# exceed the hard limits of many machines; both make every container fail to start.',
    '[engine]',
    'runtime = "runc"',
    'cgroup_manager = "cgroupfs"',
    'events_logger = "file"',
    ...(isolatedIn ? [`tmp_dir = "${join(isolatedIn, 'tmp')}"`, 'lock_type = "file"'] : []),
    '[containers]',
    `default_ulimits = ["nofile=${nofile}:${nofile}", "nproc=${nproc}:${nproc}"]`,
    ...(isolatedIn ? ['[network]', `network_config_dir = "${join(isolatedIn, 'networks')}"`] : []),
    '',
  ].join('\n');
}

async function ensurePodman(log: Logger, install: boolean): Promise<string> {
  const missing = async (): Promise<string[]> =>
    (await Promise.all(['podman', 'runc'].map(async (p) => ((await findExecutable(p)) ? [] : [p])))).flat();
  let absent = await missing();
  if (absent.length === 0) return (await findExecutable('podman'))!;
  const aptGet = await findExecutable('apt-get');
  if (!install || process.getuid?.() !== 0 || !aptGet) {
    throw new UnavailableError(
      `no container engine found: ${absent.join(' and ')} ${absent.length > 1 ? 'are' : 'is'} not installed and ` +
        `neither DOCKER_HOST nor /var/run/docker.sock gives an engine. Install them (apt-get install -y podman runc netavark aardvark-dns), ` +
        'or run Docker and pass --engine unix:///var/run/docker.sock' +
        (install ? ' (automatic install needs root and apt-get)' : ''),
    );
  }
  log.info('installing podman and runc with apt-get (no container engine found)');
  await run(log, aptGet, ['update']);
  // netavark and aardvark-dns: bridge networks with DNS, which Berth networks need.
  await run(log, aptGet, ['install', '-y', 'podman', 'runc', 'netavark', 'aardvark-dns']);
  absent = await missing();
  if (absent.length > 0) throw new UnavailableError(`apt-get install finished but ${absent.join(', ')} is still missing`);
  return (await findExecutable('podman'))!;
}

async function run(log: Logger, cmd: string, args: string[]): Promise<void> {
  log.info({ cmd: [cmd, ...args].join(' ') }, 'running');
  const child = spawn(cmd, args, { env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  const collect = (chunk: Buffer): void => {
    for (const line of chunk.toString().split('\n').filter(Boolean)) {
      lines.push(line);
      log.debug(line);
    }
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', resolve);
  });
  if (code !== 0) {
    throw new UnavailableError(`${cmd} ${args.join(' ')} failed (exit ${code}):\n${lines.slice(-10).join('\n')}`);
  }
}

/** findExecutable looks a program up on PATH and in the sbin directories root normally has. */
async function findExecutable(name: string): Promise<string | undefined> {
  const dirs = [...(process.env.PATH ?? '').split(':'), '/usr/local/sbin', '/usr/sbin', '/sbin', '/usr/bin', '/bin'];
  for (const dir of dirs.filter(Boolean)) {
    try {
      await access(join(dir, name), constants.X_OK);
      return join(dir, name);
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
