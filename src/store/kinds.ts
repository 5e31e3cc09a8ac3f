// The kinds of object the store holds, registered by the code that owns them (as swarmkit's
// ObjectStoreConfig), so a subsystem adds a kind without editing the store and every backend
// serves every kind from the same definitions. A kind is declared twice, and the compiler keeps
// the two in step: its types by augmenting KindTypes, its runtime definition with defineKind.
//
//   declare module '../store/index.js' {
//     interface KindTypes { registryUser: { object: RegistryUser; accessor: 'registryUsers'; named: true } }
//   }
//   defineKind({ kind: 'registryUser', accessor: 'registryUsers', named: true, sealed: true });
//
// Definitions are fixed once a store is open: a kind registered later would be missing from it.

import type { Cluster, Meta } from '../types/index.js';

/**
 * Every kind by name: `object` its stored type, `accessor` its table's name on a transaction,
 * `named: true` when Spec.Name is unique within the kind (the table gets `byName`), `indexes`
 * the names of its secondary indexes (each a `by...` method listing the objects filed under a value).
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- filled by module augmentation (core-kinds.ts, subsystems' kinds.ts)
export interface KindTypes {}

export type Kind = keyof KindTypes;
/** The stored object type of each kind. */
export type Kinds = { [K in Kind]: KindTypes[K] extends { object: infer O extends Meta } ? O : never };
type Named<K extends Kind> = KindTypes[K] extends { named: true } ? true : false;
type IndexName<K extends Kind> = KindTypes[K] extends { indexes: infer I extends `by${string}` } ? I : never;
type Accessor<K extends Kind> = KindTypes[K] extends { accessor: infer A extends string } ? A : never;

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

/** A table whose objects have unique names (Spec.Name). */
export interface NamedReader<T> extends TableReader<T> {
  byName(name: string): T | undefined;
}

export type KindReader<K extends Kind> = (Named<K> extends true ? NamedReader<Kinds[K]> : TableReader<Kinds[K]>) & {
  [I in IndexName<K>]: (value: string) => Kinds[K][];
};
export type KindWriter<K extends Kind> = KindReader<K> & TableWriter<Kinds[K]>;

interface TxBase {
  /** The last commit's index; in an update, the index its commit will have. */
  readonly index: number;
  /** The cluster object (there is at most one). */
  cluster(): Cluster | undefined;
}
export type ReadTx = TxBase & { readonly [K in Kind as Accessor<K>]: KindReader<K> };
export type Tx = TxBase & { readonly [K in Kind as Accessor<K>]: KindWriter<K> };

export type IndexKey<T> = (obj: T) => string | undefined;

/** What a subsystem registers for a kind; its shape follows the kind's KindTypes entry. */
export type KindDefinition<K extends Kind> = {
  kind: K;
  accessor: Accessor<K>;
  /** Encrypt its rows at rest (store.key): for kinds that hold secrets, passwords or their hashes. */
  sealed?: boolean;
} & (Named<K> extends true ? { named: true } : { named?: false }) &
  ([IndexName<K>] extends [never] ? { indexes?: undefined } : { indexes: { [I in IndexName<K>]: IndexKey<Kinds[K]> } });

/** A definition as the store uses it, whatever its kind. */
export interface AnyKindDefinition {
  kind: string;
  accessor: string;
  named: boolean;
  sealed: boolean;
  indexes: Readonly<Record<string, IndexKey<Meta>>>;
}

const definitions = new Map<string, AnyKindDefinition>();
const accessors = new Map<string, string>();
let fixed = false;
// A transaction's own members, and the index that `named: true` gives.
const RESERVED_ACCESSORS = new Set(['index', 'cluster']);
const RESERVED_INDEXES = new Set(['byName']);

/**
 * defineKind registers a kind. Registering it again with the same definition is a no-op (a
 * module evaluated twice); with another, or after a store has opened, it throws.
 */
export function defineKind<K extends Kind>(definition: KindDefinition<K>): void {
  const def: AnyKindDefinition = {
    kind: definition.kind,
    accessor: definition.accessor,
    named: definition.named === true,
    sealed: definition.sealed === true,
    indexes: Object.freeze({ ...(definition.indexes as Record<string, IndexKey<Meta>> | undefined) }),
  };
  const known = definitions.get(def.kind);
  if (known) {
    if (!sameDefinition(known, def)) throw new Error(`store: kind ${def.kind} is already registered with another definition`);
    return;
  }
  if (RESERVED_ACCESSORS.has(def.accessor)) throw new Error(`store: kind ${def.kind} cannot use the accessor ${def.accessor}`);
  const owner = accessors.get(def.accessor);
  if (owner) throw new Error(`store: kind ${def.kind} takes the accessor ${def.accessor} of kind ${owner}`);
  for (const name of Object.keys(def.indexes)) {
    if (!/^by[A-Z]/.test(name) || RESERVED_INDEXES.has(name)) throw new Error(`store: kind ${def.kind}: index ${name} must be named by<Field>, and not byName (named: true gives byName)`);
  }
  if (fixed) throw new Error(`store: kind ${def.kind} was registered after a store opened; import its kinds module before the store is created`);
  definitions.set(def.kind, Object.freeze(def));
  accessors.set(def.accessor, def.kind);
}

/** openKinds returns every registered kind, for a store opening: from now on no kind can be added. */
export function openKinds(): readonly AnyKindDefinition[] {
  fixed = true;
  return [...definitions.values()];
}

// Index keys are compared by source: the same module evaluated twice makes new functions.
function sameDefinition(a: AnyKindDefinition, b: AnyKindDefinition): boolean {
  const ai = Object.entries(a.indexes);
  const bi = b.indexes;
  return (
    a.accessor === b.accessor &&
    a.named === b.named &&
    a.sealed === b.sealed &&
    ai.length === Object.keys(bi).length &&
    ai.every(([name, key]) => bi[name] !== undefined && String(bi[name]) === String(key))
  );
}
