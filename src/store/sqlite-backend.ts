// The default backend: one SQLite file (better-sqlite3), each commit one SQLite transaction,
// persisted (fsynced with synchronous=FULL) before write returns.

import Database from 'better-sqlite3';
import type { StoreBackend, StoredRow } from './backend.js';

export interface SqliteBackendOptions {
  /** SQLite file; ':memory:' keeps nothing after close. */
  path: string;
  /** FULL fsyncs every commit (survives power loss); NORMAL survives a process kill only. */
  synchronous: 'FULL' | 'NORMAL';
}

export class SqliteBackend implements StoreBackend {
  readonly failed = undefined;
  readonly #db: Database.Database;
  readonly #persist: (index: number, puts: StoredRow[], deletes: { kind: string; id: string }[]) => void;

  constructor(opts: SqliteBackendOptions) {
    this.#db = new Database(opts.path);
    this.#db.pragma('journal_mode = WAL');
    this.#db.pragma(`synchronous = ${opts.synchronous}`);
    this.#db.exec(`
      CREATE TABLE IF NOT EXISTS objects (kind TEXT NOT NULL, id TEXT NOT NULL, data TEXT NOT NULL, PRIMARY KEY (kind, id));
      CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
    `);
    const upsert = this.#db.prepare('INSERT OR REPLACE INTO objects (kind, id, data) VALUES (?, ?, ?)');
    const remove = this.#db.prepare('DELETE FROM objects WHERE kind = ? AND id = ?');
    const setIndex = this.#db.prepare("INSERT OR REPLACE INTO meta (key, value) VALUES ('index', ?)");
    this.#persist = this.#db.transaction((index: number, puts: StoredRow[], deletes: { kind: string; id: string }[]) => {
      for (const d of deletes) remove.run(d.kind, d.id);
      for (const p of puts) upsert.run(p.kind, p.id, p.data);
      setIndex.run(index);
    });
  }

  /** load reads in one SQLite transaction: a backup taken while the manager runs is one commit's state. */
  load(): { index: number; rows: StoredRow[] } {
    return this.#db.transaction(() => {
      const row = this.#db.prepare("SELECT value FROM meta WHERE key = 'index'").get() as { value: number } | undefined;
      const rows = this.#db.prepare('SELECT kind, id, data FROM objects').all() as StoredRow[];
      return { index: row?.value ?? 0, rows };
    })();
  }

  write(index: number, puts: StoredRow[], deletes: { kind: string; id: string }[]): void {
    this.#persist(index, puts, deletes);
  }

  durable(): Promise<void> {
    return Promise.resolve();
  }

  close(): Promise<void> {
    this.#db.close();
    return Promise.resolve();
  }
}
