// Runs real Berth processes (bin/berth.js, built by `npm test`'s set-up) and the real docker CLI
// against them, for end-to-end tests.

import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, join as joinPath, resolve } from 'node:path';
import { promisify } from 'node:util';
import { CapturedProcess } from './process.js';

const ROOT = resolve(import.meta.dirname, '../..');
export const BIN = join(ROOT, 'bin/berth.js');
const run = promisify(execFile);

/** A task as the e2e tests read it from the API's JSON. */
export interface TaskJson {
  ID: string;
  ServiceID: string;
  NodeID?: string;
  Slot?: number;
  DesiredState: string;
  Status: { State: string; Message?: string; Err?: string; ContainerStatus?: { ContainerID?: string } };
  NetworksAttachments?: { Network: { ID: string }; Addresses?: string[] }[];
}

/** Reads a Berth manager's API for e2e tests; `url` is read at each call (the manager starts in before()). */
export function managerApi(url: () => string) {
  const api = async <T>(path: string): Promise<T> => {
    const res = await fetch(url() + path);
    if (res.status !== 200) throw new Error(`GET ${path}: ${res.status} ${await res.text()}`);
    return (await res.json()) as T;
  };
  const tasksOf = (service: string): Promise<TaskJson[]> => api(`/tasks?filters=${encodeURIComponent(JSON.stringify({ service: { [service]: true } }))}`);
  /** The service's tasks that are wanted and observed running. */
  const running = async (service: string): Promise<TaskJson[]> =>
    (await tasksOf(service)).filter((t) => t.DesiredState === 'running' && t.Status.State === 'running');
  return { api, tasksOf, running };
}

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `berth-${prefix}-`));
}

export async function freePort(): Promise<number> {
  return new Promise((resolveP, reject) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolveP(port));
    });
    srv.on('error', reject);
  });
}

/** A Berth process started from the built executable, with its output captured. */
export class BerthProcess extends CapturedProcess {
  constructor(args: string[], env: NodeJS.ProcessEnv = {}) {
    super('berth', process.execPath, [BIN, ...args], {
      env: { ...process.env, DOCKER_HOST: '', BERTH_LOG_LEVEL: process.env.BERTH_TEST_LOG_LEVEL ?? 'warn', ...env },
    });
  }
}

export interface DockerResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * docker runs the real docker CLI against a Berth API (http://host:port or tcp://host:port) with
 * only PATH, HOME and DOCKER_HOST set, so it negotiates with Berth like any client.
 */
export async function docker(
  apiUrl: string,
  args: string[],
  timeoutMs = 120_000,
  home = process.env.HOME ?? '/root',
  extraEnv: Record<string, string> = {},
): Promise<DockerResult> {
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, DOCKER_HOST: apiUrl.replace(/^http:/, 'tcp:'), ...extraEnv };
  try {
    const { stdout, stderr } = await run('docker', args, { env, timeout: timeoutMs, maxBuffer: 16 * 2 ** 20 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number | string; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : 1, stdout: e.stdout ?? '', stderr: e.stderr ?? String(err) };
  }
}

/** dockerOk runs the docker CLI and fails the test unless it exits 0; it returns stdout. */
export async function dockerOk(apiUrl: string, args: string[], home?: string): Promise<string> {
  const r = await docker(apiUrl, args, 30_000, home);
  if (r.code !== 0) throw new Error(`docker ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
  return r.stdout;
}

export interface ManagerProcess {
  proc: BerthProcess;
  /** The API's URL. */
  url: string;
  /** The cluster port's HOST:PORT, which agents join. */
  join: string;
  clusterPort: number;
  token: string;
}

/**
 * startManager runs `berth manager` and returns it with its URL, cluster port and worker token.
 * The cluster port is a free loopback port unless given (a restarted manager keeps its own:
 * its agents know it).
 */
export async function startManager(dataDir: string, port: number, env: NodeJS.ProcessEnv = {}, opts: { clusterPort?: number; args?: string[] } = {}): Promise<ManagerProcess> {
  const clusterPort = opts.clusterPort ?? (await freePort());
  // Plain HTTP (--insecure-api): these tests are about workloads; test/e2e/api-tls.test.ts drives the TLS API.
  const proc = new BerthProcess(['manager', '--data-dir', dataDir, '--listen', `127.0.0.1:${port}`, '--insecure-api', '--cluster-listen', `127.0.0.1:${clusterPort}`, ...(opts.args ?? [])], env);
  try {
    const [, join] = await proc.waitFor(/cluster port (\S+)\n/);
    const token = readFileSync(joinPath(dataDir, 'worker-token'), 'utf8').trim();
    return { proc, url: `http://127.0.0.1:${port}`, join: join!, clusterPort, token };
  } catch (err) {
    // Nobody else holds it yet: left running it would keep the test process from ever exiting.
    await proc.stop('SIGKILL');
    throw err;
  }
}

export function startAgent(opts: { join: string; token: string; engine: string; hostname: string; dataDir: string; labels?: string[]; insecureRegistries?: string[]; env?: NodeJS.ProcessEnv }): BerthProcess {
  const args = ['agent', '--join', opts.join, '--token', opts.token, '--engine', opts.engine, '--hostname', opts.hostname, '--data-dir', opts.dataDir];
  for (const l of opts.labels ?? []) args.push('--label', l);
  for (const r of opts.insecureRegistries ?? []) args.push('--insecure-registry', r);
  return new BerthProcess(args, opts.env);
}
