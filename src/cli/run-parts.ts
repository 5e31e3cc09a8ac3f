// `berth up`, `berth manager`, `berth registry` and `berth agent`: start the long-running parts, in the
// foreground, until SIGINT/SIGTERM, then stop them in order. Each part's code is loaded only by
// the commands that run it, so `berth registry` does not carry the manager and agent in memory.

import { isIP } from 'node:net';
import { hostname as osHostname, homedir, networkInterfaces } from 'node:os';
import { join } from 'node:path';
import type { Logger } from '../common/log.js';
import { berthVersion } from '../common/version.js';
import { normalizeRegistry } from '../common/pull-auth.js';
import { hostPort, isLoopback, parseListen } from '../common/listen.js';
import { InvalidArgumentError } from '../types/index.js';
import { Registry, checkRegistryListen, loadTls } from '../registry/index.js';
import { parseLabels } from './labels.js';
import { recordRegistryActivity, recordRegistryAdmin } from '../audit/index.js';
import type { EtcdFiles } from '../manager/index.js';

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
  const registryTls = tlsFiles(opts.registryTlsCert, opts.registryTlsKey, '--registry-tls-cert', '--registry-tls-key');
  // Off loopback without a certificate of the operator's, the registry gets one from the cluster CA.
  const registryListen = opts.registry === 'off' ? undefined : checkRegistryListen(opts.registry, true);
  const registryFromCa = registryListen !== undefined && !registryTls && !isLoopback(registryListen.host);
  if (registryListen && registryTls) await loadTls(registryTls);
  if (registryListen) assertOwnAddress(registryListen);
  const { Agent, DEMO_IMAGE, buildBusyboxImage, connectEngine, describeNode } = await import('../agent/index.js');
  const { Manager, registryAddresses } = await import('../manager/index.js');
  const engine = await connectEngine({ engine: opts.engine, dataDir: join(dataDir, 'engine'), log, install: true });
  if (opts.demo) await buildBusyboxImage(engine.docker, DEMO_IMAGE);
  const manager = await Manager.start({
    ...managerOptions(opts, log),
    dataDir: join(dataDir, 'manager'),
    socketPath: join(dataDir, 'berth.sock'),
    clientDir: join(dataDir, 'client'),
  });
  const registryCert = registryFromCa ? await manager.registryCertificate(registryListen.host) : undefined;
  // One store for the whole platform: the registry keeps its users, projects and policies in the manager's.
  const registry = registryListen
    ? await Registry.start({
        dataDir: join(dataDir, 'registry'),
        listen: opts.registry,
        log,
        store: manager.store,
        tls: registryCert?.first ?? registryTls,
        adminPassword: process.env.BERTH_ADMIN_PASSWORD,
        gc: { ...gcSchedule(opts.registryGcInterval, opts.registryGcCron, '--registry-gc'), graceMs: opts.registryGcGrace, deleteUntagged: opts.registryGcUntagged },
        allowOutbound: opts.allowOutbound,
        // Never a webhook or replication target, even inside an allowed range.
        managerUrl: manager.url,
        // Pull commands (the portal's) name it as other machines reach it.
        advertise: (address) => advertisedRegistry(registryListen.host, parseListen(address).port, manager.clusterAddr),
      })
    : undefined;
  // Pushes, pulls and deletes of manifests, and the admin API's changes, go to the audit log beside the API's changes.
  registry?.events.on((e) => recordRegistryActivity(manager.store, e));
  registry?.events.onAdmin((c) => recordRegistryAdmin(manager.store, c));
  const registryPort = registry ? parseListen(registry.address).port : 0;
  if (registry && registryCert) {
    registryCert.renewals((next) => registry.setCertificate(next));
    // Every agent, this one included, has its engine trust the cluster root for these names.
    manager.announceRegistry(registryAddresses(registryCert.names, registryPort));
  }
  // Its admin API on the manager's port too (the portal's), and its tags for the services' update check.
  if (registry) {
    const names = [...registryNames(registry), ...(registryCert ? registryAddresses(registryCert.names, registryPort) : [])];
    manager.serveRegistry({ routeAdmin: registry.routeAdmin, tagDigest: (repository, tag) => registry.tagDigest(repository, tag), names: [...new Set(names)] });
  }
  const description = await describeNode(engine.docker, { hostname: opts.hostname ?? osHostname() });
  // The local agent pulls from the platform's own registry without verifying TLS only on
  // loopback: plain HTTP there, or the loopback names of a registry listening everywhere.
  const insecureRegistries = !registry ? [] : registryCert ? wildcardLoopbackNames(registryListen!.host, registryPort) : loopbackNames(registry.address);
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
      (registry ? registryHelp(registry, registryCert && { caFile: join(dataDir, 'client', 'ca.pem'), address: advertisedRegistry(registryListen!.host, registryPort, manager.clusterAddr) }) : '') +
      `Join other machines with (add --engine URL, --hostname NAME or --data-dir DIR where one needs it):\n  ${joinCommand(manager)}\n` +
      `Press Ctrl-C to stop (containers keep running and are adopted on the next start).\n`,
  );
  if (opts.demo) await (await import('./demo.js')).startDemo(manager.socketPath);
  const sig = await untilSignal();
  process.stdout.write(`${sig}: stopping\n`);
  stopAgent.abort();
  await agentDone;
  registryCert?.stop();
  await registry?.stop();
  await manager.stop();
  await engine.close();
}

/** What `berth up` and `berth manager` both take for their manager. */
interface ManagerCliOptions {
  listen: string;
  insecureApi?: boolean;
  clusterListen: string;
  advertiseAddr?: string;
  taskHistoryLimit?: number;
  auditRetention?: number;
}

function managerOptions(opts: ManagerCliOptions, log: Logger) {
  return {
    listen: opts.listen,
    insecureApi: opts.insecureApi,
    clusterListen: opts.clusterListen,
    advertiseAddr: opts.advertiseAddr,
    log,
    version: berthVersion(),
    taskHistory: opts.taskHistoryLimit,
    auditRetentionMs: opts.auditRetention,
    onLocked: printLocked,
    adminPassword: process.env.BERTH_ADMIN_PASSWORD,
    // With several managers the first leader makes the admin, maybe after start returned: told when it happens.
    onFirstAdmin: (password: string) => process.stdout.write(adminPasswordLine(password)),
  };
}

export async function runManager(opts: ManagerCliOptions & EtcdFiles & { dataDir?: string; store?: string; join?: string; token?: string }, log: Logger): Promise<void> {
  const dataDir = opts.dataDir ?? join(defaultDataDir(), 'manager');
  const { Manager, parseStoreUrl, joinedBefore, keepManagerKeys } = await import('../manager/index.js');
  const etcd = parseStoreUrl(opts.store, opts);
  if (opts.join || opts.token) {
    if (!opts.join || !opts.token) throw new Error('--join and --token go together: `docker swarm join-token manager` on a manager prints both');
    if (!etcd) throw new Error('several managers share their state in etcd: add --store etcd://HOST:PORT (the same as the other managers)');
    if (!joinedBefore(dataDir)) {
      const { joinCluster } = await import('../agent/index.js');
      const joined = await joinCluster(opts.join, opts.token, osHostname(), { manager: true });
      keepManagerKeys(dataDir, joined.nodeId, joined.keys);
      process.stdout.write(`This node joined a swarm as a manager (node ${joined.nodeId}).\n`);
    }
  }
  const manager = await Manager.start({ ...managerOptions(opts, log), dataDir, ...(etcd && { etcd }) });
  process.stdout.write(
    `Berth manager ${berthVersion()} listening on ${manager.url} and unix://${manager.socketPath}, cluster port ${manager.clusterAddr}\n` +
      apiHelp(manager, join(dataDir, 'client')) +
      `Join machines with (add --engine URL, --hostname NAME or --data-dir DIR where one needs it):\n  ${joinCommand(manager)}\n`,
  );
  // A demoted manager stops too, and exits 0: it was told to, it did not fail.
  await Promise.race([untilSignal(), manager.retired]);
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

/** The first admin's random password, when this start made them: the platform's and the registry's admin. */
function adminPasswordLine(password: string): string {
  return `Admin password of user admin (shown once; berth login --manager -u admin, change it with berth user passwd): ${password}\n`;
}

/**
 * How to log in and push; the first admin's random password is shown here, once. A registry whose
 * certificate the cluster CA issued is named by its advertised address, with how to trust the root.
 */
function registryHelp(registry: Registry, fromCa?: { caFile: string; address: string }): string {
  const insecure = registry.scheme === 'http' ? ' --tls-verify=false' : '';
  const address = fromCa?.address ?? registry.address;
  const how = registry.scheme === 'http' ? 'plain HTTP on loopback' : fromCa ? `TLS with a certificate from the cluster CA, whose root is ${fromCa.caFile}; agents trust it by themselves` : 'TLS';
  return (
    (registry.initialAdminPassword ? `Registry admin password (shown once, change it with berth user passwd): ${registry.initialAdminPassword}\n` : '') +
    `Log in to its registry, then push (${how}):\n` +
    (fromCa ? `  mkdir -p /etc/containers/certs.d/${address} && cp ${fromCa.caFile} /etc/containers/certs.d/${address}/ca.crt\n` : '') +
    `  ${fromCa ? `NODE_EXTRA_CA_CERTS=${fromCa.caFile} ` : ''}berth login ${address} -u admin --password-stdin\n` +
    `  podman login${insecure} ${address} -u admin\n` +
    `  podman push${insecure} IMAGE ${address}/library/NAME:TAG\n`
  );
}

/** advertisedRegistry: how other machines name a registry listening on `host` (on every address: by the manager's advertised host). */
function advertisedRegistry(host: string, port: number, clusterAddr: string): string {
  return isWildcard(host) ? hostPort(parseListen(clusterAddr).host, port) : hostPort(host, port);
}

/** assertOwnAddress refuses a listen address no interface of this machine has (before anything starts). */
function assertOwnAddress(addr: { host: string; port: number }): void {
  if (isIP(addr.host) === 0 || isWildcard(addr.host) || isLoopback(addr.host)) return;
  const own = Object.values(networkInterfaces()).flatMap((list) => (list ?? []).map((a) => a.address));
  if (!own.includes(addr.host)) {
    throw new InvalidArgumentError(
      `the registry cannot listen on ${hostPort(addr.host, addr.port)}: no interface of this machine has the address ${addr.host}. Give one of its addresses, or 0.0.0.0, with --registry HOST:PORT`,
    );
  }
}

const isWildcard = (host: string): boolean => host === '' || host === '0.0.0.0' || host === '::';

/** wildcardLoopbackNames: a registry listening on every address is also reached on loopback, by these names. */
function wildcardLoopbackNames(host: string, port: number): string[] {
  return isWildcard(host) ? [`127.0.0.1:${port}`, `localhost:${port}`] : [];
}

/** How to drive the API: the root-only socket here, TLS with the admin bundle from anywhere. */
function apiHelp(manager: { url: string; socketPath: string }, clientDir: string): string {
  const tcp = manager.url.replace(/^https?:/, 'tcp:');
  if (manager.url.startsWith('http:')) return `Drive it with the docker CLI or berth (plain HTTP, no authentication: --insecure-api):\n  export DOCKER_HOST=${tcp}\n  docker node ls\n`;
  return (
    portalHelp(manager.url) +
    `Drive it with the docker CLI or berth, as root on this machine:\n  export DOCKER_HOST=unix://${manager.socketPath}\n  docker node ls\n` +
    `or from anywhere with the admin's client certificate (copy ${clientDir}; berth cert client NAME --out DIR makes more):\n` +
    `  export DOCKER_HOST=${tcp} DOCKER_TLS_VERIFY=1 DOCKER_CERT_PATH=${clientDir}\n`
  );
}

/** Where the web portal is: plain HTTP from this machine when the API listens on loopback (src/manager/plain-loopback.ts). */
function portalHelp(apiUrl: string): string {
  const url = new URL(apiUrl);
  const local = isLoopback(url.hostname.replace(/^\[(.*)\]$/, '$1'));
  return `Open the portal at ${local ? `http://${url.host}` : apiUrl}/ui/ (log in as admin${local ? '' : '; the browser must trust the cluster CA, ca.pem'})\n`;
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
  registryCertsDir?: string;
  tunnelInterface?: string;
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
    registryCertsDir: opts.registryCertsDir,
    tunnelInterface: opts.tunnelInterface,
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

/** registryNames: the HOST:PORTs an image reference may name the registry by, but those of a certificate from the cluster CA. */
function registryNames(registry: Registry): string[] {
  const { host, port } = parseListen(registry.address);
  return [registry.address, registry.advertisedAddress, ...loopbackNames(registry.address), ...wildcardLoopbackNames(host, port)];
}

/** loopbackNames: a registry on 127.0.0.1:PORT is also named localhost:PORT in image references. */
function loopbackNames(address: string): string[] {
  const port = /^127\.0\.0\.1(:\d+)$/.exec(address)?.[1];
  return port ? [address, `localhost${port}`] : [address];
}
