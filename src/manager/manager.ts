// The manager process: one store, the loops around it, and the API + dispatcher on one port.
// This is the composition root for the manager side; loops know only the store.

import { mkdirSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { Allocator } from '../allocator/index.js';
import { createApiServer } from '../api/index.js';
import type { Logger } from '../common/log.js';
import { Dispatcher } from '../dispatcher/index.js';
import { GlobalOrchestrator, JobsOrchestrator, ReplicatedOrchestrator, TaskReaper } from '../orchestrator/index.js';
import { Scheduler } from '../scheduler/index.js';
import { closeGracefully } from '../common/http-close.js';
import { Store } from '../store/index.js';
import { ensureCluster } from './bootstrap.js';
import { loadStoreKey } from '../store/index.js';
import { TokenFile } from './token-file.js';
import { assertLoopback, parseListen } from './listen.js';

export interface ManagerOptions {
  dataDir: string;
  /** HOST:PORT; port 0 picks a free one. */
  listen: string;
  log: Logger;
  version: string;
  /** Ended tasks kept per slot (Swarm's TaskHistoryRetentionLimit, default 5); kept across restarts when not given. */
  taskHistory?: number;
}

export class Manager {
  readonly #abort = new AbortController();
  #loops: Promise<void>[] = [];

  private constructor(
    readonly store: Store,
    readonly app: FastifyInstance,
    readonly url: string,
    /** Token for the agent `berth up` runs in-process; it makes that agent the manager's own node. */
    readonly localToken: string,
    private readonly log: Logger,
  ) {}

  static async start(opts: ManagerOptions): Promise<Manager> {
    const addr = parseListen(opts.listen);
    assertLoopback(addr);
    mkdirSync(opts.dataDir, { recursive: true, mode: 0o700 });
    const store = new Store({ path: join(opts.dataDir, 'state.db'), key: loadStoreKey(opts.dataDir) });
    ensureCluster(store, opts.taskHistory);
    const localNodeId = (): string | undefined => store.view((tx) => tx.nodes.list().find((n) => n.ManagerStatus?.Leader)?.ID);
    const localToken = randomBytes(32).toString('hex');
    let managerAddr = '';
    const dispatcher = new Dispatcher(store, { log: opts.log.child({ loop: 'dispatcher' }), localToken, managerAddr: () => managerAddr });
    const info = { version: opts.version, hostname: hostname(), nodeId: localNodeId };
    const app = createApiServer({ store, log: opts.log, info, logs: dispatcher.logs });
    // Attach before listening: an agent that connects early must find the dispatcher there.
    dispatcher.attach(app.server);
    await app.listen({ host: addr.host, port: addr.port });
    const port = (app.server.address() as { port: number }).port;
    const host = addr.host.includes(':') ? `[${addr.host}]` : addr.host;
    managerAddr = `${host}:${port}`;
    const manager = new Manager(store, app, `http://${managerAddr}`, localToken, opts.log);
    const signal = manager.#abort.signal;
    const child = (loop: string): Logger => opts.log.child({ loop });
    manager.#loops = [
      new Allocator(store, child('allocator')).run(signal),
      new ReplicatedOrchestrator(store, child('replicated')).run(signal),
      new GlobalOrchestrator(store, child('global')).run(signal),
      new JobsOrchestrator(store, child('jobs')).run(signal),
      new Scheduler(store, { log: child('scheduler') }).run(signal),
      new TaskReaper(store, child('reaper')).run(signal),
      dispatcher.run(signal),
      new TokenFile(store, join(opts.dataDir, 'worker-token'), child('token-file')).run(signal),
    ].map((loop) =>
      // A loop that dies would leave the cluster unconverged in silence: exit, and let the
      // supervisor restart the manager from its durable store.
      loop.catch((err: unknown) => {
        opts.log.fatal({ err }, 'a manager loop crashed; exiting');
        process.exit(70);
      }),
    );
    return manager;
  }

  get workerToken(): string {
    return this.store.view((tx) => tx.cluster()!.JoinTokens.Worker);
  }

  async stop(): Promise<void> {
    this.#abort.abort();
    await closeGracefully(this.app);
    await Promise.allSettled(this.#loops);
    this.store.close();
    this.log.info('manager stopped');
  }
}
