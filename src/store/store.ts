// The manager's single source of truth: typed tables in memory, every commit written through to
// SQLite before it is acknowledged, and watchers that see every commit in order.
//
// Transactions are synchronous functions. Node runs one at a time to completion, so a
// transaction sees a consistent state and no reader ever sees half of one; a throw undoes
// every write it made. Objects read from the store are frozen: copy, never mutate.

import { NameConflictError, NotFoundError, NotLeaderError, UnavailableError, VersionConflictError } from '../types/index.js';
import type { Cluster, Meta } from '../types/index.js';
import { now } from '../common/time.js';
import { AtRest } from './at-rest.js';
import type { ForeignCommit, StoreBackend, StoredRow } from './backend.js';
import { SqliteBackend } from './sqlite-backend.js';
import './core-kinds.js';
import { openKinds, type AnyKindDefinition, type Kind, type ReadTx, type TableReader, type TableWriter, type Tx } from './kinds.js';
import { Table } from './table.js';
import { Watcher, type Change, type Commit } from './watch.js';

export interface StoreOptions {
  /** SQLite file; ':memory:' (the default) keeps nothing after close. */
  path?: string;
  /** FULL fsyncs every commit (survives power loss); NORMAL survives a process kill only. */
  synchronous?: 'FULL' | 'NORMAL';
  /** 32-byte key that encrypts sealed kinds in the SQLite file; required when path is a file. */
  key?: Buffer;
  /** Where commits are kept instead of SQLite (EtcdBackend); path and synchronous are then unused. */
  backend?: StoreBackend;
}

type Undo = { kind: Kind; id: string; old: Meta | undefined };
/** The update in progress: what it changed so far, to publish or undo. */
interface Pending {
  index: number;
  changes: Change[];
  undo: Undo[];
}
type Accessors = Record<string, TableReader<Meta>>;
const specName = (o: Meta): string | undefined => (o as unknown as { Spec: { Name?: string } }).Spec.Name;

export class Store {
  readonly #backend: StoreBackend;
  readonly #kinds = new Map<string, { def: AnyKindDefinition; table: Table<Meta> }>();
  // Tables as transactions see them, by accessor; built once, as they hold no per-transaction state.
  readonly #readers: Accessors = {};
  readonly #writers: Accessors = {};
  readonly #watchers = new Set<Watcher>();
  readonly #atRest: AtRest;
  #index = 0;
  #pending: Pending | undefined;
  /** What each commit not yet persisted replaced, oldest first (only for a backend that persists later: etcd). */
  #unsaved: { index: number; undo: Map<string, { kind: Kind; id: string; old: Meta | undefined }> }[] = [];

  constructor(options: StoreOptions = {}) {
    this.#backend = options.backend ?? new SqliteBackend({ path: options.path ?? ':memory:', synchronous: options.synchronous ?? 'FULL' });
    this.#atRest = new AtRest(options.key);
    for (const def of openKinds()) {
      const table = new Table<Meta>(def.named ? { ...def.indexes, byName: specName } : def.indexes);
      this.#kinds.set(def.kind, { def, table });
      const reader = this.#reader(def, table);
      this.#readers[def.accessor] = reader;
      this.#writers[def.accessor] = { ...reader, ...this.#writer(def, table) };
    }
    this.#load();
    this.#backend.follow?.((commit) => this.#applyForeign(commit));
  }

  /** index is the number of the last commit. */
  get index(): number {
    return this.#index;
  }

  /** view runs fn against the current committed state. */
  view<R>(fn: (tx: ReadTx) => R): R {
    return fn(this.#tx(this.#readers, this.#index) as ReadTx);
  }

  /**
   * update runs fn as one transaction: if fn returns, its writes are persisted and published
   * as one commit; if it throws, they are undone and the error is rethrown. fn must be
   * synchronous and must not call update again.
   */
  update<R>(fn: (tx: Tx) => R): R {
    if (this.#pending) throw new Error('store: nested update');
    const pending: Pending = { index: this.#index + 1, changes: [], undo: [] };
    this.#pending = pending;
    try {
      const result = fn(this.#tx(this.#writers, pending.index) as Tx);
      if (result instanceof Promise) throw new Error('store: update function must be synchronous');
      if (pending.changes.length > 0) this.#commit(pending.changes);
      return result;
    } catch (err) {
      for (let i = pending.undo.length - 1; i >= 0; i--) {
        const u = pending.undo[i]!;
        const table = this.#kinds.get(u.kind)!.table;
        if (u.old) table.put(u.old);
        else table.remove(u.id);
      }
      throw err;
    } finally {
      this.#pending = undefined;
    }
  }

  /** watch delivers every commit after this call. Close the watcher when done. */
  watch(): Watcher {
    const w = new Watcher((x) => this.#watchers.delete(x));
    this.#watchers.add(w);
    return w;
  }

  /** viewAndWatch reads a snapshot and subscribes at the same instant: no commit is missed or seen twice. */
  viewAndWatch<R>(fn: (tx: ReadTx) => R): [R, Watcher] {
    const w = this.watch();
    return [this.view(fn), w];
  }

  /**
   * reached resolves true once this copy holds the commit `index` — on etcd a follower gets the
   * leader's commits through its watch — or false after timeoutMs.
   */
  async reached(index: number, timeoutMs: number): Promise<boolean> {
    if (this.#index >= index) return true;
    const w = this.watch();
    const timer = setTimeout(() => w.close(), timeoutMs);
    try {
      while (this.#index < index) if (!(await w.next())) return false;
      return true;
    } finally {
      clearTimeout(timer);
      w.close();
    }
  }

  /**
   * durable resolves once every commit up to `index` (the last one by default) is persisted:
   * at once on SQLite, once etcd has it on etcd. What the API acknowledges waits for it.
   */
  durable(index = this.#index): Promise<void> {
    return this.#backend.durable(index);
  }

  /**
   * abandonWrites is for a manager that lost the lead: the backend takes no more commits, and
   * those it had not persisted are undone here, published to watchers as one commit, so this
   * copy is again exactly what etcd holds and follows the next leader from there.
   */
  abandonWrites(reason: string): void {
    if (!this.#backend.abandon) return;
    const kept = this.#backend.abandon(reason);
    const undone = this.#unsaved.filter((u) => u.index > kept).reverse();
    this.#unsaved = [];
    const changes: Change[] = [];
    for (const u of undone) {
      for (const { kind, id, old } of u.undo.values()) {
        const table = this.#kinds.get(kind)!.table;
        const current = table.get(id);
        if (old) {
          table.put(old);
          changes.push({ kind, action: current ? 'update' : 'create', object: old, old: current } as Change);
        } else if (current) {
          table.remove(id);
          changes.push({ kind, action: 'delete', object: current } as Change);
        }
      }
    }
    this.#index = Math.min(this.#index, kept);
    if (changes.length === 0) return;
    const commit: Commit = { index: this.#index, changes };
    for (const w of this.#watchers) w.push(commit);
  }

  close(): void {
    for (const w of [...this.#watchers]) w.close();
    void this.#backend.close();
  }

  // Rows of a kind no module registered in this process (a subsystem not wired in, a newer
  // version's kind) stay in the file as they are: never loaded, never rewritten or removed.
  #load(): void {
    const { index, rows } = this.#backend.load();
    this.#index = index;
    for (const r of rows) {
      const known = this.#kinds.get(r.kind);
      if (known) known.table.put(Object.freeze(JSON.parse(this.#atRest.open(r.kind, r.data)) as Meta));
    }
  }

  /**
   * #applyForeign takes a commit another manager made (etcd) into the tables and publishes it to
   * watchers as one commit, exactly as if it had been made here. It runs between transactions
   * (it comes from an I/O callback, never from inside update).
   */
  #applyForeign(commit: ForeignCommit): void {
    const changes: Change[] = [];
    for (const d of commit.deletes) {
      const old = this.#kinds.get(d.kind)?.table.remove(d.id);
      if (old) changes.push({ kind: d.kind as Kind, action: 'delete', object: old } as Change);
    }
    for (const p of commit.puts) {
      const known = this.#kinds.get(p.kind);
      if (!known) continue; // a kind this process does not serve
      const object = Object.freeze(JSON.parse(this.#atRest.open(p.kind, p.data)) as Meta);
      const old = known.table.put(object);
      changes.push({ kind: p.kind as Kind, action: old ? 'update' : 'create', object, old } as Change);
    }
    this.#index = commit.index;
    if (changes.length === 0) return;
    const published: Commit = { index: commit.index, changes };
    for (const w of this.#watchers) w.push(published);
  }

  #commit(changes: Change[]): void {
    if (this.#backend.failed) throw new UnavailableError(`the store cannot persist changes: ${this.#backend.failed.message}`);
    if (this.#backend.readOnly) throw new NotLeaderError(this.#backend.readOnly);
    const index = this.#index + 1;
    // What the commit leaves of each object: its last change wins (a create then a delete is a delete).
    const last = new Map<string, Change>();
    for (const c of changes) last.set(`${c.kind}/${c.object.ID}`, c);
    const puts: StoredRow[] = [];
    const deletes: { kind: string; id: string }[] = [];
    for (const c of last.values()) {
      if (c.action === 'delete') deletes.push({ kind: c.kind, id: c.object.ID });
      else puts.push({ kind: c.kind, id: c.object.ID, data: this.#atRest.seal(c.kind, this.#kinds.get(c.kind)!.def.sealed, JSON.stringify(c.object)) });
    }
    this.#backend.write(index, puts, deletes);
    this.#index = index;
    if (this.#backend.abandon) this.#trackUnsaved(index, changes);
    const commit: Commit = { index, changes };
    for (const w of this.#watchers) w.push(commit);
  }

  /** #trackUnsaved keeps what a commit replaced until the backend has persisted it (abandonWrites undoes it otherwise). */
  #trackUnsaved(index: number, changes: Change[]): void {
    const undo = new Map<string, { kind: Kind; id: string; old: Meta | undefined }>();
    for (const c of changes) {
      const key = `${c.kind}/${c.object.ID}`;
      if (undo.has(key)) continue;
      const old = c.action === 'create' ? undefined : c.action === 'update' ? (c as { old?: Meta }).old : c.object;
      undo.set(key, { kind: c.kind as Kind, id: c.object.ID, old });
    }
    this.#unsaved.push({ index, undo });
    this.#backend.durable(index).then(
      () => {
        const at = this.#unsaved.findIndex((u) => u.index > index);
        this.#unsaved.splice(0, at === -1 ? this.#unsaved.length : at);
      },
      () => undefined, // abandoned or failed: abandonWrites or the failure decides
    );
  }

  #tx(accessors: Accessors, index: number): object {
    return { ...accessors, index, cluster: this.#cluster };
  }

  readonly #cluster = (): Cluster | undefined => this.#kinds.get('cluster')!.table.rows.values().next().value as Cluster | undefined;

  #reader(def: AnyKindDefinition, table: Table<Meta>): TableReader<Meta> {
    const pick = (ids: ReadonlySet<string>): Meta[] => [...ids].map((id) => table.get(id)!);
    const reader: TableReader<Meta> & Record<string, unknown> = {
      get: (id) => table.get(id),
      list: () => [...table.rows.values()],
      count: () => table.rows.size,
    };
    for (const name of Object.keys(def.indexes)) reader[name] = (value: string) => pick(table.ids(name, value));
    if (def.named) {
      reader.byName = (name: string) => {
        const [id] = table.ids('byName', name);
        return id === undefined ? undefined : table.get(id);
      };
    }
    return reader;
  }

  #writer(def: AnyKindDefinition, table: Table<Meta>): Omit<TableWriter<Meta>, keyof TableReader<Meta>> {
    const kind = def.kind as Kind;
    // Writers outlive their update (a caller may keep tx): past it, they refuse rather than write nowhere.
    const pending = (): Pending => {
      if (!this.#pending) throw new Error(`store: a ${kind} written after its update returned`);
      return this.#pending;
    };
    const record = (p: Pending, action: Change['action'], object: Meta, old: Meta | undefined): void => {
      p.undo.push({ kind, id: object.ID, old });
      p.changes.push({ kind, action, object, old } as Change);
    };
    return {
      create: (obj) => {
        const p = pending();
        if (table.get(obj.ID)) throw new Error(`store: ${kind} ${obj.ID} already exists`);
        this.#checkName(def, table, obj);
        const ts = now();
        const stored = Object.freeze({ ...obj, Version: { Index: p.index }, CreatedAt: obj.CreatedAt || ts, UpdatedAt: ts });
        table.put(stored);
        record(p, 'create', stored, undefined);
        return stored;
      },
      update: (obj) => {
        const p = pending();
        const old = table.get(obj.ID);
        if (!old) throw new NotFoundError(`${kind} ${obj.ID} not found`);
        if (obj.Version.Index !== old.Version.Index) {
          throw new VersionConflictError(
            `update out of sequence: ${kind} ${obj.ID} is at version ${old.Version.Index}, the update was made from version ${obj.Version.Index}; read it again and retry`,
          );
        }
        this.#checkName(def, table, obj);
        const stored = Object.freeze({ ...obj, Version: { Index: p.index }, UpdatedAt: now() });
        table.put(stored);
        record(p, 'update', stored, old);
        return stored;
      },
      delete: (id) => {
        const p = pending();
        const old = table.remove(id);
        if (!old) return undefined;
        p.undo.push({ kind, id, old });
        p.changes.push({ kind, action: 'delete', object: old } as Change);
        return old;
      },
    };
  }

  #checkName(def: AnyKindDefinition, table: Table<Meta>, obj: Meta): void {
    if (!def.named) return;
    const name = specName(obj);
    if (!name) return;
    for (const id of table.ids('byName', name)) {
      if (id !== obj.ID) throw new NameConflictError(`${def.kind} ${name} already exists`);
    }
  }
}
