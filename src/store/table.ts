// One in-memory table: objects by ID plus secondary indexes kept in step on every write.

import type { Meta } from '../types/index.js';
import type { IndexKey } from './kinds.js';

export class Table<T extends Meta> {
  readonly rows = new Map<string, T>();
  readonly #indexes = new Map<string, { key: IndexKey<T>; map: Map<string, Set<string>> }>();

  constructor(indexes: Record<string, IndexKey<T>>) {
    for (const [name, key] of Object.entries(indexes)) this.#indexes.set(name, { key, map: new Map() });
  }

  get(id: string): T | undefined {
    return this.rows.get(id);
  }

  /** put inserts or replaces the row with obj.ID and moves its index entries. */
  put(obj: T): T | undefined {
    const old = this.rows.get(obj.ID);
    if (old) this.#unindex(old);
    this.rows.set(obj.ID, obj);
    this.#index(obj);
    return old;
  }

  remove(id: string): T | undefined {
    const old = this.rows.get(id);
    if (!old) return undefined;
    this.#unindex(old);
    this.rows.delete(id);
    return old;
  }

  /** ids returns the IDs filed under `value` in index `name` (empty when none). */
  ids(name: string, value: string): ReadonlySet<string> {
    const idx = this.#indexes.get(name);
    if (!idx) throw new Error(`store: no index ${name}`);
    return idx.map.get(value) ?? EMPTY;
  }

  #index(obj: T): void {
    for (const { key, map } of this.#indexes.values()) {
      const k = key(obj);
      if (k === undefined) continue;
      let set = map.get(k);
      if (!set) map.set(k, (set = new Set()));
      set.add(obj.ID);
    }
  }

  #unindex(obj: T): void {
    for (const { key, map } of this.#indexes.values()) {
      const k = key(obj);
      if (k === undefined) continue;
      const set = map.get(k);
      set?.delete(obj.ID);
      if (set && set.size === 0) map.delete(k);
    }
  }
}

const EMPTY: ReadonlySet<string> = new Set();
