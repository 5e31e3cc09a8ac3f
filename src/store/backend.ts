// Where the store's commits are kept. The store holds every object in memory and runs its
// transactions there; a backend only loads the rows at start and persists each commit, in
// order. SQLite (the default, one manager) persists before `write` returns; etcd (several
// managers) persists in the background, and `durable` tells when a commit has reached it.

/** One stored object: its kind, ID and JSON, already sealed when its kind is (at-rest.ts). */
export interface StoredRow {
  kind: string;
  id: string;
  data: string;
}

export interface StoreBackend {
  /** The index of the last commit persisted and every row, read once when the store opens. */
  load(): { index: number; rows: StoredRow[] };
  /** write persists one commit (rows to put, rows to delete) as commit number `index`, after every earlier one. */
  write(index: number, puts: StoredRow[], deletes: { kind: string; id: string }[]): void;
  /**
   * durable resolves once every commit up to `index` is persisted; it rejects when they never
   * will be (the backend failed for good: see `failed`).
   */
  durable(index: number): Promise<void>;
  /**
   * follow hands the store every commit another writer makes after the loaded rows, in order,
   * each whole (etcd: a manager following the leader); SQLite has no other writer.
   */
  follow?(apply: (commit: ForeignCommit) => void): void;
  /**
   * abandon stops taking commits (a leader that lost the lead): those not yet persisted are
   * dropped, and the index of the last persisted one is returned.
   */
  abandon?(reason: string): number;
  /** Why the backend takes no commits for now (a manager that follows the leader); undefined while it does. */
  readonly readOnly?: string;
  /** Why the backend can take no more commits; undefined while it can. */
  readonly failed: Error | undefined;
  close(): Promise<void>;
}

/** A commit another writer made: the rows it put and deleted, and its index. */
export interface ForeignCommit {
  index: number;
  puts: StoredRow[];
  deletes: { kind: string; id: string }[];
}
