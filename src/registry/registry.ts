// A running registry: the filesystem driver under the data dir, the HTTP server on its own
// port, and the event emitter others subscribe to. `berth registry` and `berth up` start it.
// Its metadata (users, projects, policies) lives in Berth's store: the manager's under `berth up`,
// its own `registry.db` in the data dir when it runs alone.

import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { hostPort, isLoopback, parseListen } from '../common/listen.js';
import type { Logger } from '../common/log.js';
import { InvalidArgumentError, UnavailableError } from '../types/index.js';
import { Store, loadStoreKey } from '../store/index.js';
import type { Authorizer } from './access.js';
import { RegistryEvents } from './events.js';
import { FilesystemDriver } from './filesystem-driver.js';
import { closeGracefully } from '../common/http-close.js';
import { immutabilityGuard, immutabilityRoutes } from './immutability.js';
import { Replicator, type ReplicatorOptions } from './replication.js';
import { retentionRoutes } from './retention-routes.js';
import { replicationRoutes } from './routes-replication.js';
import { GarbageCollector, type GcOptions } from './gc.js';
import { gcRoutes } from './gc-routes.js';
import { RegistryMetrics } from './metrics.js';
import { quotaRoutes } from './quota-routes.js';
import { QuotaGuard } from './quotas.js';
import { SweepFence } from './sweep-fence.js';
import { UsageAccountant } from './usage.js';
import { webhookRoutes } from './webhook-routes.js';
import { WebhookNotifier, type WebhookOptions } from './webhooks.js';
import { createRegistryServer } from './server.js';

export const DEFAULT_REGISTRY_LISTEN = '127.0.0.1:5000';

export interface RegistryOptions {
  dataDir: string;
  /** HOST:PORT; port 0 picks a free one. */
  listen: string;
  log: Logger;
  authorize?: Authorizer;
  /** Berth's store for the registry's metadata; without it the registry opens `<dataDir>/registry.db`. */
  store?: Store;
  /** Replication's retry and history settings (tests shorten the backoff). */
  replication?: Pick<ReplicatorOptions, 'attempts' | 'backoffMs' | 'keepRuns'>;
  /** Garbage collection: grace period and schedule (default: 1 h grace, no schedule). */
  gc?: GcOptions;
  /** Webhook delivery: retries, backoff and timeout (default: 3 retries from 1 s, 3 s per attempt). */
  webhooks?: WebhookOptions;
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
  ) {}

  static async start(opts: RegistryOptions): Promise<Registry> {
    const addr = checkRegistryListen(opts.listen);
    await mkdir(opts.dataDir, { recursive: true, mode: 0o700 });
    const store = opts.store ?? new Store({ path: join(opts.dataDir, 'registry.db'), key: loadStoreKey(opts.dataDir) });
    const driver = await FilesystemDriver.open(join(opts.dataDir, 'storage'));
    const events = new RegistryEvents(opts.log);
    const fence = new SweepFence();
    const gc = new GarbageCollector(driver, fence, opts.log, opts.gc);
    const usage = new UsageAccountant(driver, events);
    let address = '';
    const webhooks = new WebhookNotifier(store, events, () => address, opts.log, opts.webhooks);
    const metrics = new RegistryMetrics(driver, usage, events);
    gc.onRun((run) => metrics.gcRun(run));
    // Replication speaks to this registry over HTTP like any client, so pushes it makes pass the same checks and events.
    const replicator = new Replicator({ store, events, driver, log: opts.log, local: () => ({ url: `http://${address}` }), ...opts.replication });
    // Each replicated (or failed) artifact reaches webhooks and metrics as a `replicate` event.
    replicator.onRun((run) => {
      for (const a of run.Artifacts) {
        if (a.Status === 'skipped') continue;
        events.emit({ action: 'replicate', target: 'manifest', repository: a.Repository, digest: a.Digest, tag: a.Tag, status: a.Status, remote: a.Destination, message: a.Error });
      }
    });
    const app = createRegistryServer({
      driver,
      log: opts.log,
      events,
      authorize: opts.authorize,
      store,
      fence,
      metrics,
      guards: [new QuotaGuard(store, usage, events), immutabilityGuard(store)],
      adminRoutes: [retentionRoutes, immutabilityRoutes, replicationRoutes(replicator), gcRoutes(gc), quotaRoutes(usage), webhookRoutes(webhooks)],
    });
    try {
      await app.listen({ host: addr.host, port: addr.port });
    } catch (err) {
      webhooks.close();
      await app.close();
      if (!opts.store) store.close();
      if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
      throw new UnavailableError(`the registry cannot listen on ${opts.listen}: the address is in use. Pick another with --registry HOST:PORT (berth up) or --listen (berth registry)`);
    }
    const port = (app.server.address() as { port: number }).port;
    address = hostPort(addr.host, port);
    const registry = new Registry(app, address, events, store, replicator, gc, webhooks, opts.log, !opts.store);
    replicator.start();
    gc.start();
    opts.log.info({ address: registry.address, dataDir: opts.dataDir }, 'registry listening');
    return registry;
  }

  async stop(): Promise<void> {
    await this.replicator.stop();
    await this.gc.stop();
    this.webhooks.close();
    await closeGracefully(this.app);
    if (this.ownStore) this.store.close();
    this.log.info('registry stopped');
  }
}

/**
 * checkRegistryListen parses a listen address and refuses non-loopback ones: until token auth
 * and TLS arrive, anyone who reached the registry could push images that nodes then run.
 */
export function checkRegistryListen(text: string): { host: string; port: number } {
  const addr = parseListen(text, DEFAULT_REGISTRY_LISTEN);
  if (!isLoopback(addr.host)) {
    throw new InvalidArgumentError(
      `refusing to serve the registry on ${addr.host || '*'}:${addr.port} without TLS and authentication: anyone who reaches it could push images your nodes run. ` +
        'Listen on a loopback address such as 127.0.0.1 (remote access arrives with token auth and TLS).',
    );
  }
  return addr;
}
