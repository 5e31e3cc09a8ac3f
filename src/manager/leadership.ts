// Who leads among several managers on one etcd prefix, etcd's way (its concurrency package's
// election): each manager puts a key under PREFIX/election/ bound to a lease of its own; the key
// with the lowest create revision leads, and the others wait for the one before theirs to go.
// A manager's lease lives only while it keeps it alive: kill it, cut it off, and etcd deletes its
// keys a TTL later, which elects the next. The store's writes compare the leader key (fencing, in
// the etcd backend), so a leader that lost its lease can never commit again. It also steps down
// by itself before etcd can have expired the lease, so it stops acting (telling agents what to
// run) before another manager can start.
//
// Each manager also keeps PREFIX/managers/<its cluster address> alive: `docker node ls` shows a
// manager whose key is there as Reachable.

import type { Etcd3, Lease, Watcher } from 'etcd3';
import type { Logger } from '../common/log.js';
import type { EtcdBackend } from '../store/etcd-backend.js';

/** Seconds a lease outlives its holder's last keep-alive: bounds the failover time (etcd's minimum is about 2). */
export const LEASE_TTL_S = 3;
/** The leader stops acting this long before etcd could expire its lease, for clock rates and delivery. */
const STEP_DOWN_MARGIN_MS = 750;
const GUARD_PERIOD_MS = 100;

/** What a manager tells the others about itself: where agents and API clients reach it. */
export interface ManagerAddress {
  /** HOST:PORT of its cluster port, as agents reach it. */
  clusterAddr: string;
  /** URL of its API (https://HOST:PORT), where followers send writes. */
  apiUrl: string;
  /** Its node (manager-node.ts). */
  nodeId?: string;
}

export class Leadership {
  readonly #client: Etcd3;
  readonly #prefix: string;
  readonly #lease: Lease;
  #leaseId = '';
  #leaderKey = '';
  #leader: ManagerAddress | undefined;
  readonly #members = new Map<string, ManagerAddress>();
  readonly #watchers: Watcher[] = [];
  #leading = false;
  #stopped = false;
  /** Until when etcd certainly keeps the lease: the send time of the last acknowledged keep-alive plus the TTL. */
  #safeUntil = 0;
  #lastFired = 0;
  #guard: NodeJS.Timeout | undefined;
  #onDeposed: ((reason: Error) => void) | undefined;
  #onChange: (() => void) | undefined;

  /** This manager's addresses, once it listens; the election key holds them from then on. */
  #self: ManagerAddress | undefined;
  #electionKey = '';
  #createRevision = '';

  private constructor(
    private readonly backend: EtcdBackend,
    private readonly log: Logger,
  ) {
    this.#client = backend.client;
    this.#prefix = backend.prefix;
    this.#lease = this.#client.lease(LEASE_TTL_S);
  }

  /** join takes a lease for this manager and starts watching who leads; `campaign` then competes. */
  static async join(backend: EtcdBackend, log: Logger): Promise<Leadership> {
    const l = new Leadership(backend, log);
    l.#lease.on('keepaliveFired', () => (l.#lastFired = Date.now()));
    l.#lease.on('keepaliveSucceeded', () => (l.#safeUntil = l.#lastFired + LEASE_TTL_S * 1000));
    l.#lease.on('lost', (err) => l.#depose(new Error(`this manager's lease in etcd ended: ${err.message}`)));
    l.#leaseId = await l.#lease.grant();
    l.#safeUntil = Date.now() + LEASE_TTL_S * 1000;
    await l.#watch('election/', () => l.#readLeader());
    await l.#watch('managers/', () => l.#readMembers());
    return l;
  }

  /**
   * announce tells the other managers where this one listens: it is Reachable from then on, and
   * if it campaigns, its election key names it.
   */
  async announce(self: ManagerAddress): Promise<void> {
    this.#self = self;
    const value = JSON.stringify(self);
    await this.#lease.put(`${this.#prefix}managers/${encodeURIComponent(self.clusterAddr)}`).value(value).exec();
    if (this.#electionKey) {
      await this.#client.if(this.#electionKey, 'Create', '==', Number(this.#createRevision)).then(this.#client.put(this.#electionKey).value(value).lease(this.#leaseId)).commit();
    }
  }

  /** The leader as last seen; undefined during an election. */
  get leader(): ManagerAddress | undefined {
    return this.#leader;
  }

  get leading(): boolean {
    return this.#leading;
  }

  /** The managers whose lease is alive, by cluster address. */
  get members(): ReadonlyMap<string, ManagerAddress> {
    return this.#members;
  }

  /** onChange is called whenever the leader or the set of live managers changes. */
  set onChange(fn: () => void) {
    this.#onChange = fn;
  }

  /**
   * campaign resolves once this manager leads and its store may write (fenced on its key), or
   * never if it stops first. `onDeposed` is called if it then loses the lead, or its lease while
   * it waits.
   */
  async campaign(onDeposed: (reason: Error) => void): Promise<void> {
    this.#onDeposed = onDeposed;
    const key = `${this.#prefix}election/${this.#leaseId}`;
    // Until this manager listens its key names no address: followers see an election running.
    const put = await this.#client
      .if(key, 'Create', '==', 0)
      .then(this.#client.put(key).value(JSON.stringify(this.#self ?? {})).lease(this.#leaseId))
      .else(this.#client.get(key))
      .commit();
    const createRevision = put.succeeded ? put.header.revision : put.responses[0]!.response_range!.kvs[0]!.create_revision;
    this.#electionKey = key;
    this.#createRevision = createRevision;
    await this.#waitTurn(createRevision);
    if (this.#stopped) return new Promise(() => undefined);
    await this.backend.lead(key, createRevision);
    this.#leaderKey = key;
    this.#leading = true;
    this.#guard = setInterval(() => {
      if (Date.now() > this.#safeUntil - STEP_DOWN_MARGIN_MS) this.#depose(new Error('this manager has not reached etcd for a lease period: it steps down before another can lead'));
    }, GUARD_PERIOD_MS);
    this.log.info({ key }, 'this manager is the leader');
  }

  /** stop gives up the lead (at once, not a TTL later) and this manager's registration. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#guard);
    for (const w of this.#watchers) await Promise.race([w.cancel().catch(() => undefined), new Promise((r) => setTimeout(r, 1_000).unref())]);
    await Promise.race([this.#lease.revoke().catch(() => undefined), new Promise((r) => setTimeout(r, 1_000).unref())]);
  }

  /** #depose ends this manager's part in the election (its lease is gone or may be): it must start again to follow. */
  #depose(reason: Error): void {
    clearInterval(this.#guard);
    if (this.#stopped) return;
    if (this.#leading) this.log.warn({ err: reason.message, key: this.#leaderKey }, 'this manager lost the lead');
    this.#leading = false;
    this.#onDeposed?.(reason);
  }

  /** #waitTurn waits until no election key older than ours is left (etcd's waitDeletes). */
  async #waitTurn(createRevision: string): Promise<void> {
    while (!this.#stopped) {
      const older = await this.#client
        .getAll()
        .prefix(`${this.#prefix}election/`)
        .maxCreateRevision(String(BigInt(createRevision) - 1n))
        .sort('Create', 'Descend')
        .limit(1)
        .exec();
      const kv = older.kvs[0];
      if (!kv) return;
      await new Promise<void>((resolve) => {
        const watcher = this.#client.watch().key(kv.key).startRevision(String(BigInt(older.header.revision) + 1n)).watcher();
        const done = (): void => {
          void watcher.cancel().catch(() => undefined);
          resolve();
        };
        watcher.on('delete', done);
        watcher.on('error', done);
      });
    }
  }

  async #watch(sub: string, read: () => Promise<void>): Promise<void> {
    const watcher = this.#client.watch().prefix(`${this.#prefix}${sub}`).watcher();
    this.#watchers.push(watcher);
    watcher.on('data', () => void read().catch((err: unknown) => this.log.warn({ err }, 'reading the managers from etcd failed')));
    watcher.on('connected', () => void read().catch(() => undefined));
    await read();
  }

  async #readLeader(): Promise<void> {
    const res = await this.#client.getAll().prefix(`${this.#prefix}election/`).sort('Create', 'Ascend').limit(1).exec();
    const next = res.kvs[0] ? parseAddress(res.kvs[0].value.toString()) : undefined;
    if (next?.clusterAddr === this.#leader?.clusterAddr && next?.apiUrl === this.#leader?.apiUrl) return;
    this.#leader = next;
    this.log.info({ leader: next?.clusterAddr ?? null }, next ? 'the leader is known' : 'no leader: an election is running');
    this.#onChange?.();
  }

  async #readMembers(): Promise<void> {
    const res = await this.#client.getAll().prefix(`${this.#prefix}managers/`).exec();
    this.#members.clear();
    for (const kv of res.kvs) {
      const a = parseAddress(kv.value.toString());
      if (a) this.#members.set(a.clusterAddr, a);
    }
    this.#onChange?.();
  }
}

function parseAddress(text: string): ManagerAddress | undefined {
  try {
    const a = JSON.parse(text) as Partial<ManagerAddress>;
    if (typeof a.clusterAddr !== 'string' || typeof a.apiUrl !== 'string') return undefined;
    return { clusterAddr: a.clusterAddr, apiUrl: a.apiUrl, ...(typeof a.nodeId === 'string' && { nodeId: a.nodeId }) };
  } catch {
    return undefined;
  }
}
