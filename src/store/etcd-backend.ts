// The store's commits in etcd (the etcd3 client), for managers that must outlive their machine.
// Each object is one key (PREFIX/objects/KIND/ID, its JSON sealed as in SQLite), and PREFIX/index
// holds the last commit. Commits are written in order by one loop, each as an etcd transaction
// that succeeds only if PREFIX/index is still at the revision this backend last wrote: two
// managers can never both append (the loser learns it at once and fails for good). A commit too
// big for one etcd request (etcd's defaults: 128 operations, 1.5 MiB) is written as several,
// as swarmkit splits its batches. A transient error (etcd down, no leader) is retried until it
// passes; what the API acknowledges waits for it through `durable`.

import { randomBytes } from 'node:crypto';
import { Etcd3, type IOptions } from 'etcd3';
import type { StoreBackend, StoredRow } from './backend.js';

/** Operations per etcd transaction: etcd's default --max-txn-ops is 128; one is the index. */
const MAX_OPS = 100;
/** Bytes of values per transaction, under etcd's default --max-request-bytes (1.5 MiB). */
const MAX_BYTES = 1024 * 1024;
const RETRY_MIN_MS = 100;
const RETRY_MAX_MS = 5_000;

export interface EtcdBackendOptions {
  /** Client URLs, e.g. http://10.0.0.1:2379 (https:// with TLS). */
  endpoints: string[];
  /** Keys live under this prefix (default /berth/): several clusters can share one etcd. */
  prefix?: string;
  /** TLS to etcd: the CA (PEM) that signed its certificate, and a client certificate and key if it asks for one. */
  tls?: { ca: Buffer; cert?: Buffer; key?: Buffer };
  /** How long one request may take before it counts as failed and is retried. */
  requestTimeoutMs?: number;
}

interface Chunk {
  puts: StoredRow[];
  deletes: { kind: string; id: string }[];
}

interface Queued {
  index: number;
  chunks: Chunk[];
}

export class EtcdBackend implements StoreBackend {
  readonly #client: Etcd3;
  readonly #prefix: string;
  readonly #writer = randomBytes(8).toString('hex');
  readonly #queue: Queued[] = [];
  readonly #waiters: { index: number; resolve: () => void; reject: (err: Error) => void }[] = [];
  readonly #timeoutMs: number;
  #loaded: { index: number; rows: StoredRow[] } | undefined;
  /** The mod revision of PREFIX/index as this backend last wrote or read it (0: no such key). */
  #revision = '0';
  #persisted = 0;
  #failed: Error | undefined;
  #running: Promise<void> | undefined;
  #closed = false;

  private constructor(client: Etcd3, prefix: string, timeoutMs: number) {
    this.#client = client;
    this.#prefix = prefix;
    this.#timeoutMs = timeoutMs;
  }

  /** open connects and reads every row: the store starts from what etcd holds. */
  static async open(opts: EtcdBackendOptions): Promise<EtcdBackend> {
    const options: IOptions = {
      hosts: opts.endpoints,
      dialTimeout: opts.requestTimeoutMs ?? 5_000,
      ...(opts.tls && { credentials: { rootCertificate: opts.tls.ca, ...(opts.tls.cert && opts.tls.key && { certChain: opts.tls.cert, privateKey: opts.tls.key }) } }),
    };
    const backend = new EtcdBackend(new Etcd3(options), opts.prefix ?? '/berth/', opts.requestTimeoutMs ?? 5_000);
    try {
      await backend.#read();
    } catch (err) {
      backend.#client.close();
      throw new Error(`etcd at ${opts.endpoints.join(', ')}: ${(err as Error).message}`);
    }
    return backend;
  }

  get failed(): Error | undefined {
    return this.#failed;
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

  /** close waits for the commits already written (unless etcd is gone), then disconnects. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#running;
    this.#fail(new Error('the store is closed'));
    this.#client.close();
  }

  async #read(): Promise<void> {
    const objects = `${this.#prefix}objects/`;
    const res = await this.#client.getAll().prefix(objects).exec();
    const rows: StoredRow[] = [];
    for (const kv of res.kvs) {
      const [kind, ...id] = kv.key.toString().slice(objects.length).split('/');
      if (kind && id.length > 0) rows.push({ kind, id: id.join('/'), data: kv.value.toString() });
    }
    // Read at the revision of the rows, so that the index and the rows agree.
    const index = await this.#client.get(`${this.#prefix}index`).revision(res.header.revision).exec();
    const kv = index.kvs[0];
    this.#revision = kv?.mod_revision ?? '0';
    this.#persisted = kv ? (JSON.parse(kv.value.toString()) as { index: number }).index : 0;
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
      for (let i = 0; i < commit.chunks.length; i++) {
        if (!(await this.#writeChunk(commit, i))) {
          this.#running = undefined;
          return;
        }
      }
      this.#queue.shift();
      this.#persisted = commit.index;
      for (const w of this.#waiters.filter((x) => x.index <= commit.index)) w.resolve();
      this.#waiters.splice(0, this.#waiters.length, ...this.#waiters.filter((x) => x.index > commit.index));
    }
  }

  /** #writeChunk appends one chunk, retrying transient errors; false when this backend may write no more. */
  async #writeChunk(commit: Queued, i: number): Promise<boolean> {
    const chunk = commit.chunks[i]!;
    const last = i === commit.chunks.length - 1;
    // Unique per chunk and writer: after an error that hid the outcome, reading it back tells whether it went in.
    const marker = JSON.stringify({ index: last ? commit.index : commit.index - 1, writer: this.#writer, chunk: `${commit.index}.${i}` });
    const indexKey = `${this.#prefix}index`;
    for (let delay = RETRY_MIN_MS; ; delay = Math.min(delay * 2, RETRY_MAX_MS)) {
      try {
        const res = await this.#client
          .if(indexKey, 'Mod', '==', Number(this.#revision))
          .then(
            ...chunk.deletes.map((d) => this.#client.delete().key(this.#key(d))),
            ...chunk.puts.map((p) => this.#client.put(this.#key(p)).value(p.data)),
            this.#client.put(indexKey).value(marker),
          )
          .options({ deadline: Date.now() + this.#timeoutMs })
          .commit();
        if (res.succeeded) {
          this.#revision = res.header.revision;
          return true;
        }
        // Someone else moved the index, or our own attempt did go in before an error hid it.
        const now = (await this.#client.get(indexKey).exec()).kvs[0];
        if (now && now.value.toString() === marker) {
          this.#revision = now.mod_revision;
          return true;
        }
        this.#fail(new Error('another manager has written to the store in etcd since this one last did: this manager must stop and reload'));
        return false;
      } catch (err) {
        if (this.#closed) {
          this.#fail(new Error(`etcd is unreachable and the store is closing: ${(err as Error).message}`));
          return false;
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
