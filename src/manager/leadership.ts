// Who leads among several managers on one etcd prefix, etcd's way (its concurrency package's
// election): each manager puts a key under PREFIX/election/ bound to a lease of its own; the key
// with the lowest create revision leads, and the others wait for the one before theirs to go.
// A manager's lease lives only while it keeps it alive: kill it, cut it off, and etcd deletes its
// keys a TTL later, which elects the next. The store's writes compare the leader key (fencing, in
// the etcd backend), so a leader that lost its lease can never commit again. It also steps down
// by itself before etcd can have expired the lease, so it stops acting (telling agents what to
// run) before another manager can start. A manager that lost its lease (or the lead) campaigns
// again with a new one, for as long as it runs: it is a follower meanwhile.
//
// Each manager also keeps PREFIX/managers/<its cluster address> alive on its lease: `docker node
// ls` shows a manager whose key is there as Reachable.

import { EtcdLeaseInvalidError, type Etcd3, type Lease, type Watcher } from 'etcd3';
import type { Logger } from '../common/log.js';
import type { EtcdBackend } from '../store/etcd-backend.js';

/** Seconds a lease outlives its holder's last keep-alive: bounds the failover time (etcd's minimum is about 2). */
export const LEASE_TTL_S = 3;
/** The leader stops acting this long before etcd could expire its lease, for clock rates and delivery. */
const STEP_DOWN_MARGIN_MS = 750;
const GUARD_PERIOD_MS = 100;
const KEEPALIVE_MS = 500;
const RETRY_MIN_MS = 250;
const RETRY_MAX_MS = 3_000;
/**
 * Who leads and lives is also read this often, and a campaign waiting its turn looks again: a
 * watch stream re-opened towards a member whose host vanished waits minutes on its connection.
 */
const REREAD_MS = 1_000;

/** What a manager tells the others about itself: where agents and API clients reach it. */
export interface ManagerAddress {
  /** HOST:PORT of its cluster port, as agents reach it. */
  clusterAddr: string;
  /** URL of its API (https://HOST:PORT), where followers send writes. */
  apiUrl: string;
  /** Its node (manager-node.ts). */
  nodeId?: string;
}

/** One lease and what hangs on it: this manager's registration and election key. */
interface Term {
  lease: Lease;
  id: string;
  /** Aborted when the lease is lost: a campaign waiting on it starts again. */
  lost: AbortController;
  electionKey?: string;
  createRevision?: string;
}

export class Leadership {
  readonly #client: Etcd3;
  readonly #prefix: string;
  #term: Term | undefined;
  #self: ManagerAddress | undefined;
  #leader: ManagerAddress | undefined;
  readonly #members = new Map<string, ManagerAddress>();
  readonly #watchers: Watcher[] = [];
  #reread: NodeJS.Timeout | undefined;
  #leading = false;
  #stopped = false;
  /** Until when etcd certainly keeps the lease: the send time of the last acknowledged keep-alive plus the TTL. */
  #safeUntil = 0;
  #guard: NodeJS.Timeout | undefined;
  #onDeposed: ((reason: Error) => void) | undefined;
  #onChange: (() => void) | undefined;

  private constructor(
    private readonly backend: EtcdBackend,
    private readonly log: Logger,
  ) {
    this.#client = backend.client;
    this.#prefix = backend.prefix;
    backend.onFenced = (reason) => this.#depose(reason);
  }

  /** join starts watching who leads and which managers live; `campaign` then competes. */
  static async join(backend: EtcdBackend, log: Logger): Promise<Leadership> {
    const l = new Leadership(backend, log);
    await l.#watch('election/', () => l.#readLeader());
    await l.#watch('managers/', () => l.#readMembers());
    l.#reread = setInterval(() => void Promise.all([l.#readLeader(), l.#readMembers()]).catch(() => undefined), REREAD_MS).unref();
    return l;
  }

  /**
   * announce tells the other managers where this one listens: it is Reachable from then on, and
   * if it campaigns, its election key names it.
   */
  async announce(self: ManagerAddress): Promise<void> {
    this.#self = self;
    const term = this.#term;
    if (!term || term.lost.signal.aborted) return;
    try {
      await this.#register(term);
    } catch (err) {
      // The lease ended meanwhile (a start slower than its TTL on a loaded machine): that term is
      // over, and the campaign's next one registers this manager.
      if (!(err instanceof EtcdLeaseInvalidError)) throw err;
      this.#lose(term, new Error(`this manager's lease in etcd ended: ${err.message}`));
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
   * never if it stops first; it takes a new lease whenever the last one is lost, and waits out an
   * unreachable etcd. `onDeposed` is called when it then loses the lead: campaign again after.
   */
  async campaign(onDeposed: (reason: Error) => void): Promise<void> {
    this.#onDeposed = onDeposed;
    for (let delay = RETRY_MIN_MS; !this.#stopped; delay = Math.min(delay * 2, RETRY_MAX_MS)) {
      try {
        const term = this.#term && !this.#term.lost.signal.aborted ? this.#term : await this.#newTerm();
        if (await this.#run(term)) return;
      } catch (err) {
        if (this.#stopped) break;
        this.log.warn({ err: (err as Error).message }, 'campaigning in etcd failed; retrying');
      }
      await new Promise((r) => setTimeout(r, delay));
    }
    return new Promise(() => undefined);
  }

  /** stop gives up the lead (at once, not a TTL later) and this manager's registration. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#leading = false;
    clearInterval(this.#guard);
    clearInterval(this.#reread);
    // A campaign waiting its turn lets go of its watch: an attached watcher keeps the process alive.
    this.#term?.lost.abort();
    for (const w of this.#watchers) await Promise.race([w.cancel().catch(() => undefined), new Promise((r) => setTimeout(r, 1_000).unref())]);
    const lease = this.#term?.lease;
    if (lease) await Promise.race([lease.revoke().catch(() => undefined), new Promise((r) => setTimeout(r, 1_000).unref())]);
  }

  async #newTerm(): Promise<Term> {
    const lease = this.#client.lease(LEASE_TTL_S);
    const term: Term = { lease, id: '', lost: new AbortController() };
    let lastFired = 0;
    lease.on('keepaliveFired', () => (lastFired = Date.now()));
    lease.on('keepaliveSucceeded', () => {
      if (this.#term === term) this.#safeUntil = Math.max(this.#safeUntil, lastFired + LEASE_TTL_S * 1000);
    });
    lease.on('lost', (err) => this.#lose(term, new Error(`this manager's lease in etcd ended: ${err.message}`)));
    try {
      term.id = await lease.grant();
    } catch (err) {
      lease.release();
      throw err;
    }
    // Keep-alives more often than the client's (a third of the TTL), so that a slow answer or two
    // do not make the leader step down: it does when none came back for most of a TTL.
    const refresh = setInterval(() => {
      const sent = Date.now();
      lease.keepaliveOnce().then(
        (res) => {
          if (this.#term === term && Number(res.TTL) > 0) this.#safeUntil = Math.max(this.#safeUntil, sent + LEASE_TTL_S * 1000);
        },
        () => undefined, // the guard acts on the silence
      );
    }, KEEPALIVE_MS);
    term.lost.signal.addEventListener('abort', () => clearInterval(refresh));
    this.#safeUntil = Date.now() + LEASE_TTL_S * 1000;
    this.#term = term;
    if (this.#stopped) {
      // stop() came while the lease was being granted: it found no lease to end, so end it here.
      term.lost.abort();
      await lease.revoke().catch(() => undefined);
      throw new Error('stopped');
    }
    await this.#register(term);
    return term;
  }

  /** #register puts this manager's address on its lease, and in its election key once it has one. */
  async #register(term: Term): Promise<void> {
    const self = this.#self;
    if (!self) return;
    const value = JSON.stringify(self);
    await term.lease.put(`${this.#prefix}managers/${encodeURIComponent(self.clusterAddr)}`).value(value).exec();
    if (term.electionKey) {
      await this.#client.if(term.electionKey, 'Create', '==', Number(term.createRevision)).then(this.#client.put(term.electionKey).value(value).lease(term.id)).commit();
    }
  }

  /** #run puts the election key and waits for its turn: true once leading, false if the lease went meanwhile. */
  async #run(term: Term): Promise<boolean> {
    const key = `${this.#prefix}election/${term.id}`;
    // Until this manager listens its key names no address: followers see an election running.
    const put = await this.#client
      .if(key, 'Create', '==', 0)
      .then(this.#client.put(key).value(JSON.stringify(this.#self ?? {})).lease(term.id))
      .else(this.#client.get(key))
      .commit();
    term.electionKey = key;
    term.createRevision = put.succeeded ? put.header.revision : put.responses[0]!.response_range!.kvs[0]!.create_revision;
    // announce may have come while the key was being put, and found no key to name this manager in.
    await this.#register(term);
    if (!(await this.#waitTurn(term)) || this.#stopped) return false;
    await this.backend.lead(key, term.createRevision);
    // Keep-alives may have failed while waiting (etcd electing its own leader): lead on a lease just confirmed, or not at all.
    const sent = Date.now();
    const confirmed = await term.lease.keepaliveOnce().then((res) => Number(res.TTL) > 0, () => false);
    if (confirmed && this.#term === term) this.#safeUntil = Math.max(this.#safeUntil, sent + LEASE_TTL_S * 1000);
    if (!confirmed || term.lost.signal.aborted || this.#stopped) {
      this.backend.abandon('this manager lost its lease while taking the lead');
      return false;
    }
    this.#leading = true;
    clearInterval(this.#guard);
    this.#guard = setInterval(() => {
      if (Date.now() > this.#safeUntil - STEP_DOWN_MARGIN_MS) this.#depose(new Error('this manager has not reached etcd for a lease period: it steps down before another can lead'));
    }, GUARD_PERIOD_MS);
    this.log.info({ key }, 'this manager is the leader');
    return true;
  }

  /** #waitTurn waits until no election key older than ours is left (etcd's waitDeletes); false if the lease went first. */
  async #waitTurn(term: Term): Promise<boolean> {
    while (!this.#stopped && !term.lost.signal.aborted) {
      const older = await this.#client
        .getAll()
        .prefix(`${this.#prefix}election/`)
        .maxCreateRevision(String(BigInt(term.createRevision!) - 1n))
        .sort('Create', 'Descend')
        .limit(1)
        .exec();
      const kv = older.kvs[0];
      if (!kv) return true;
      await new Promise<void>((resolve) => {
        const watcher = this.#client.watch().key(kv.key).startRevision(String(BigInt(older.header.revision) + 1n)).watcher();
        const timer = setTimeout(() => done(), REREAD_MS).unref();
        let over = false;
        const done = (): void => {
          if (over) return;
          over = true;
          clearTimeout(timer);
          term.lost.signal.removeEventListener('abort', done);
          void watcher.cancel().catch(() => undefined);
          resolve();
        };
        watcher.on('delete', done);
        watcher.on('error', done);
        term.lost.signal.addEventListener('abort', done);
      });
    }
    return false;
  }

  /** #lose ends a term whose lease is gone: a campaign waiting on it starts again, a leader steps down. */
  #lose(term: Term, reason: Error): void {
    term.lost.abort();
    if (this.#term === term) this.#depose(reason);
  }

  /** #depose stops leading (if it was): the lease is ended or may be, so this term is over. */
  #depose(reason: Error): void {
    clearInterval(this.#guard);
    const term = this.#term;
    if (term && !term.lost.signal.aborted) {
      term.lost.abort();
      // Gone at once if etcd is there: the next leader need not wait a TTL.
      void term.lease.revoke().catch(() => undefined);
    }
    if (!this.#leading || this.#stopped) return;
    this.#leading = false;
    this.log.warn({ err: reason.message }, 'this manager lost the lead');
    this.#onDeposed?.(reason);
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
