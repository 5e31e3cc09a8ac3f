// A running registry: the filesystem driver under the data dir, the HTTP(S) server on its own
// port with token auth always on, and the event emitter others subscribe to. `berth registry`
// and `berth up` start it.
// Its metadata (users, projects, policies) lives in Berth's store: the manager's under `berth up`,
// its own `registry.db` in the data dir when it runs alone.

import { mkdir, readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import type { Server as TlsServer } from 'node:tls';
import type { FastifyInstance } from 'fastify';
import { hostPort, isLoopback, parseListen } from '../common/listen.js';
import type { Logger } from '../common/log.js';
import { OutboundGuard, type OwnListener } from '../common/outbound.js';
import { InvalidArgumentError, UnavailableError } from '../types/index.js';
import { Store, loadStoreKey } from '../store/index.js';
import './kinds.js';
import { adminGuard } from './admin/admin-guard.js';
import { openApiRoutes } from './admin/admin-openapi.js';
import { repositoryRoutes } from './admin/admin-repositories.js';
import { systemInfoRoutes } from './admin/admin-systeminfo.js';
import { tagDigest } from './storage/artifacts.js';
import type { StorageDriver } from './storage/storage-driver.js';
import { isName } from './distribution/names.js';
import { projectRoutes } from './admin/admin-projects.js';
import { robotRoutes } from './admin/admin-robots.js';
import { userRoutes } from './admin/admin-users.js';
import { bootstrap } from './admin/bootstrap.js';
import { RegistryEvents } from './events.js';
import { FilesystemDriver } from './storage/filesystem-driver.js';
import { GarbageCollector, type GcOptions } from './gc/gc.js';
import { gcRoutes } from './gc/gc-routes.js';
import { immutabilityGuard, immutabilityRoutes } from './policies/immutability.js';
import { RegistryMetrics } from './metrics.js';
import { quotaRoutes } from './policies/quota-routes.js';
import { QuotaGuard } from './policies/quotas.js';
import { Replicator, type ReplicatorOptions } from './replication/replication.js';
import { retentionRoutes } from './policies/retention-routes.js';
import { replicationRoutes } from './replication/routes-replication.js';
import { createRegistryServer } from './distribution/server.js';
import { SweepFence } from './storage/sweep-fence.js';
import { tokenAuthorizer } from './auth/token-authorizer.js';
import { registerTokenEndpoint } from './auth/token-endpoint.js';
import { LoginLimiter } from '../users/login-limit.js';
import { TokenKeys, parseScopes } from './auth/tokens.js';
import { UsageAccountant } from './policies/usage.js';
import { webhookRoutes } from './webhooks/webhook-routes.js';
import { DeliveryLog } from './webhooks/webhook-log.js';
import { WebhookNotifier, type WebhookOptions } from './webhooks/webhooks.js';
import { closeGracefully } from '../common/http-close.js';

export const DEFAULT_REGISTRY_LISTEN = '127.0.0.1:5000';

export interface TlsFiles {
  certFile: string;
  keyFile: string;
}

/** A PEM certificate (chain) and its private key. */
export interface ServingCertificate {
  cert: string;
  key: string;
}

export interface RegistryOptions {
  dataDir: string;
  /** HOST:PORT; port 0 picks a free one. */
  listen: string;
  log: Logger;
  /** The first admin's password (BERTH_ADMIN_PASSWORD); without it a random one is made and returned once. */
  adminPassword?: string;
  /**
   * HTTPS, required to listen on anything but loopback: PEM certificate and key files, or the PEM
   * texts themselves (`berth up` issues them from the cluster CA and swaps in renewed ones with
   * setCertificate).
   */
  tls?: TlsFiles | ServingCertificate;
  /** Berth's store for the registry's metadata; without it the registry opens `<dataDir>/registry.db`. */
  store?: Store;
  /** Replication's retry and history settings (tests shorten the backoff). */
  replication?: Pick<ReplicatorOptions, 'attempts' | 'backoffMs' | 'keepRuns'>;
  /** Garbage collection: grace period and schedule (default: 1 h grace, no schedule). */
  gc?: GcOptions;
  /** Webhook delivery: retries, backoff and timeout (default: 3 retries from 1 s, 3 s per attempt). */
  webhooks?: Omit<WebhookOptions, 'deliveries' | 'outbound'>;
  /**
   * Address ranges (CIDR) that webhooks and replication may reach although the outbound guard
   * refuses them, e.g. 127.0.0.0/8 for receivers on this host (`--allow-outbound`, docs/outbound.md).
   */
  allowOutbound?: string[];
  /** The manager API's URL under `berth up`: never a webhook or replication target, allowed range or not. */
  managerUrl?: string;
  /**
   * How clients name the registry, given the HOST:PORT it listens on (`berth up`: a registry on
   * every address by the manager's advertised host); the listen address itself without it.
   */
  advertise?: (address: string) => string;
}

export class Registry {
  private constructor(
    readonly app: FastifyInstance,
    /** host:port, as clients name the registry in image references. */
    readonly address: string,
    readonly events: RegistryEvents,
    readonly store: Store,
    readonly replicator: Replicator,
    readonly gc: GarbageCollector,
    private readonly webhooks: WebhookNotifier,
    private readonly log: Logger,
    /** Set when the registry opened the store itself, so closes it on stop. */
    private readonly ownStore: boolean,
    /** https or http, as clients reach it. */
    readonly scheme: 'https' | 'http',
    /** The random password given to `admin` on the first start (show it once); undefined otherwise. */
    readonly initialAdminPassword: string | undefined,
    /** HOST:PORT as clients name the registry in image references (RegistryOptions.advertise). */
    readonly advertisedAddress: string,
    private readonly driver: StorageDriver,
  ) {}

  get url(): string {
    return `${this.scheme}://${this.address}`;
  }

  /**
   * routeAdmin serves a request for the admin API (`/berth/v1/registry/...`) that reached
   * another listener of this process (the manager's API under `berth up`): the same routes,
   * guard and audit as on the registry's own port.
   */
  readonly routeAdmin = (req: IncomingMessage, res: ServerResponse): void => this.app.routing(req, res);

  /** tagDigest is the digest `repository:tag` points at now; undefined when there is no such repository or tag. */
  async tagDigest(repository: string, tag: string): Promise<string | undefined> {
    if (!isName(repository)) return undefined;
    return tagDigest(this.driver, repository, tag);
  }

  static async start(opts: RegistryOptions): Promise<Registry> {
    const addr = checkRegistryListen(opts.listen, opts.tls !== undefined);
    const own: OwnListener[] = opts.managerUrl ? [managerListener(opts.managerUrl)] : [];
    const outbound = new OutboundGuard({ allow: opts.allowOutbound, listeners: () => own });
    const https = opts.tls && ('certFile' in opts.tls ? await loadTls(opts.tls) : opts.tls);
    await mkdir(opts.dataDir, { recursive: true, mode: 0o700 });
    const store = opts.store ?? new Store({ path: join(opts.dataDir, 'registry.db'), key: loadStoreKey(opts.dataDir) });
    let app: FastifyInstance | undefined;
    let webhooks: WebhookNotifier | undefined;
    try {
      const initialAdminPassword = await bootstrap(store, opts.adminPassword);
      const keys = await TokenKeys.open(opts.dataDir);
      const driver = await FilesystemDriver.open(join(opts.dataDir, 'storage'));
      const events = new RegistryEvents(opts.log);
      const fence = new SweepFence();
      const gc = new GarbageCollector(driver, fence, opts.log, opts.gc, events);
      const usage = new UsageAccountant(driver, events);
      let address = '';
      let advertised = '';
      webhooks = new WebhookNotifier(store, events, () => address, opts.log, { ...opts.webhooks, deliveries: await DeliveryLog.open(driver, opts.log), outbound });
      const metrics = new RegistryMetrics(driver, usage, events);
      gc.onRun((run) => metrics.gcRun(run));
      // Replication speaks to this registry over HTTP like any client, so pushes it makes pass the
      // same checks and events; it mints its own tokens for exactly the scopes each request needs.
      const replicator = new Replicator({
        store,
        events,
        driver,
        log: opts.log,
        local: () => ({
          url: `${https ? 'https' : 'http'}://${address}`,
          insecure: true,
          bearer: async (scopes) => (await keys.issue('', parseScopes(scopes, () => true).map((s) => ({ type: 'repository', name: s.repository, actions: s.actions })))).token,
        }),
        outbound,
        ...opts.replication,
      });
      // Each replicated (or failed) artifact reaches webhooks and metrics as a `replicate` event.
      replicator.onRun((run) => {
        for (const a of run.Artifacts) {
          if (a.Status === 'skipped') continue;
          events.emit({ action: 'replicate', target: 'manifest', repository: a.Repository, digest: a.Digest, tag: a.Tag, status: a.Status, remote: a.Destination, message: a.Error });
        }
      });
      // One count of failed logins for the token endpoint and the admin API alike.
      const logins = new LoginLimiter();
      app = createRegistryServer({
        driver,
        log: opts.log,
        events,
        https,
        authorize: tokenAuthorizer({ store, keys, tls: https !== undefined }),
        store,
        fence,
        metrics,
        guards: [new QuotaGuard(store, usage, events), immutabilityGuard(store)],
        guard: adminGuard(store, keys, logins),
        adminRoutes: [
          userRoutes,
          projectRoutes,
          robotRoutes,
          retentionRoutes,
          immutabilityRoutes,
          replicationRoutes(replicator),
          gcRoutes(gc),
          quotaRoutes(usage),
          webhookRoutes(webhooks),
          repositoryRoutes,
          systemInfoRoutes(() => ({ RegistryUrl: advertised, ExternalUrl: `${https ? 'https' : 'http'}://${advertised}` })),
          openApiRoutes,
        ],
      });
      registerTokenEndpoint(app, store, keys, logins);
      await app.listen({ host: addr.host, port: addr.port });
      const port = (app.server.address() as { port: number }).port;
      address = hostPort(addr.host, port);
      advertised = opts.advertise?.(address) ?? address;
      own.push({ name: 'this registry', host: addr.host, port });
      const registry = new Registry(app, address, events, store, replicator, gc, webhooks, opts.log, !opts.store, https ? 'https' : 'http', initialAdminPassword, advertised, driver);
      replicator.start();
      gc.start();
      opts.log.info({ address: registry.address, tls: https !== undefined, dataDir: opts.dataDir }, 'registry listening');
      return registry;
    } catch (err) {
      await webhooks?.close();
      await app?.close();
      if (!opts.store) store.close();
      if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
      throw new UnavailableError(`the registry cannot listen on ${opts.listen}: the address is in use. Pick another with --registry HOST:PORT (berth up) or --listen (berth registry)`);
    }
  }

  /**
   * setCertificate serves a new certificate from the next TLS handshake on (a renewal); open
   * connections keep the one they started with.
   */
  setCertificate(next: ServingCertificate): void {
    if (this.scheme !== 'https') throw new InvalidArgumentError('the registry serves plain HTTP: it has no certificate to replace');
    (this.app.server as unknown as TlsServer).setSecureContext({ cert: next.cert, key: next.key });
  }

  async stop(): Promise<void> {
    await this.replicator.stop();
    await this.gc.stop();
    await this.webhooks.close();
    await closeGracefully(this.app);
    if (this.ownStore) this.store.close();
    this.log.info('registry stopped');
  }
}

/**
 * checkRegistryListen parses a listen address. Off loopback it needs TLS: passwords and tokens
 * would otherwise cross the network in the clear (auth itself is always on).
 */
export function checkRegistryListen(text: string, tls = false): { host: string; port: number } {
  const addr = parseListen(text, DEFAULT_REGISTRY_LISTEN);
  if (!isLoopback(addr.host) && !tls) {
    throw new InvalidArgumentError(
      `refusing to serve the registry on ${addr.host || '*'}:${addr.port} without TLS: passwords and tokens would cross the network in the clear. ` +
        'Give a certificate and key (berth registry --tls-cert FILE --tls-key FILE; berth up --registry-tls-cert FILE --registry-tls-key FILE), or listen on a loopback address such as 127.0.0.1.',
    );
  }
  return addr;
}

function managerListener(url: string): OwnListener {
  const u = URL.canParse(url) ? new URL(url) : undefined;
  if (!u) throw new InvalidArgumentError(`invalid manager URL "${url}": use http://HOST:PORT`);
  return { name: 'the manager API', host: u.hostname.replace(/^\[(.*)\]$/, '$1'), port: Number(u.port) || (u.protocol === 'https:' ? 443 : 80) };
}

/** loadTls reads the PEM certificate and key, failing with a message naming the file and the fix. */
export async function loadTls(files: TlsFiles): Promise<{ cert: Buffer; key: Buffer }> {
  return { cert: await readPem(files.certFile, 'certificate'), key: await readPem(files.keyFile, 'key') };
}

async function readPem(path: string, what: string): Promise<Buffer> {
  try {
    const pem = await readFile(path);
    if (!pem.includes('-----BEGIN')) throw new Error('it is not in PEM format');
    return pem;
  } catch (err) {
    throw new InvalidArgumentError(`cannot read the registry's TLS ${what} ${path}: ${(err as Error).message}; give a PEM file (--tls-cert/--tls-key)`);
  }
}
