// `berth up`, `berth manager`, `berth registry` and `berth agent`: start the long-running parts, in the
// foreground, until SIGINT/SIGTERM, then stop them in order. Each part's code is loaded only by
// the commands that run it, so `berth registry` does not carry the manager and agent in memory.

import { hostname as osHostname, homedir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from '../common/log.js';
import { berthVersion } from '../common/version.js';
import { normalizeRegistry } from '../common/pull-auth.js';
import { InvalidArgumentError } from '../types/index.js';
import { Registry, checkRegistryListen, loadTls } from '../registry/index.js';
import { parseLabels } from './labels.js';

export interface UpOptions {
  dataDir?: string;
  taskHistoryLimit?: number;
  listen: string;
  insecureApi?: boolean;
  clusterListen: string;
  advertiseAddr?: string;
  engine?: string;
  hostname?: string;
  demo?: boolean;
  /** Registry HOST:PORT, or "off". */
  registry: string;
  registryGcInterval?: number;
  registryGcCron?: string;
  registryGcGrace?: number;
  registryGcUntagged?: boolean;
  registryTlsCert?: string;
  registryTlsKey?: string;
  /** Ranges the registry's webhooks and replication may reach despite the outbound guard. */
  allowOutbound?: string[];
}

export const defaultDataDir = (): string => join(homedir(), '.berth');

/** untilSignal resolves on the first SIGINT or SIGTERM. */
function untilSignal(): Promise<string> {
  return new Promise((resolve) => {
    for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => resolve(sig));
  });
}

export async function runUp(opts: UpOptions, log: Logger): Promise<void> {
  const dataDir = opts.dataDir ?? defaultDataDir();
  // Refuse a bad registry address before starting anything.
  const registryOn = opts.registry !== 'off';
  const registryTls = tlsFiles(opts.registryTlsCert, opts.registryTlsKey, '--registry-tls-cert', '--registry-tls-key');
  if (registryOn) checkRegistryListen(opts.registry, registryTls !== undefined);
  if (registryOn && registryTls) await loadTls(registryTls);
  const { Agent, DEMO_IMAGE, buildBusyboxImage, connectEngine, describeNode } = await import('../agent/index.js');
  const { Manager } = await import('../manager/index.js');
  const engine = await connectEngine({ engine: opts.engine, dataDir: join(dataDir, 'engine'), log, install: true });
  if (opts.demo) await buildBusyboxImage(engine.docker, DEMO_IMAGE);
  const manager = await Manager.start({
    dataDir: join(dataDir, 'manager'),
    listen: opts.listen,
    insecureApi: opts.insecureApi,
    socketPath: join(dataDir, 'berth.sock'),
    clientDir: join(dataDir, 'client'),
    clusterListen: opts.clusterListen,
    advertiseAddr: opts.advertiseAddr,
    log,
    version: berthVersion(),
    taskHistory: opts.taskHistoryLimit,
    onLocked: printLocked,
  });
  // One store for the whole platform: the registry keeps its users, projects and policies in the manager's.
  const registry = registryOn
    ? await Registry.start({
        dataDir: join(dataDir, 'registry'),
        listen: opts.registry,
        log,
        store: manager.store,
        tls: registryTls,
        adminPassword: process.env.BERTH_ADMIN_PASSWORD,
        gc: { ...gcSchedule(opts.registryGcInterval, opts.registryGcCron, '--registry-gc'), graceMs: opts.registryGcGrace, deleteUntagged: opts.registryGcUntagged },
        allowOutbound: opts.allowOutbound,
        // Never a webhook or replication target, even inside an allowed range.
        managerUrl: manager.url,
      })
    : undefined;
  const description = await describeNode(engine.docker, { hostname: opts.hostname ?? osHostname() });
  // The local agent pulls from the platform's own registry, plain HTTP on loopback.
  const insecureRegistries = registry ? loopbackNames(registry.address) : [];
  // The local agent joins like any other, over the cluster port, with a token that never leaves this process.
  const agent = new Agent({
    manager: manager.clusterLocalAddr,
    joinToken: manager.localToken,
    stateDir: join(dataDir, 'agent'),
    docker: engine.docker,
    engineUrl: engine.url,
    description,
    log,
    insecureRegistries,
  });
  await agent.ensureJoined();
  const stopAgent = new AbortController();
  const agentDone = agent.run(stopAgent.signal);
  process.stdout.write(
    `Berth ${berthVersion()} is up: API ${manager.url} and unix://${manager.socketPath}, engine ${engine.url}\n` +
      apiHelp(manager, join(dataDir, 'client')) +
      (registry ? registryHelp(registry) : '') +
      `Join other machines with (add --engine URL, --hostname NAME or --data-dir DIR where one needs it):\n  ${joinCommand(manager)}\n` +
      `Press Ctrl-C to stop (containers keep running and are adopted on the next start).\n`,
  );
  if (opts.demo) await (await import('./demo.js')).startDemo(manager.socketPath);
  const sig = await untilSignal();
  process.stdout.write(`${sig}: stopping\n`);
  stopAgent.abort();
  await agentDone;
  await registry?.stop();
  await manager.stop();
  await engine.close();
}

export async function runManager(
  opts: { dataDir?: string; listen: string; insecureApi?: boolean; clusterListen: string; advertiseAddr?: string; taskHistoryLimit?: number },
  log: Logger,
): Promise<void> {
  const dataDir = opts.dataDir ?? join(defaultDataDir(), 'manager');
  const { Manager } = await import('../manager/index.js');
  const manager = await Manager.start({
    dataDir,
    listen: opts.listen,
    insecureApi: opts.insecureApi,
    clusterListen: opts.clusterListen,
    advertiseAddr: opts.advertiseAddr,
    log,
    version: berthVersion(),
    taskHistory: opts.taskHistoryLimit,
    onLocked: printLocked,
  });
  process.stdout.write(
    `Berth manager ${berthVersion()} listening on ${manager.url} and unix://${manager.socketPath}, cluster port ${manager.clusterAddr}\n` +
      apiHelp(manager, join(dataDir, 'client')) +
      `Join machines with (add --engine URL, --hostname NAME or --data-dir DIR where one needs it):\n  ${joinCommand(manager)}\n`,
  );
  await untilSignal();
  await manager.stop();
}

export interface RegistryCliOptions {
  dataDir?: string;
  listen: string;
  tlsCert?: string;
  tlsKey?: string;
  gcInterval?: number;
  gcCron?: string;
  gcGrace?: number;
  gcUntagged?: boolean;
  allowOutbound?: string[];
}

export async function runRegistry(opts: RegistryCliOptions, log: Logger): Promise<void> {
  const dataDir = opts.dataDir ?? join(defaultDataDir(), 'registry');
  const tls = tlsFiles(opts.tlsCert, opts.tlsKey, '--tls-cert', '--tls-key');
  checkRegistryListen(opts.listen, tls !== undefined);
  const registry = await Registry.start({
    dataDir,
    listen: opts.listen,
    log,
    tls,
    adminPassword: process.env.BERTH_ADMIN_PASSWORD,
    gc: { ...gcSchedule(opts.gcInterval, opts.gcCron, '--gc'), graceMs: opts.gcGrace, deleteUntagged: opts.gcUntagged },
    allowOutbound: opts.allowOutbound,
  });
  process.stdout.write(`Berth registry ${berthVersion()} listening on ${registry.url} (data in ${dataDir})\n${registryHelp(registry)}`);
  await untilSignal();
  await registry.stop();
}

/** gcSchedule picks the garbage collector's schedule from its two flags (`prefix`-interval, `prefix`-cron), which exclude each other. */
function gcSchedule(intervalMs: number | undefined, cron: string | undefined, prefix: string): { intervalMs?: number; cron?: string } {
  if (intervalMs !== undefined && cron !== undefined) throw new InvalidArgumentError(`give ${prefix}-interval or ${prefix}-cron, not both`);
  return { intervalMs, cron };
}

function tlsFiles(cert: string | undefined, key: string | undefined, certFlag: string, keyFlag: string): { certFile: string; keyFile: string } | undefined {
  if (cert === undefined && key === undefined) return undefined;
  if (cert === undefined || key === undefined) throw new InvalidArgumentError(`give both ${certFlag} FILE and ${keyFlag} FILE to serve the registry over TLS`);
  return { certFile: cert, keyFile: key };
}

/** How to log in and push; the first admin's random password is shown here, once. */
function registryHelp(registry: Registry): string {
  const insecure = registry.scheme === 'http' ? ' --tls-verify=false' : '';
  return (
    (registry.initialAdminPassword ? `Registry admin password (shown once, change it with berth user passwd): ${registry.initialAdminPassword}\n` : '') +
    `Log in to its registry, then push (${registry.scheme === 'http' ? 'plain HTTP on loopback' : 'TLS'}):\n` +
    `  berth login ${registry.address} -u admin --password-stdin\n` +
    `  podman login${insecure} ${registry.address} -u admin\n` +
    `  podman push${insecure} IMAGE ${registry.address}/library/NAME:TAG\n`
  );
}

/** How to drive the API: the root-only socket here, TLS with the admin bundle from anywhere. */
function apiHelp(manager: { url: string; socketPath: string }, clientDir: string): string {
  const tcp = manager.url.replace(/^https?:/, 'tcp:');
  if (manager.url.startsWith('http:')) return `Drive it with the docker CLI or berth (plain HTTP, no authentication: --insecure-api):\n  export DOCKER_HOST=${tcp}\n  docker node ls\n`;
  return (
    `Drive it with the docker CLI or berth, as root on this machine:\n  export DOCKER_HOST=unix://${manager.socketPath}\n  docker node ls\n` +
    `or from anywhere with the admin's client certificate (copy ${clientDir}; berth cert client NAME --out DIR makes more):\n` +
    `  export DOCKER_HOST=${tcp} DOCKER_TLS_VERIFY=1 DOCKER_CERT_PATH=${clientDir}\n`
  );
}

/** How to unlock a manager that started locked (autolock): through its root-only socket, with the key the operator kept. */
function printLocked(socketPath: string): void {
  process.stdout.write(
    `Berth manager ${berthVersion()} is locked (autolock): its keys are sealed. Unlock it as root on this machine with the unlock key:\n` +
      `  DOCKER_HOST=unix://${socketPath} docker swarm unlock\n`,
  );
}

/** The line that joins another machine: runnable as printed. */
function joinCommand(manager: { clusterAddr: string; workerToken: string }): string {
  return `berth agent --join ${manager.clusterAddr} --token ${manager.workerToken}`;
}

export interface AgentCliOptions {
  join?: string;
  token?: string;
  engine?: string;
  hostname?: string;
  label?: string[];
  dataDir?: string;
  insecureRegistry?: string[];
}

export async function runAgent(opts: AgentCliOptions, log: Logger): Promise<void> {
  const name = opts.hostname ?? osHostname();
  const dataDir = opts.dataDir ?? join(defaultDataDir(), 'agents', name);
  const { Agent, connectEngine, describeNode } = await import('../agent/index.js');
  const engine = await connectEngine({ engine: opts.engine, dataDir: join(dataDir, 'engine'), log, install: false });
  const description = await describeNode(engine.docker, { hostname: name });
  const agent = new Agent({
    manager: opts.join,
    joinToken: opts.token,
    stateDir: dataDir,
    docker: engine.docker,
    engineUrl: engine.url,
    description,
    labels: parseLabels(opts.label ?? []),
    insecureRegistries: parseInsecureRegistries(opts.insecureRegistry ?? []),
    log,
  });
  const id = await agent.ensureJoined();
  const stop = new AbortController();
  const done = agent.run(stop.signal);
  process.stdout.write(`Berth agent ${name} (node ${id.nodeId}) on engine ${engine.url}, manager ${id.manager}\n`);
  const end = await Promise.race([done, untilSignal().then(() => undefined)]);
  stop.abort();
  const result = end ?? (await done);
  await engine.close();
  if (!result.stopped) throw new Error(result.reason);
}

/** parseInsecureRegistries checks `--insecure-registry HOST:PORT` values and gives them as image names spell registries. */
export function parseInsecureRegistries(values: string[]): string[] {
  return values.map((v) => {
    const host = normalizeRegistry(v);
    if (!host) throw new InvalidArgumentError(`invalid --insecure-registry ${JSON.stringify(v)}: give the registry as HOST:PORT, e.g. 127.0.0.1:5000`);
    return host;
  });
}

/** loopbackNames: a registry on 127.0.0.1:PORT is also named localhost:PORT in image references. */
function loopbackNames(address: string): string[] {
  const port = /^127\.0\.0\.1(:\d+)$/.exec(address)?.[1];
  return port ? [address, `localhost${port}`] : [address];
}
