// The store's commits in etcd (the etcd3 client), for managers that must outlive their machine.
// Each object is one key (PREFIX/objects/KIND/ID, its JSON sealed as in SQLite), and PREFIX/index
// holds the last commit. Commits are written in order by one loop, each as an etcd transaction
// that succeeds only if PREFIX/index is still at the revision this backend last wrote: two
// managers can never both append (the loser learns it at once and fails for good). A commit too
// big for one etcd request (etcd's defaults: 128 operations, 1.5 MiB) is written as several,
// as swarmkit splits its batches. A transient error (etcd down, no leader) is retried until it
// passes; what the API acknowledges waits for it through `durable`.

import { randomBytes } from 'node:crypto';
import { ExponentialBackoff } from 'cockatiel';
import { Etcd3, type IOptions, type Watcher as EtcdWatcher } from 'etcd3';
import type { ForeignCommit, StoreBackend, StoredRow } from './backend.js';

/** Operations per etcd transaction: etcd's default --max-txn-ops is 128; one is the index. */
const MAX_OPS = 100;
/** Bytes of values per transaction, under etcd's default --max-request-bytes (1.5 MiB). */
const MAX_BYTES = 1024 * 1024;
const RETRY_MIN_MS = 100;
/** What a request other than the load and the writes may take: an election must not wait on a vanished member. */
const CALL_DEADLINE_MS = 2_000;
/** The load reads every object: a large cluster's state takes a while. */
const LOAD_DEADLINE_MS = 60_000;
const RETRY_MAX_MS = 5_000;
/**
 * How long the watch may lag a revision etcd already has before it counts as stuck. A stream
 * re-opened towards a member whose host vanished waits on a TCP connect that gRPC does not time
 * out (minutes): the watch then starts again on a new connection, from the last revision it delivered.
 */
const WATCH_STALL_MS = 2_000;
const WATCH_CHECK_MS = 1_000;

export interface EtcdBackendOptions {
  /** Client URLs, e.g. http://10.0.0.1:2379 (https:// with TLS). */
  endpoints: string[];
  /** Keys live under this prefix (default /berth/): several clusters can share one etcd. */
  prefix?: string;
  /** TLS to etcd: the CA (PEM) that signed its certificate, and a client certificate and key if it asks for one. */
  tls?: { ca: Buffer; cert?: Buffer; key?: Buffer };
  /** How long one request may take before it counts as failed and is retried. */
  requestTimeoutMs?: number;
  /** Told when the watch was stuck and started again. */
  warn?: (message: string) => void;
}

interface Chunk {
  puts: StoredRow[];
  deletes: { kind: string; id: string }[];
}

interface Queued {
  index: number;
  chunks: Chunk[];
}

/** What PREFIX/index holds after each transaction: unique per writer and part, and which part of which commit it ends. */
interface Marker {
  index: number;
  writer: string;
  part: number;
  parts: number;
}

function parseMarker(value: string): Marker | undefined {
  try {
    const m = JSON.parse(value) as Partial<Marker>;
    return typeof m.index === 'number' && typeof m.writer === 'string' ? { index: m.index, writer: m.writer, part: m.part ?? 0, parts: m.parts ?? 1 } : undefined;
  } catch {
    return undefined;
  }
}

export class EtcdBackend implements StoreBackend {
  readonly #client: Etcd3;
  readonly #prefix: string;
  /** Who wrote a commit: new for each term this backend leads, so what an earlier term left in flight reads as another writer's. */
  #writer = randomBytes(8).toString('hex');
  /** Bumped when this backend stops leading: a write still in flight for an earlier term changes nothing here. */
  #term = 0;
  /** Where commits read from etcd go (the store), once following. */
  #apply: ((commit: ForeignCommit) => void) | undefined;
  /** Called when etcd refuses a write because this manager's leader key is gone (it lost the lead). */
  onFenced: ((reason: Error) => void) | undefined;
  readonly #queue: Queued[] = [];
  readonly #waiters: { index: number; resolve: () => void; reject: (err: Error) => void }[] = [];
  readonly #timeoutMs: number;
  #loaded: { index: number; rows: StoredRow[] } | undefined;
  /** The mod revision of PREFIX/index as this backend last wrote or read it (0: no such key). */
  #revision = '0';
  /** The mod revision of PREFIX/index in the last event about it, whoever wrote it (part of a commit or whole). */
  #indexSeen = '0';
  #persisted = 0;
  #failed: Error | undefined;
  #running: Promise<void> | undefined;
  #closed = false;
  /** The revision the loaded rows were read at: following starts right after it. */
  #loadedAt = '0';
  #watcher: EtcdWatcher | undefined;
  /** The watch has a client of its own, replaced when its stream is stuck (WATCH_STALL_MS). */
  #watchClient: Etcd3;
  /** Bumped with each new watch: events of a replaced one are ignored. */
  #watchGeneration = 0;
  #watchCheck: NodeJS.Timeout | undefined;
  /** A revision etcd had when last checked, and when: the watch must deliver it within WATCH_STALL_MS. */
  #probe: { revision: bigint; at: number } | undefined;
  #probing = false;
  /** Parts of a foreign commit seen so far (a commit split over several transactions arrives whole). */
  #foreign: ForeignCommit = { index: 0, puts: [], deletes: [] };
  /** The highest revision the watcher has delivered (anything under the prefix): how far this copy has caught up. */
  #seen = '0';
  readonly #seenWaiters: { revision: bigint; since: number; resolve: () => void }[] = [];
  /** Why this manager may not write now (a follower); undefined once it leads. */
  #readOnly: string | undefined;
  /** The leader key this manager holds and its create revision: every write also compares it (fencing). */
  #fence: { key: string; createRevision: string } | undefined;

  private constructor(
    private readonly options: IOptions,
    prefix: string,
    timeoutMs: number,
    private readonly warn: (message: string) => void,
  ) {
    this.#client = new Etcd3(options);
    this.#watchClient = new Etcd3(options);
    this.#prefix = prefix;
    this.#timeoutMs = timeoutMs;
  }

  /** open connects and reads every row: the store starts from what etcd holds. */
  static async open(opts: EtcdBackendOptions): Promise<EtcdBackend> {
    const options: IOptions = {
      hosts: opts.endpoints,
      dialTimeout: opts.requestTimeoutMs ?? 5_000,
      // A member whose host vanished sends nothing, not even a reset: gRPC pings find it, and watches move to another member (#checkWatch
      // makes sure they do not wait on that member again).
      // 10 s: at etcd's minimum (--grpc-keepalive-min-time 5 s) jitter makes some pings too early,
      // and etcd answers those by closing the connection.
      grpcOptions: { 'grpc.keepalive_time_ms': 10_000, 'grpc.keepalive_timeout_ms': 2_000, 'grpc.keepalive_permit_without_calls': 1 },
      // A request to a member that stopped answering fails fast and is retried on another member
      // (the client's own policy); the load and the writes set their own deadlines.
      defaultCallOptions: (context) => (context.isStream ? {} : { deadline: Date.now() + CALL_DEADLINE_MS }),
      // etcd3 types this as a backoff state but calls next() on it first: the factory is what it takes.
      faultHandling: { watchBackoff: new ExponentialBackoff({ initialDelay: 100, maxDelay: 2_000 }) as unknown as NonNullable<NonNullable<IOptions['faultHandling']>['watchBackoff']> },
      ...(opts.tls && { credentials: { rootCertificate: opts.tls.ca, ...(opts.tls.cert && opts.tls.key && { certChain: opts.tls.cert, privateKey: opts.tls.key }) } }),
    };
    const backend = new EtcdBackend(options, opts.prefix ?? '/berth/', opts.requestTimeoutMs ?? 5_000, opts.warn ?? (() => undefined));
    try {
      await backend.#read();
    } catch (err) {
      backend.#client.close();
      backend.#watchClient.close();
      throw new Error(`etcd at ${opts.endpoints.join(', ')}: ${(err as Error).message}`);
    }
    return backend;
  }

  get failed(): Error | undefined {
    return this.#failed;
  }

  get readOnly(): string | undefined {
    return this.#readOnly;
  }

  /** client is the connection, for what shares it (the election of the leader). */
  get client(): Etcd3 {
    return this.#client;
  }

  /** prefix is where this cluster's keys live. */
  get prefix(): string {
    return this.#prefix;
  }

  /**
   * follower makes the backend refuse commits (`reason` says why) until `lead`: several managers
   * follow one prefix, and only the elected one writes.
   */
  follower(reason: string): void {
    this.#readOnly = reason;
  }

  /**
   * lead lets this backend write, once its copy holds every commit etcd has (those made before
   * its leader key was created at `createRevision`, and any the last leader made since). From then on each write also requires that key
   * to still have that create revision: once the lease behind it ends, etcd refuses whatever this
   * manager still sends, so a deposed leader can never commit after a new one has started.
   */
  async lead(key: string, createRevision: string): Promise<void> {
    // Every commit there will ever be before this leader's: the last leader's key is gone, so
    // etcd takes no more of its writes, and the latest is where PREFIX/index was last written.
    // The election's own watch may have told of that before this copy's watch delivered them.
    const index = (await this.#client.get(`${this.#prefix}index`).exec()).kvs[0];
    const latest = BigInt(index?.mod_revision ?? '0');
    const target = latest > BigInt(createRevision) ? latest : BigInt(createRevision);
    if (BigInt(this.#seen) < target) await new Promise<void>((resolve) => this.#seenWaiters.push({ revision: target, since: Date.now(), resolve }));
    this.#writer = randomBytes(8).toString('hex');
    this.#fence = { key, createRevision };
    this.#readOnly = undefined;
    // The last leader died inside a commit it split: the parts it wrote are in etcd, so they are
    // part of the state from here on (as a load counts them), for this copy as for the followers,
    // who apply them with this leader's first commit.
    this.#revision = this.#indexSeen;
    if (this.#foreign.puts.length > 0 || this.#foreign.deletes.length > 0) {
      const commit = { ...this.#foreign, index: this.#persisted + 1 };
      this.#foreign = { index: 0, puts: [], deletes: [] };
      this.#persisted = commit.index;
      this.#apply?.(commit);
    }
  }

  /**
   * abandon stops leading: commits not yet written are dropped (their durable() rejects), and
   * the index of the last commit etcd confirmed is returned — the store undoes those after it.
   * One still in flight may yet land; its watch event then brings it back like another writer's.
   */
  abandon(reason: string): number {
    this.#term++;
    this.#queue.length = 0;
    for (const w of this.#waiters.splice(0)) w.reject(new Error(reason));
    this.#fence = undefined;
    this.#readOnly = reason;
    this.#writer = randomBytes(8).toString('hex');
    return this.#persisted;
  }

  load(): { index: number; rows: StoredRow[] } {
    const loaded = this.#loaded ?? { index: 0, rows: [] };
    this.#loaded = undefined; // read once; the rows are the store's now
    return loaded;
  }

  write(index: number, puts: StoredRow[], deletes: { kind: string; id: string }[]): void {
    this.#queue.push({ index, chunks: chunked(puts, deletes) });
    this.#running ??= this.#drain();
  }

  durable(index: number): Promise<void> {
    if (this.#failed) return Promise.reject(this.#failed);
    if (index <= this.#persisted) return Promise.resolve();
    return new Promise((resolve, reject) => this.#waiters.push({ index, resolve, reject }));
  }

  /**
   * follow watches the prefix from the revision the rows were read at, so no commit falls between
   * them and the first one delivered. Commits this backend wrote are skipped (the store has them);
   * a foreign one arriving while commits of its own wait to be written means two writers: those
   * can never be written (their transaction would fail), so the backend fails at once.
   */
  follow(apply: (commit: ForeignCommit) => void): void {
    this.#apply = apply;
    this.#watch(BigInt(this.#loadedAt) + 1n);
    this.#watchCheck = setInterval(() => void this.#checkWatch(), WATCH_CHECK_MS).unref();
  }

  #watch(from: bigint): void {
    const generation = ++this.#watchGeneration;
    const current = (): boolean => generation === this.#watchGeneration;
    // watcher(), not create(): the watcher is ours at once, so close() can always detach it.
    const watcher = this.#watchClient.watch().prefix(this.#prefix).startRevision(String(from)).watcher();
    this.#watcher = watcher;
    watcher.on('data', (res) => {
      if (!current()) return;
      this.#onEvents(res.events ?? [], this.#apply!);
      this.#caughtUp(res.events ?? []);
    });
    watcher.on('error', (err: Error) => {
      // Otherwise the client reconnects and resumes after the last revision it delivered.
      if (current() && /compacted/i.test(err.message)) this.#fail(new Error(`this manager fell behind etcd's history (${err.message}): restart it to reload`));
    });
  }

  /** #checkWatch starts the watch again on a new client when it has not delivered, within WATCH_STALL_MS, a revision etcd had. */
  async #checkWatch(): Promise<void> {
    if (this.#closed || this.#failed || this.#probing) return;
    const now = Date.now();
    const seen = BigInt(this.#seen);
    if (this.#probe && seen >= this.#probe.revision) this.#probe = undefined;
    const stuck = (this.#probe && now - this.#probe.at >= WATCH_STALL_MS) || this.#seenWaiters.some((w) => now - w.since >= WATCH_STALL_MS);
    if (stuck) {
      this.#probe = undefined;
      for (const w of this.#seenWaiters) w.since = now;
      this.warn(`the watch on etcd delivered nothing past revision ${seen} for ${WATCH_STALL_MS / 1000} s while etcd had more: watching again on a new connection`);
      const [oldClient, oldWatcher] = [this.#watchClient, this.#watcher];
      this.#watchClient = new Etcd3(this.options);
      this.#watch(seen + 1n);
      // Closing the client ends the stuck stream, which lets the old watcher go.
      void oldWatcher?.cancel().catch(() => undefined);
      oldClient.close();
      return;
    }
    if (this.#probe) return;
    this.#probing = true;
    try {
      const index = (await this.#client.get(`${this.#prefix}index`).exec()).kvs[0]?.mod_revision;
      if (index && BigInt(index) > BigInt(this.#seen)) this.#probe = { revision: BigInt(index), at: now };
    } catch {
      // etcd did not answer this one: the next check asks again.
    } finally {
      this.#probing = false;
    }
  }

  #onEvents(events: { type: unknown; kv?: { key?: Buffer | null; value?: Buffer | null; mod_revision?: string | null } | null }[], apply: (commit: ForeignCommit) => void): void {
    const objects = `${this.#prefix}objects/`;
    const indexKey = `${this.#prefix}index`;
    for (const e of events) {
      if (this.#failed) return;
      const key = e.kv?.key?.toString() ?? '';
      if (key === indexKey) {
        this.#indexSeen = e.kv?.mod_revision ?? this.#indexSeen;
        const marker = parseMarker(e.kv?.value?.toString() ?? '');
        if (!marker || marker.writer === this.#writer) {
          this.#foreign = { index: 0, puts: [], deletes: [] }; // ours: the store applied it when it was made
          continue;
        }
        if (marker.index <= this.#persisted && marker.part === marker.parts - 1) {
          // Written by an earlier term of this manager and confirmed then: the store has it.
          this.#revision = e.kv?.mod_revision ?? this.#revision;
          this.#foreign = { index: 0, puts: [], deletes: [] };
          continue;
        }
        if (this.#queue.length > 0) {
          this.#fail(new Error('another manager has written to the store in etcd while this one had changes to write: this manager must stop and reload'));
          return;
        }
        if (marker.part < marker.parts - 1) continue;
        // Only a whole commit moves the revision this backend writes after: one of its own cannot land inside another's.
        this.#revision = e.kv?.mod_revision ?? this.#revision;
        const commit = { ...this.#foreign, index: marker.index };
        this.#foreign = { index: 0, puts: [], deletes: [] };
        this.#persisted = marker.index;
        try {
          apply(commit);
        } catch (err) {
          this.#fail(new Error(`a commit from another manager could not be applied: ${(err as Error).message}`));
          return;
        }
        continue;
      }
      if (!key.startsWith(objects)) continue;
      const [kind, ...id] = key.slice(objects.length).split('/');
      if (!kind || id.length === 0) continue;
      // Our own rows come with our own index marker in the same revision, and are skipped with it: buffer until then.
      if (String(e.type).toLowerCase() === 'delete') this.#foreign.deletes.push({ kind, id: id.join('/') });
      else this.#foreign.puts.push({ kind, id: id.join('/'), data: e.kv?.value?.toString() ?? '' });
    }
  }

  #caughtUp(events: { kv?: { mod_revision?: string | null } | null }[]): void {
    for (const e of events) if (e.kv?.mod_revision && BigInt(e.kv.mod_revision) > BigInt(this.#seen)) this.#seen = e.kv.mod_revision;
    const seen = BigInt(this.#seen);
    for (const w of this.#seenWaiters.filter((x) => x.revision <= seen)) w.resolve();
    this.#seenWaiters.splice(0, this.#seenWaiters.length, ...this.#seenWaiters.filter((x) => x.revision > seen));
  }

  /** close waits for the commits already written (unless etcd is gone), then disconnects. */
  async close(): Promise<void> {
    this.#closed = true;
    // The client's watch manager reconnects for as long as a watcher is attached, closed client or
    // not: detach it first, waiting for etcd's answer a moment at most (it may be gone).
    clearInterval(this.#watchCheck);
    if (this.#watcher) await Promise.race([this.#watcher.cancel().catch(() => undefined), new Promise((r) => setTimeout(r, 1_000).unref())]);
    await this.#running;
    this.#fail(new Error('the store is closed'));
    this.#client.close();
    this.#watchClient.close();
  }

  async #read(): Promise<void> {
    const objects = `${this.#prefix}objects/`;
    const res = await this.#client.getAll().prefix(objects).options({ deadline: Date.now() + LOAD_DEADLINE_MS }).exec();
    const rows: StoredRow[] = [];
    for (const kv of res.kvs) {
      const [kind, ...id] = kv.key.toString().slice(objects.length).split('/');
      if (kind && id.length > 0) rows.push({ kind, id: id.join('/'), data: kv.value.toString() });
    }
    // Read at the revision of the rows, so that the index and the rows agree.
    const index = await this.#client.get(`${this.#prefix}index`).revision(res.header.revision).exec();
    const kv = index.kvs[0];
    const marker = kv ? parseMarker(kv.value.toString()) : undefined;
    this.#revision = kv?.mod_revision ?? '0';
    this.#indexSeen = this.#revision;
    this.#loadedAt = res.header.revision;
    this.#seen = res.header.revision;
    // A commit cut short by its writer's death (some of its parts only) counts as the one before.
    this.#persisted = marker ? (marker.part === marker.parts - 1 ? marker.index : marker.index - 1) : 0;
    this.#loaded = { index: this.#persisted, rows };
  }

  /** #drain writes the queue in order; it clears #running itself, in the same turn it finds the queue empty, so no write is left behind. */
  async #drain(): Promise<void> {
    for (;;) {
      const commit = this.#queue[0];
      if (!commit || this.#failed) {
        this.#running = undefined;
        return;
      }
      const term = this.#term;
      let written = true;
      for (let i = 0; i < commit.chunks.length && written; i++) {
        const outcome = await this.#writeChunk(commit, i, term);
        if (outcome === 'failed') {
          this.#running = undefined;
          return;
        }
        written = outcome === 'written' && term === this.#term;
      }
      // The term ended meanwhile: the queue was emptied (or holds the next term's commits).
      if (!written || term !== this.#term) continue;
      this.#queue.shift();
      this.#persisted = commit.index;
      for (const w of this.#waiters.filter((x) => x.index <= commit.index)) w.resolve();
      this.#waiters.splice(0, this.#waiters.length, ...this.#waiters.filter((x) => x.index > commit.index));
    }
  }

  /**
   * #writeChunk appends one chunk, retrying transient errors: 'stale' once the term it was
   * written for is over (or its leader key is gone), 'failed' when this backend may write no more.
   */
  async #writeChunk(commit: Queued, i: number, term: number): Promise<'written' | 'stale' | 'failed'> {
    const chunk = commit.chunks[i]!;
    // Unique per chunk and writer: after an error that hid the outcome, reading it back tells whether it went in.
    const marker = JSON.stringify({ index: commit.index, writer: this.#writer, part: i, parts: commit.chunks.length } satisfies Marker);
    const indexKey = `${this.#prefix}index`;
    const fence = this.#fence;
    for (let delay = RETRY_MIN_MS; ; delay = Math.min(delay * 2, RETRY_MAX_MS)) {
      if (term !== this.#term) return 'stale';
      try {
        const guarded = this.#client.if(indexKey, 'Mod', '==', Number(this.#revision));
        if (fence) guarded.and(fence.key, 'Create', '==', Number(fence.createRevision));
        const res = await guarded
          .then(
            ...chunk.deletes.map((d) => this.#client.delete().key(this.#key(d))),
            ...chunk.puts.map((p) => this.#client.put(this.#key(p)).value(p.data)),
            this.#client.put(indexKey).value(marker),
          )
          .options({ deadline: Date.now() + this.#timeoutMs })
          .commit();
        if (res.succeeded) {
          if (term === this.#term) this.#revision = res.header.revision;
          return 'written';
        }
        // Someone else moved the index, or our own attempt did go in before an error hid it.
        const now = (await this.#client.get(indexKey).exec()).kvs[0];
        if (now && now.value.toString() === marker) {
          if (term === this.#term) this.#revision = now.mod_revision;
          return 'written';
        }
        if (term !== this.#term) return 'stale';
        const held = fence && (await this.#client.get(fence.key).exec()).kvs[0];
        if (fence && (!held || held.create_revision !== fence.createRevision)) {
          this.onFenced?.(new Error('etcd refused a write: this manager is no longer the leader (its lease ended)'));
          return 'stale';
        }
        this.#fail(new Error('another manager has written to the store in etcd since this one last did: this manager must stop and reload'));
        return 'failed';
      } catch (err) {
        if (this.#closed) {
          this.#fail(new Error(`etcd is unreachable and the store is closing: ${(err as Error).message}`));
          return 'failed';
        }
        await new Promise((r) => setTimeout(r, delay));
      }
    }
  }

  #key(row: { kind: string; id: string }): string {
    return `${this.#prefix}objects/${row.kind}/${row.id}`;
  }

  #fail(err: Error): void {
    this.#failed ??= err;
    for (const w of this.#waiters.splice(0)) w.reject(this.#failed);
  }
}

/** chunked splits a commit into transactions within etcd's default limits, deletes first. */
function chunked(puts: StoredRow[], deletes: { kind: string; id: string }[]): Chunk[] {
  const chunks: Chunk[] = [{ puts: [], deletes: [] }];
  let ops = 0;
  let bytes = 0;
  const room = (size: number): Chunk => {
    if (ops + 1 > MAX_OPS || (bytes + size > MAX_BYTES && ops > 0)) {
      chunks.push({ puts: [], deletes: [] });
      ops = 0;
      bytes = 0;
    }
    ops++;
    bytes += size;
    return chunks.at(-1)!;
  };
  for (const d of deletes) room(0).deletes.push(d);
  for (const p of puts) room(p.data.length).puts.push(p);
  return chunks;
}
