// The manager process: one store, the loops around it, the API, and the cluster port where the
// CA admits nodes and the dispatcher holds their sessions (mutual TLS). This is the composition
// root for the manager side; loops know only the store. With autolock on, all of that waits
// behind the unlock gate (locked.ts): the store key and the CA key are sealed until then.

import type { Server as HttpsServer } from 'node:https';
import { mkdirSync } from 'node:fs';
import type { Server } from 'node:http';
import type { Server as TlsServer } from 'node:tls';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Allocator } from '../allocator/index.js';
import { createApiServer, ensureNetworks, SERVER_TIMEOUTS, stackEngine } from '../api/index.js';
import type { Logger } from '../common/log.js';
import { Dispatcher } from '../dispatcher/index.js';
import { GlobalOrchestrator, JobsOrchestrator, ReplicatedOrchestrator, TaskReaper } from '../orchestrator/index.js';
import { Scheduler } from '../scheduler/index.js';
import { closeGracefully } from '../common/http-close.js';
import { hostPort, isLoopback } from '../common/listen.js';
import { parseDuration } from '../common/time.js';
import { joinToken } from '../common/tokens.js';
import { Store, type EtcdBackendOptions } from '../store/index.js';
import { CertificateAuthority, ClientCertificates, clientCertificateRoutes, finishPromotion, loadTrust, RootRotation, ROOT_KEY_FILE } from '../ca/index.js';
import { DEFAULT_CLUSTER_PORT, UnavailableError, type ManagerKeys } from '../types/index.js';
import { ensureCluster } from './bootstrap.js';
import { normaliseStoredSpecs } from './stored-specs.js';
import { TokenFile } from './token-file.js';
import { assertLoopback, parseListen } from './listen.js';
import { advertiseAddress } from './advertise.js';
import { startClusterPort, type ClusterPort } from './cluster-port.js';
import { apiServerTls, clientGuard, ensureAdminBundle, listenUnix, machineNames } from './api-access.js';
import { Autolock, adoptAutolock } from './autolock.js';
import { AutolockSync } from './autolock-sync.js';
import { serveLocked } from './locked.js';
import { registryCertificate, type RenewingCertificate } from './registry-tls.js';
import { Leadership, type ManagerAddress } from './leadership.js';
import { ensureManagerNode, hasManagerNode, managerNodeId, recordManagerAddrs, saveManagerNodeId, untilRetired } from './manager-node.js';
import { forwardToLeader } from './forward.js';
import { authorize, callers, FORWARDED_CALLER_HEADER, type Callers } from '../access/index.js';
import type { Identity } from '../audit/index.js';
import { auditRoutes, AuditRetention, DEFAULT_AUDIT_RETENTION_MS, recordAudit } from '../audit/index.js';
import { directoryRoutes, ensureFirstAdmin, LoginLimiter, oidcRoutes } from '../users/index.js';
import { portalRoutes } from '../portal/index.js';
import { stackRoutes } from '../stacks/index.js';
import { acceptPlainHttp } from './plain-loopback.js';
import { leaderView } from './leader-view.js';
import { RegistryMount, type LocalRegistry } from './registry-mount.js';

/** How long a follower holds a forwarded change's answer for its own copy to catch up (a healthy watch takes milliseconds). */
const CATCH_UP_MS = 3000;

export interface ManagerOptions {
  dataDir: string;
  /** HOST:PORT; port 0 picks a free one. */
  listen: string;
  /**
   * Serve the TCP API in plain HTTP with no authentication (loopback only). Dangerous: any local
   * user can then run containers as root on every node.
   */
  insecureApi?: boolean;
  /** The API's unix socket (default <dataDir>/berth.sock). */
  socketPath?: string;
  /** Where the admin's client bundle is written (default <dataDir>/client). */
  clientDir?: string;
  /** The cluster port's HOST:PORT (default 0.0.0.0:2377); port 0 picks a free one. */
  clusterListen?: string;
  /** Address (IP or interface, optionally :PORT) other machines reach the cluster port at. */
  advertiseAddr?: string;
  log: Logger;
  version: string;
  /** How long audit log entries are kept (default 30 days). */
  auditRetentionMs?: number;
  /** The first admin's password (BERTH_ADMIN_PASSWORD); a random one is made and shown once without it. */
  adminPassword?: string;
  /** Called with the random password when this manager (leading for the first time) made the first admin. */
  onFirstAdmin?: (password: string) => void;
  /** Ended tasks kept per slot (Swarm's TaskHistoryRetentionLimit, default 5); kept across restarts when not given. */
  taskHistory?: number;
  /** Called when the manager starts locked (autolock), with the unix socket that takes `docker swarm unlock`. */
  onLocked?: (socketPath: string) => void;
  /** Keep the cluster's state in etcd instead of <dataDir>/state.db (`--store etcd://...`). */
  etcd?: EtcdBackendOptions;
}

/** Who an OIDC login or refresh signed in: those requests came without a caller. */
const signedIn = new WeakMap<FastifyRequest, string>();

/** auditIdentity names a request's caller in the audit log; one refused before it was known is named by its address. */
function auditIdentity(who: Callers, request: FastifyRequest): Identity {
  const source = (request.raw.socket.remoteAddress ?? '').replace(/^::ffff:/, '');
  const user = signedIn.get(request);
  if (user) return { User: user, Auth: 'session', Source: source };
  try {
    const c = who.callerOf(request);
    return { User: c.User, Auth: c.Auth, Source: c.Source };
  } catch {
    return { User: 'unknown', Auth: 'none', Source: source };
  }
}

/** clusterCreated resolves once the cluster object exists (made by the manager that leads). */
function clusterCreated(store: Store): Promise<void> {
  return new Promise((resolve) => {
    const [found, watcher] = store.viewAndWatch((tx) => !!tx.cluster());
    if (found) {
      watcher.close();
      return resolve();
    }
    void (async () => {
      for (let commit = await watcher.next(); commit; commit = await watcher.next()) {
        if (commit.changes.some((c) => c.kind === 'cluster')) break;
      }
      watcher.close();
      resolve();
    })();
  });
}

/**
 * BERTH_MIN_CERT_EXPIRY (a duration such as 20s) lowers the 1h floor of node certificate expiry,
 * so tests can watch renewals happen; documented as for tests only.
 */
function minCertExpiryNs(): number | undefined {
  const text = process.env.BERTH_MIN_CERT_EXPIRY;
  return text ? parseDuration(text) * 1e6 : undefined;
}

export class Manager {
  readonly #abort = new AbortController();
  #loops: Promise<void>[] = [];
  #followLoops: Promise<void> | undefined;
  #leadership: Leadership | undefined;
  /** Aborted when this manager's term as leader ends (it lost the lead, or stops): its loops stop. */
  #term: AbortController | undefined;
  /** Starts this manager's loops for a term as leader. */
  #lead: (() => Promise<void>) | undefined;
  /** The registry certificates issued here: a root rotation renews them at once. */
  readonly #registryCerts = new Set<RenewingCertificate>();
  /** What registryCertificate and announceRegistry need, set once started. */
  #registryParts: { ca: CertificateAuthority; clusterId: string; advertisedHost: string; dispatcher: Dispatcher; addresses: Set<string>; mount: RegistryMount } | undefined;
  #retire: () => void = () => undefined;
  /**
   * Resolves once this manager's node is demoted or removed (on etcd; never with SQLite): it does
   * not become a worker, so whoever runs it stops it then (`stop` gives up the lead and the lease).
   */
  readonly retired = new Promise<void>((resolve) => (this.#retire = resolve));

  private constructor(
    readonly store: Store,
    readonly app: FastifyInstance,
    readonly url: string,
    private readonly unix: Server,
    /** The unix socket the API also listens on (root only, mode 0660). */
    readonly socketPath: string,
    private readonly cluster: ClusterPort,
    /** HOST:PORT of the cluster port as other machines reach it: what agents join. */
    readonly clusterAddr: string,
    private readonly clusterListenHost: string,
    /** Token for the agent `berth up` runs in-process; it makes that agent the manager's own node. */
    readonly localToken: string,
    private readonly log: Logger,
  ) {}

  /**
   * start starts the manager. When its keys are sealed (autolock) it is locked: it serves only
   * the locked API, and start resolves once an operator has unlocked it and the rest has started.
   */
  static async start(opts: ManagerOptions): Promise<Manager> {
    const addr = parseListen(opts.listen);
    if (opts.insecureApi) assertLoopback(addr);
    mkdirSync(opts.dataDir, { recursive: true, mode: 0o700 });
    const socketPath = opts.socketPath ?? join(opts.dataDir, 'berth.sock');
    if (!Autolock.locked(opts.dataDir)) return Manager.#start(opts, addr, socketPath, Autolock.off(opts.dataDir));
    const gate = await serveLocked({
      dataDir: opts.dataDir,
      socketPath,
      tcp: opts.insecureApi ? addr : undefined,
      info: { version: opts.version, hostname: hostname() },
      log: opts.log,
    });
    opts.log.warn({ socket: socketPath }, 'the manager is locked (autolock): it starts once unlocked with `docker swarm unlock`');
    opts.onLocked?.(socketPath);
    const autolock = await gate.unlocked;
    try {
      const manager = await Manager.#start(opts, { ...addr, port: gate.tcpPort ?? addr.port }, socketPath, autolock);
      gate.started();
      return manager;
    } catch (err) {
      gate.failed(err);
      throw err;
    }
  }

  static async #start(opts: ManagerOptions, addr: { host: string; port: number }, socketPath: string, autolock: Autolock): Promise<Manager> {
    // Loaded only when used: etcd's gRPC client is heavy.
    const backend = opts.etcd && (await (await import('../store/etcd-backend.js')).EtcdBackend.open({ ...opts.etcd, warn: (message) => opts.log.warn({ part: 'store' }, message) }));
    // On etcd several managers may follow one prefix: each writes only once elected.
    backend?.follower('this manager is not the leader');
    const store = new Store({ path: join(opts.dataDir, 'state.db'), key: autolock.storeKey(), ...(backend && { backend }) });
    const leadership = backend && (await Leadership.join(backend, opts.log.child({ part: 'leadership' })));
    let deposed: (reason: Error) => void = () => undefined;
    const elected = leadership?.campaign((reason) => deposed(reason));
    // The first manager on an empty prefix makes the cluster, which takes the lead; the others find it there.
    const clusterExisted = !!store.view((tx) => tx.cluster());
    if (elected && !clusterExisted) await Promise.race([elected, clusterCreated(store)]);
    const leadingNow = (): boolean => !leadership || leadership.leading;
    const certDir = join(opts.dataDir, 'certificates');
    // The autolock object keeps the root keys: sealed while it is on, plain files otherwise.
    finishPromotion(certDir, store.view((tx) => tx.cluster()?.BerthCA?.RootCert), autolock);
    const root = await autolock.root();
    const cluster = ensureCluster(store, { rootCert: root.certPem, ...(leadingNow() && { taskHistory: opts.taskHistory }) });
    const trust = await loadTrust(cluster, root, autolock);
    // In the join token's shape, so the in-process agent pins the CA as any other node does.
    const localToken = joinToken(root.certPem);
    const clusterListen = parseListen(opts.clusterListen ?? `0.0.0.0:${DEFAULT_CLUSTER_PORT}`, `0.0.0.0:${DEFAULT_CLUSTER_PORT}`);
    let clusterAddr = '';
    // On etcd a manager is a node of its own; with one manager, the agent `berth up` runs in-process is.
    // A data dir that already named its node (joined, or led before) had it in the cluster; one
    // that comes to etcd now (a migrated or restored state) makes its node when it first leads.
    const hadNode = hasManagerNode(opts.dataDir);
    const ownNode = backend && managerNodeId(opts.dataDir);
    // A manager whose node was removed (demoted, then docker node rm) must not come back with its keys.
    if (ownNode && hadNode && clusterExisted && !store.view((tx) => tx.nodes.get(ownNode))) {
      await leadership?.stop();
      store.close();
      throw new Error(`this manager's node ${ownNode} is no longer in the cluster (it was removed): to run a manager here again, join with an empty --data-dir and the manager token`);
    }
    const localNodeId = (): string | undefined => ownNode || store.view((tx) => tx.nodes.list().find((n) => n.ManagerStatus?.Addr === clusterAddr && n.Spec.Role === 'manager')?.ID);
    const managerKeys = (): ManagerKeys => {
      if (ca.trust.current !== ca.root.certPem) throw new UnavailableError('a root CA rotation is in progress: join the manager once it is over');
      return { storeKey: autolock.storeKey().toString('hex'), rootCert: root.certPem, rootKey: autolock.read(ROOT_KEY_FILE)! };
    };
    const ca = new CertificateAuthority(store, { trust, localToken, managerAddr: () => clusterAddr, log: opts.log.child({ part: 'ca' }), ...(backend && { managerKeys }) });
    const dispatcher = new Dispatcher(store, { log: opts.log.child({ loop: 'dispatcher' }) });
    let self: ManagerAddress | undefined;
    const view = leadership && leaderView(leadership, () => self);
    const info = { version: opts.version, hostname: hostname(), nodeId: localNodeId, clusterAddr: () => clusterAddr, ...(view && { managers: view.managers }) };
    const clients = new ClientCertificates(store, ca);
    // The certificates name the advertise address; with port 0 it is known only once listening,
    // and agents check the swarm-manager name, not the address.
    const advertisedHost = advertiseAddress(opts.advertiseAddr, clusterListen.host, clusterListen.port || DEFAULT_CLUSTER_PORT).replace(/:\d+$/, '').replace(/^\[(.*)\]$/, '$1');
    const guard = clientGuard(clients);
    const who = callers({ store, certificate: (serial) => clients.get(serial) });
    let tls = opts.insecureApi ? undefined : await apiServerTls(ca, cluster.ID, [addr.host, advertisedHost]);
    const clusterRegistries = new Set<string>();
    const registryMount = new RegistryMount();
    const app = createApiServer({
      store,
      log: opts.log,
      info,
      logs: dispatcher.logs,
      containers: dispatcher.containers,
      minCertExpiryNs: minCertExpiryNs(),
      // A client without a certificate may still come with a token: the guard and authorize decide per request.
      ...(tls && { https: { ...tls, ca: ca.rootPem, requestCert: true, rejectUnauthorized: false }, authenticate: guard.authenticate }),
      plugins: [(scope) => clientCertificateRoutes(scope, clients), (scope) => auditRoutes(scope, store), (scope) => directoryRoutes(scope, { store, callerOf: who.callerOf, limiter: new LoginLimiter() }), (scope) => oidcRoutes(scope, { store, signedIn: (request, user) => signedIn.set(request, user) }), (scope) => portalRoutes(scope), registryMount.routes, (scope) => stackRoutes(scope, { store, engine: stackEngine })],
      hooks: (api) => {
        authorize(api, who, store);
        recordAudit(api, store, opts.log.child({ part: 'audit' }), (request) => auditIdentity(who, request));
      },
      registryRoot: (registry) => (clusterRegistries.has(registry) ? ca.rootPem : undefined),
      registryTags: registryMount.tags,
    });
    if (tls) {
      guard.attach(app);
      acceptPlainHttp(app.server as HttpsServer, { loopback: isLoopback(addr.host), timeouts: SERVER_TIMEOUTS, handle: (req, res) => app.routing(req, res) });
    }
    // Followers send what needs the leader there, as this manager (its API certificate is a manager's).
    if (view) forwardToLeader(app, { leader: view.api, tls: () => ({ ...(tls ?? {}), ca: ca.rootPem }), plain: !tls, headers: (request) => ({ [FORWARDED_CALLER_HEADER]: who.forwardedCaller(request) }), caughtUp: async (index) => void (await store.reached(index, CATCH_UP_MS)), log: opts.log.child({ part: 'forward' }) });
    await app.listen({ host: addr.host, port: addr.port });
    const apiPort = (app.server.address() as { port: number }).port;
    const unix = await listenUnix(app, socketPath, opts.log);
    const clientDir = opts.clientDir ?? join(opts.dataDir, 'client');
    // A follower sends agents to the leader; during an election it tells them to retry.
    const clusterPort = await startClusterPort({ ca, clusterId: cluster.ID, dispatcher, host: clusterListen.host, port: clusterListen.port, names: [advertisedHost], log: opts.log, ...(view && { leader: view.cluster }) });
    clusterAddr = advertiseAddress(opts.advertiseAddr, clusterListen.host, clusterPort.port);
    const scheme = tls ? 'https' : 'http';
    const manager = new Manager(store, app, `${scheme}://${hostPort(addr.host, apiPort)}`, unix, socketPath, clusterPort, clusterAddr, clusterListen.host, localToken, opts.log);
    manager.#registryParts = { ca, clusterId: cluster.ID, advertisedHost, dispatcher, addresses: clusterRegistries, mount: registryMount };
    manager.#leadership = leadership;
    deposed = (reason) => manager.#stepDown(store, reason);
    if (ownNode) {
      void untilRetired(store, ownNode, manager.#abort.signal).then((how) => {
        if (!how) return;
        opts.log.warn({ node: ownNode }, how === 'demoted' ? 'this manager was demoted: it stops; remove it with docker node rm' : "this manager's node was removed: it stops");
        manager.#retire();
      });
    }
    if (leadership) {
      // Agents learn every live manager, the leader first, to find the next leader when theirs goes.
      leadership.onChange = () => {
        const leader = leadership.leader?.clusterAddr;
        dispatcher.setManagers([...(leader ? [leader] : []), ...[...leadership.members.keys()].filter((a) => a !== leader).sort()]);
        if (leadership.leading) recordManagerAddrs(store, leadership.members.values());
      };
      // Where the other managers send writes: the API's own address, or the advertised one when it listens on all.
      const apiHost = addr.host === '0.0.0.0' || addr.host === '::' || addr.host === '' ? advertisedHost : addr.host;
      self = { clusterAddr, apiUrl: `${scheme}://${hostPort(apiHost, apiPort)}`, ...(ownNode && { nodeId: ownNode }) };
      await leadership.announce(self);
    }
    // A root rotation re-keys both TLS listeners and the admin's bundle before nodes act on it.
    const onTrust = async (): Promise<void> => {
      await clusterPort.refresh();
      if (tls) {
        tls = await apiServerTls(ca, cluster.ID, [addr.host, advertisedHost]);
        (app.server as unknown as TlsServer).setSecureContext({ ...tls, ca: ca.rootPem });
      }
      await ensureAdminBundle(clientDir, clients, ca);
      for (const cert of manager.#registryCerts) cert.renewNow();
    };
    const child = (loop: string): Logger => opts.log.child({ loop });
    // What only the leader does: what makes changes. Followers serve reads and pass the rest on.
    const lead = async (): Promise<void> => {
      const term = new AbortController();
      manager.#term = term;
      const signal = term.signal;
      ensureCluster(store, { rootCert: root.certPem, taskHistory: opts.taskHistory });
      if (ownNode) {
        ensureManagerNode(store, { id: ownNode, hostname: hostname(), clusterAddr });
        recordManagerAddrs(store, leadership!.members.values());
        // Named in the data dir only once etcd has the node: a removed node is then the only missing one.
        if (!hadNode) void store.durable().then(() => saveManagerNodeId(opts.dataDir, ownNode), () => undefined);
      }
      adoptAutolock(store, autolock);
      const password = await ensureFirstAdmin(store, opts.adminPassword);
      if (password) opts.onFirstAdmin?.(password);
      ensureNetworks(store);
      const rewritten = normaliseStoredSpecs(store);
      if (rewritten.services + rewritten.tasks > 0) opts.log.info(rewritten, 'specs stored by an older Berth rewritten in the engine form');
      await ensureAdminBundle(clientDir, clients, ca);
      manager.#loops = [
        new Allocator(store, child('allocator')).run(signal),
        new ReplicatedOrchestrator(store, child('replicated')).run(signal),
        new GlobalOrchestrator(store, child('global')).run(signal),
        new JobsOrchestrator(store, child('jobs')).run(signal),
        new Scheduler(store, { log: child('scheduler') }).run(signal),
        new TaskReaper(store, child('reaper')).run(signal),
        dispatcher.run(signal),
        new RootRotation(store, ca, { dir: certDir, keys: autolock, onTrust, log: child('root-rotation') }).run(signal),
        new AuditRetention(store, opts.auditRetentionMs ?? DEFAULT_AUDIT_RETENTION_MS, child('audit-retention')).run(signal),
      ].map((loop) =>
        // A loop that dies would leave the cluster unconverged in silence: exit, and let the
        // supervisor restart the manager from its durable store.
        loop.catch((err: unknown) => {
          if (signal.aborted) return; // the term ended: a commit refused then is expected
          opts.log.fatal({ err }, 'a manager loop crashed; exiting');
          process.exit(70);
        }),
      );
    };
    manager.#lead = lead;
    // Every manager keeps the worker token file and seals its keys as the store says (they only read it): on a follower too.
    manager.#followLoops = Promise.all([
      new TokenFile(store, join(opts.dataDir, 'worker-token'), child('token-file')).run(manager.#abort.signal),
      new AutolockSync(store, autolock, child('autolock')).run(manager.#abort.signal),
    ]).then(() => undefined, (err: unknown) => opts.log.error({ err }, 'a loop that follows the store on every manager stopped'));
    if (!elected) await lead();
    else manager.#afterElection(elected);
    return manager;
  }

  /** Where a process on this machine reaches the cluster port (the in-process agent of `berth up`). */
  get clusterLocalAddr(): string {
    const host = this.clusterListenHost;
    return hostPort(host === '0.0.0.0' || host === '' ? '127.0.0.1' : host === '::' ? '::1' : host, this.cluster.port);
  }

  /**
   * registryCertificate issues the built-in registry's serving certificate from the cluster CA,
   * naming `listenHost` and every name of this machine, and renews it (registry-tls.ts).
   */
  async registryCertificate(listenHost: string): Promise<RenewingCertificate> {
    const { ca, clusterId, advertisedHost } = this.#registryParts!;
    const cert = await registryCertificate({ ca, clusterId, names: machineNames([listenHost, advertisedHost]), log: this.log.child({ part: 'registry-tls' }) });
    this.#registryCerts.add(cert);
    return cert;
  }

  /**
   * announceRegistry tells every agent, now and at each session, the HOST:PORTs of the registry
   * whose certificate the cluster CA issued; the API verifies it with the cluster root too.
   */
  announceRegistry(addresses: string[]): void {
    const parts = this.#registryParts!;
    parts.addresses.clear();
    for (const a of addresses) parts.addresses.add(a);
    parts.dispatcher.setRegistries(addresses);
  }

  /**
   * serveRegistry makes the registry running in this process (`berth up`) part of the API: its
   * admin API under /berth/v1/registry on this port too, and its tags for the update check.
   */
  serveRegistry(registry: LocalRegistry): void {
    this.#registryParts!.mount.attach(registry);
  }

  get workerToken(): string {
    return this.store.view((tx) => tx.cluster()!.JoinTokens.Worker);
  }

  /** Whether this manager leads: always with SQLite, on etcd once elected. */
  get leading(): boolean {
    return !this.#leadership || this.#leadership.leading;
  }

  /** #afterElection starts the term once `elected` resolves; a term that cannot start is given up, and the lead with it. */
  #afterElection(elected: Promise<void>): void {
    void elected
      .then(() => (this.#abort.signal.aborted ? undefined : this.#lead!()))
      .catch((err: unknown) => {
        this.log.error({ err }, 'starting the term as leader failed');
        this.#stepDown(this.store, err instanceof Error ? err : new Error(String(err)));
      });
  }

  /**
   * #stepDown ends the term: the loops stop, the commits etcd had not confirmed are undone (so
   * this copy is what etcd holds), and the manager follows the next leader and campaigns again.
   * The API keeps serving reads meanwhile; writes go to the next leader.
   */
  #stepDown(store: Store, reason: Error): void {
    this.#term?.abort();
    store.abandonWrites(`this manager is not the leader: ${reason.message}`);
    this.log.warn({ err: reason.message }, 'this manager is a follower again');
    if (this.#abort.signal.aborted || !this.#leadership) return;
    this.#afterElection(this.#leadership.campaign((next) => this.#stepDown(store, next)));
  }

  async stop(): Promise<void> {
    this.#abort.abort();
    this.#term?.abort();
    this.#registryParts?.dispatcher.close();
    await this.#leadership?.stop();
    await this.cluster.stop();
    this.unix.closeAllConnections();
    await new Promise((resolve) => this.unix.close(resolve));
    await closeGracefully(this.app);
    await Promise.allSettled([...this.#loops, this.#followLoops]);
    // What the loops wrote last reaches etcd before the connection goes (at once on SQLite).
    await this.store.durable().catch((err: unknown) => this.log.error({ err }, 'the last changes were not saved'));
    this.store.close();
    this.log.info('manager stopped');
  }
}
