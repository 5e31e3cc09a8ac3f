// A running registry: the filesystem driver under the data dir, the HTTP(S) server on its own
// port with token auth always on, and the event emitter others subscribe to. `berth registry`
// and `berth up` start it.
// Its metadata (users, projects, policies) lives in Berth's store: the manager's under `berth up`,
// its own `registry.db` in the data dir when it runs alone.

import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { hostPort, isLoopback, parseListen } from '../common/listen.js';
import type { Logger } from '../common/log.js';
import { InvalidArgumentError, UnavailableError } from '../types/index.js';
import { Store, loadStoreKey } from '../store/index.js';
import { adminGuard } from './admin-guard.js';
import { projectRoutes } from './admin-projects.js';
import { robotRoutes } from './admin-robots.js';
import { userRoutes } from './admin-users.js';
import { bootstrap } from './bootstrap.js';
import { RegistryEvents } from './events.js';
import { FilesystemDriver } from './filesystem-driver.js';
import { closeRegistryServer, createRegistryServer } from './server.js';
import { tokenAuthorizer } from './token-authorizer.js';
import { registerTokenEndpoint } from './token-endpoint.js';
import { TokenKeys } from './tokens.js';

export const DEFAULT_REGISTRY_LISTEN = '127.0.0.1:5000';

export interface RegistryOptions {
  dataDir: string;
  /** HOST:PORT; port 0 picks a free one. */
  listen: string;
  log: Logger;
  /** The first admin's password (BERTH_ADMIN_PASSWORD); without it a random one is made and returned once. */
  adminPassword?: string;
  /** PEM certificate and key files; required to listen on anything but loopback. */
  tls?: { certFile: string; keyFile: string };
  /** Berth's store for the registry's metadata; without it the registry opens `<dataDir>/registry.db`. */
  store?: Store;
}

export class Registry {
  private constructor(
    readonly app: FastifyInstance,
    /** host:port, as clients name the registry in image references. */
    readonly address: string,
    readonly events: RegistryEvents,
    readonly store: Store,
    private readonly log: Logger,
    /** Set when the registry opened the store itself, so closes it on stop. */
    private readonly ownStore: boolean,
    /** https or http, as clients reach it. */
    readonly scheme: 'https' | 'http',
    /** The random password given to `admin` on the first start (show it once); undefined otherwise. */
    readonly initialAdminPassword: string | undefined,
  ) {}

  get url(): string {
    return `${this.scheme}://${this.address}`;
  }

  static async start(opts: RegistryOptions): Promise<Registry> {
    const addr = checkRegistryListen(opts.listen, opts.tls !== undefined);
    const https = opts.tls && (await loadTls(opts.tls));
    await mkdir(opts.dataDir, { recursive: true, mode: 0o700 });
    const store = opts.store ?? new Store({ path: join(opts.dataDir, 'registry.db'), key: loadStoreKey(opts.dataDir) });
    let app: FastifyInstance | undefined;
    try {
      const initialAdminPassword = await bootstrap(store, opts.adminPassword);
      const keys = await TokenKeys.open(opts.dataDir);
      const driver = await FilesystemDriver.open(join(opts.dataDir, 'storage'));
      const events = new RegistryEvents(opts.log);
      app = createRegistryServer({
        driver,
        log: opts.log,
        events,
        https,
        authorize: tokenAuthorizer({ store, keys, tls: https !== undefined }),
        store,
        guard: adminGuard(store, keys),
        adminRoutes: [userRoutes, projectRoutes, robotRoutes],
      });
      registerTokenEndpoint(app, store, keys);
      await app.listen({ host: addr.host, port: addr.port });
      const port = (app.server.address() as { port: number }).port;
      const registry = new Registry(app, hostPort(addr.host, port), events, store, opts.log, !opts.store, https ? 'https' : 'http', initialAdminPassword);
      opts.log.info({ address: registry.address, tls: https !== undefined, dataDir: opts.dataDir }, 'registry listening');
      return registry;
    } catch (err) {
      await app?.close();
      if (!opts.store) store.close();
      if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
      throw new UnavailableError(`the registry cannot listen on ${opts.listen}: the address is in use. Pick another with --registry HOST:PORT (berth up) or --listen (berth registry)`);
    }
  }

  async stop(): Promise<void> {
    await closeRegistryServer(this.app);
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

/** loadTls reads the PEM certificate and key, failing with a message naming the file and the fix. */
export async function loadTls(files: { certFile: string; keyFile: string }): Promise<{ cert: Buffer; key: Buffer }> {
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
