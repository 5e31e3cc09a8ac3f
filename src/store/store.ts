// The manager's single source of truth: typed tables in memory, every commit written through to
// SQLite before it is acknowledged, and watchers that see every commit in order.
//
// Transactions are synchronous functions. Node runs one at a time to completion, so a
// transaction sees a consistent state and no reader ever sees half of one; a throw undoes
// every write it made. Objects read from the store are frozen: copy, never mutate.

import Database from 'better-sqlite3';
import { NameConflictError, NotFoundError, VersionConflictError } from '../types/index.js';
import type {
  ClientCertificate,
  Cluster,
  Config,
  Meta,
  Network,
  Node,
  RegistryCredential,
  RegistryEndpoint,
  RegistryProject,
  RegistryRobot,
  RegistryUser,
  ReplicationPolicy,
  ReplicationRun,
  RegistryWebhook,
  Secret,
  Service,
  ServiceRegistryAuth,
  Task,
} from '../types/index.js';
import { now } from '../common/time.js';
import { AtRest } from './at-rest.js';
import { Table } from './table.js';
import { Watcher, type Change, type Commit, type Kind, type Kinds } from './watch.js';

export interface StoreOptions {
  /** SQLite file; ':memory:' (the default) keeps nothing after close. */
  path?: string;
  /** FULL fsyncs every commit (survives power loss); NORMAL survives a process kill only. */
  synchronous?: 'FULL' | 'NORMAL';
  /** 32-byte key that encrypts secrets in the SQLite file; required when path is a file. */
  key?: Buffer;
}

export interface TableReader<T> {
  get(id: string): T | undefined;
  list(): T[];
  count(): number;
}

export interface TableWriter<T> extends TableReader<T> {
  /** create stores a new object; it sets Version, CreatedAt and UpdatedAt. */
  create(obj: T): T;
  /**
   * update replaces the stored object with obj. obj.Version must be the stored version:
   * throws VersionConflictError when it is stale, NotFoundError when the object is gone.
   */
  update(obj: T): T;
  /** delete removes the object; deleting a missing object is a no-op returning undefined. */
  delete(id: string): T | undefined;
}

export interface TaskReader extends TableReader<Task> {
  byService(serviceId: string): Task[];
  byNode(nodeId: string): Task[];
}
/** A table whose objects have unique names (Spec.Name). */
export interface NamedReader<T> extends TableReader<T> {
  byName(name: string): T | undefined;
}
export type ServiceReader = NamedReader<Service>;

export interface ReadTx {
  readonly index: number;
  readonly nodes: TableReader<Node>;
  readonly services: ServiceReader;
  readonly tasks: TaskReader;
  readonly secrets: NamedReader<Secret>;
  readonly configs: NamedReader<Config>;
  readonly networks: NamedReader<Network>;
  readonly registryUsers: NamedReader<RegistryUser>;
  readonly registryProjects: NamedReader<RegistryProject>;
  readonly registryRobots: NamedReader<RegistryRobot>;
  readonly registryCredentials: NamedReader<RegistryCredential>;
  readonly serviceRegistryAuths: TableReader<ServiceRegistryAuth>;
  readonly registryEndpoints: NamedReader<RegistryEndpoint>;
  readonly replicationPolicies: NamedReader<ReplicationPolicy>;
  readonly replicationRuns: TableReader<ReplicationRun>;
  readonly registryWebhooks: TableReader<RegistryWebhook>;
  readonly clientCertificates: TableReader<ClientCertificate>;
  cluster(): Cluster | undefined;
}

export interface Tx extends ReadTx {
  readonly nodes: TableWriter<Node>;
  readonly services: ServiceReader & TableWriter<Service>;
  readonly tasks: TaskReader & TableWriter<Task>;
  readonly clusters: TableWriter<Cluster>;
  readonly secrets: NamedReader<Secret> & TableWriter<Secret>;
  readonly configs: NamedReader<Config> & TableWriter<Config>;
  readonly networks: NamedReader<Network> & TableWriter<Network>;
  readonly registryUsers: NamedReader<RegistryUser> & TableWriter<RegistryUser>;
  readonly registryProjects: NamedReader<RegistryProject> & TableWriter<RegistryProject>;
  readonly registryRobots: NamedReader<RegistryRobot> & TableWriter<RegistryRobot>;
  readonly registryCredentials: NamedReader<RegistryCredential> & TableWriter<RegistryCredential>;
  readonly serviceRegistryAuths: TableWriter<ServiceRegistryAuth>;
  readonly registryEndpoints: NamedReader<RegistryEndpoint> & TableWriter<RegistryEndpoint>;
  readonly replicationPolicies: NamedReader<ReplicationPolicy> & TableWriter<ReplicationPolicy>;
  readonly replicationRuns: TableWriter<ReplicationRun>;
  readonly registryWebhooks: TableWriter<RegistryWebhook>;
  readonly clientCertificates: TableWriter<ClientCertificate>;
}

/** Kinds whose Spec.Name is unique within the kind. */
type NamedKind =
  | 'service'
  | 'secret'
  | 'config'
  | 'network'
  | 'registryUser'
  | 'registryProject'
  | 'registryRobot'
  | 'registryCredential'
  | 'registryEndpoint'
  | 'replicationPolicy';
const NAMED: ReadonlySet<Kind> = new Set<NamedKind>([
  'service',
  'secret',
  'config',
  'network',
  'registryUser',
  'registryProject',
  'registryRobot',
  'registryCredential',
  'registryEndpoint',
  'replicationPolicy',
]);
const byName = (o: { Spec: { Name?: string } }): string | undefined => o.Spec.Name;

export class Store {
  readonly #db: Database.Database;
  readonly #tables: { [K in Kind]: Table<Kinds[K]> };
  readonly #watchers = new Set<Watcher>();
  readonly #upsert: Database.Statement;
  readonly #remove: Database.Statement;
  readonly #setIndex: Database.Statement;
  readonly #atRest: AtRest;
  #index = 0;
  #inUpdate = false;

  constructor(options: StoreOptions = {}) {
    this.#db = new Database(options.path ?? ':memory:');
    this.#atRest = new AtRest(options.key);
    this.#db.pragma('journal_mode = WAL');
    this.#db.pragma(`synchronous = ${options.synchronous ?? 'FULL'}`);
    this.#db.exec(`
      CREATE TABLE IF NOT EXISTS objects (kind TEXT NOT NULL, id TEXT NOT NULL, data TEXT NOT NULL, PRIMARY KEY (kind, id));
      CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
    `);
    this.#upsert = this.#db.prepare('INSERT OR REPLACE INTO objects (kind, id, data) VALUES (?, ?, ?)');
    this.#remove = this.#db.prepare('DELETE FROM objects WHERE kind = ? AND id = ?');
    this.#setIndex = this.#db.prepare("INSERT OR REPLACE INTO meta (key, value) VALUES ('index', ?)");
    this.#tables = {
      node: new Table<Node>({}),
      service: new Table<Service>({ name: byName }),
      task: new Table<Task>({ service: (t) => t.ServiceID, node: (t) => t.NodeID || undefined }),
      cluster: new Table<Cluster>({}),
      secret: new Table<Secret>({ name: byName }),
      config: new Table<Config>({ name: byName }),
      network: new Table<Network>({ name: byName }),
      registryUser: new Table<RegistryUser>({ name: byName }),
      registryProject: new Table<RegistryProject>({ name: byName }),
      registryRobot: new Table<RegistryRobot>({ name: byName }),
      registryCredential: new Table<RegistryCredential>({ name: byName }),
      serviceRegistryAuth: new Table<ServiceRegistryAuth>({}),
      registryEndpoint: new Table<RegistryEndpoint>({ name: byName }),
      replicationPolicy: new Table<ReplicationPolicy>({ name: byName }),
      replicationRun: new Table<ReplicationRun>({}),
      registryWebhook: new Table<RegistryWebhook>({}),
      clientCertificate: new Table<ClientCertificate>({}),
    };
    this.#load();
  }

  /** index is the number of the last commit. */
  get index(): number {
    return this.#index;
  }

  /** view runs fn against the current committed state. */
  view<R>(fn: (tx: ReadTx) => R): R {
    return fn(this.#readTx());
  }

  /**
   * update runs fn as one transaction: if fn returns, its writes are persisted and published
   * as one commit; if it throws, they are undone and the error is rethrown. fn must be
   * synchronous and must not call update again.
   */
  update<R>(fn: (tx: Tx) => R): R {
    if (this.#inUpdate) throw new Error('store: nested update');
    this.#inUpdate = true;
    const changes: Change[] = [];
    const undo: { kind: Kind; id: string; old: Meta | undefined }[] = [];
    try {
      const result = fn(this.#writeTx(changes, undo));
      if (result instanceof Promise) throw new Error('store: update function must be synchronous');
      if (changes.length > 0) this.#commit(changes);
      return result;
    } catch (err) {
      for (let i = undo.length - 1; i >= 0; i--) {
        const u = undo[i]!;
        const table = this.#tables[u.kind] as unknown as Table<Meta>;
        if (u.old) table.put(u.old);
        else table.remove(u.id);
      }
      throw err;
    } finally {
      this.#inUpdate = false;
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

  close(): void {
    for (const w of [...this.#watchers]) w.close();
    this.#db.close();
  }

  #load(): void {
    const row = this.#db.prepare("SELECT value FROM meta WHERE key = 'index'").get() as { value: number } | undefined;
    this.#index = row?.value ?? 0;
    const rows = this.#db.prepare('SELECT kind, data FROM objects').all() as { kind: Kind; data: string }[];
    for (const r of rows) {
      const table = this.#tables[r.kind] as unknown as Table<Meta> | undefined;
      if (table) table.put(Object.freeze(JSON.parse(this.#atRest.open(r.kind, r.data)) as Meta));
    }
  }

  #commit(changes: Change[]): void {
    const index = this.#index + 1;
    const persist = this.#db.transaction(() => {
      for (const c of changes) {
        if (c.action === 'delete') this.#remove.run(c.kind, c.object.ID);
        else this.#upsert.run(c.kind, c.object.ID, this.#atRest.seal(c.kind, JSON.stringify(c.object)));
      }
      this.#setIndex.run(index);
    });
    persist();
    this.#index = index;
    const commit: Commit = { index, changes };
    for (const w of this.#watchers) w.push(commit);
  }

  #reader<K extends Kind>(kind: K): TableReader<Kinds[K]> {
    const table = this.#tables[kind];
    return {
      get: (id) => table.get(id),
      list: () => [...table.rows.values()],
      count: () => table.rows.size,
    };
  }

  #readTx(): ReadTx {
    const tasks = this.#tables.task;
    const pick = (ids: ReadonlySet<string>): Task[] => [...ids].map((id) => tasks.get(id)!);
    const named = <K extends NamedKind>(kind: K): NamedReader<Kinds[K]> => {
      const table = this.#tables[kind] as unknown as Table<Kinds[K]>;
      return {
        ...this.#reader(kind),
        byName: (name) => {
          const [id] = table.ids('name', name);
          return id === undefined ? undefined : table.get(id);
        },
      };
    };
    return {
      index: this.#index,
      nodes: this.#reader('node'),
      services: named('service'),
      secrets: named('secret'),
      configs: named('config'),
      networks: named('network'),
      registryUsers: named('registryUser'),
      registryProjects: named('registryProject'),
      registryRobots: named('registryRobot'),
      registryCredentials: named('registryCredential'),
      serviceRegistryAuths: this.#reader('serviceRegistryAuth'),
      registryEndpoints: named('registryEndpoint'),
      replicationPolicies: named('replicationPolicy'),
      replicationRuns: this.#reader('replicationRun'),
      registryWebhooks: this.#reader('registryWebhook'),
      clientCertificates: this.#reader('clientCertificate'),
      tasks: {
        ...this.#reader('task'),
        byService: (id) => pick(tasks.ids('service', id)),
        byNode: (id) => pick(tasks.ids('node', id)),
      },
      cluster: () => this.#tables.cluster.rows.values().next().value,
    };
  }

  #writeTx(changes: Change[], undo: { kind: Kind; id: string; old: Meta | undefined }[]): Tx {
    const read = this.#readTx();
    const pendingIndex = this.#index + 1;
    const writer = <K extends Kind>(kind: K): TableWriter<Kinds[K]> => {
      const table = this.#tables[kind] as unknown as Table<Kinds[K]>;
      const record = (action: Change['action'], object: Kinds[K], old: Kinds[K] | undefined): void => {
        undo.push({ kind, id: object.ID, old });
        changes.push({ kind, action, object, old } as Change);
      };
      return {
        ...this.#reader(kind),
        create: (obj) => {
          if (table.get(obj.ID)) throw new Error(`store: ${kind} ${obj.ID} already exists`);
          this.#checkName(kind, obj);
          const ts = now();
          const stored = Object.freeze({ ...obj, Version: { Index: pendingIndex }, CreatedAt: obj.CreatedAt || ts, UpdatedAt: ts }) as Kinds[K];
          table.put(stored);
          record('create', stored, undefined);
          return stored;
        },
        update: (obj) => {
          const old = table.get(obj.ID);
          if (!old) throw new NotFoundError(`${kind} ${obj.ID} not found`);
          if (obj.Version.Index !== old.Version.Index) {
            throw new VersionConflictError(
              `update out of sequence: ${kind} ${obj.ID} is at version ${old.Version.Index}, the update was made from version ${obj.Version.Index}; read it again and retry`,
            );
          }
          this.#checkName(kind, obj);
          const stored = Object.freeze({ ...obj, Version: { Index: pendingIndex }, UpdatedAt: now() }) as Kinds[K];
          table.put(stored);
          record('update', stored, old);
          return stored;
        },
        delete: (id) => {
          const old = table.remove(id);
          if (!old) return undefined;
          undo.push({ kind, id, old });
          changes.push({ kind, action: 'delete', object: old } as Change);
          return old;
        },
      };
    };
    return {
      ...read,
      index: pendingIndex,
      nodes: writer('node'),
      services: { ...read.services, ...writer('service') },
      tasks: { ...read.tasks, ...writer('task') },
      clusters: writer('cluster'),
      secrets: { ...read.secrets, ...writer('secret') },
      configs: { ...read.configs, ...writer('config') },
      networks: { ...read.networks, ...writer('network') },
      registryUsers: { ...read.registryUsers, ...writer('registryUser') },
      registryProjects: { ...read.registryProjects, ...writer('registryProject') },
      registryRobots: { ...read.registryRobots, ...writer('registryRobot') },
      registryCredentials: { ...read.registryCredentials, ...writer('registryCredential') },
      serviceRegistryAuths: writer('serviceRegistryAuth'),
      registryEndpoints: { ...read.registryEndpoints, ...writer('registryEndpoint') },
      replicationPolicies: { ...read.replicationPolicies, ...writer('replicationPolicy') },
      replicationRuns: writer('replicationRun'),
      registryWebhooks: writer('registryWebhook'),
      clientCertificates: writer('clientCertificate'),
    };
  }

  #checkName(kind: Kind, obj: Meta): void {
    if (!NAMED.has(kind)) return;
    const name = (obj as unknown as { Spec: { Name?: string } }).Spec.Name;
    if (!name) return;
    for (const id of (this.#tables[kind] as unknown as Table<Meta>).ids('name', name)) {
      if (id !== obj.ID) throw new NameConflictError(`${kind} ${name} already exists`);
    }
  }
}
