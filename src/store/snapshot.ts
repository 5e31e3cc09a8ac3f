// A store's whole state as stored (sealed kinds stay sealed: a snapshot holds no secret in the
// clear, and is of use only with the cluster's store key), for `berth store backup|restore|migrate`:
// taken from one backend, written into another that holds nothing yet.

import { InvalidArgumentError } from '../types/index.js';
import type { StoreBackend, StoredRow } from './backend.js';

export const SNAPSHOT_FORMAT = 'berth-store/1';

export interface StoreSnapshot {
  format: typeof SNAPSHOT_FORMAT;
  /** The last commit the rows include. */
  index: number;
  rows: StoredRow[];
}

/** snapshotOf reads every row and the index, as of one commit. */
export function snapshotOf(backend: StoreBackend): StoreSnapshot {
  const { index, rows } = backend.load();
  return { format: SNAPSHOT_FORMAT, index, rows };
}

/** parseSnapshot checks a snapshot read from a file; `source` names it in errors. */
export function parseSnapshot(text: string, source: string): StoreSnapshot {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (err) {
    throw new InvalidArgumentError(`${source} is not a Berth store backup: ${(err as Error).message}`);
  }
  const s = v as Partial<StoreSnapshot>;
  if (s?.format !== SNAPSHOT_FORMAT) throw new InvalidArgumentError(`${source} is not a Berth store backup (format ${JSON.stringify(s?.format)}, expected ${SNAPSHOT_FORMAT})`);
  if (!Number.isSafeInteger(s.index) || (s.index as number) < 0 || !Array.isArray(s.rows)) throw new InvalidArgumentError(`${source}: index and rows are missing or malformed`);
  for (const [i, r] of s.rows.entries()) {
    if (typeof r?.kind !== 'string' || typeof r.id !== 'string' || typeof r.data !== 'string' || !/^[A-Za-z]+$/.test(r.kind) || r.id.length === 0) {
      throw new InvalidArgumentError(`${source}: rows[${i}] is not a stored object (kind, id, data)`);
    }
  }
  return s as StoreSnapshot;
}

/**
 * restoreInto writes the snapshot into a backend that holds no cluster yet, as one commit at the
 * snapshot's index, and resolves once it is durable. A target that holds one is refused: restore
 * into an empty data directory or etcd prefix.
 */
export async function restoreInto(target: StoreBackend, snapshot: StoreSnapshot, targetName: string): Promise<void> {
  const existing = target.load();
  if (existing.index > 0 || existing.rows.length > 0) {
    throw new InvalidArgumentError(`${targetName} already holds a cluster (${existing.rows.length} objects, commit ${existing.index}): restore into an empty data directory or etcd prefix`);
  }
  target.write(snapshot.index, snapshot.rows, []);
  await target.durable(snapshot.index);
}
