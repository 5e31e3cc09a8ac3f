// The leader keeps the audit log within its retention: entries older than the retention period
// go, and beyond MAX_ENTRIES the oldest go first (the store holds the whole log in memory on
// every manager). Deleted a batch per commit, so that one pass never makes an oversized commit.

import type { Logger } from '../common/log.js';
import { driveLoop, type Commit, type ReadTx, type Store } from '../store/index.js';

/** Swarm has no audit log; Kubernetes' default --audit-log-maxage is 0 (keep all), Harbor keeps its logs until purged. 30 days. */
export const DEFAULT_AUDIT_RETENTION_MS = 30 * 24 * 3600 * 1000;
export const MAX_ENTRIES = 100_000;
const BATCH = 1_000;
const PERIOD_MS = 60_000;

export class AuditRetention {
  #count = 0;

  constructor(
    private readonly store: Store,
    private readonly retentionMs: number,
    private readonly log: Logger,
    private readonly maxEntries = MAX_ENTRIES,
  ) {}

  run(signal: AbortSignal): Promise<void> {
    return driveLoop(this.store, signal, this, { debounceMs: 1_000, onError: (err) => this.log.error({ err }, 'pruning the audit log failed') });
  }

  init(tx: ReadTx): void {
    this.#count = tx.auditEntries.count();
  }

  observe(commit: Commit): void {
    for (const c of commit.changes) if (c.kind === 'auditEntry') this.#count += c.action === 'create' ? 1 : c.action === 'delete' ? -1 : 0;
  }

  reconcile(): number | undefined {
    const cutoff = new Date(Date.now() - this.retentionMs).toISOString();
    const doomed = this.store.view((tx) => {
      const all = tx.auditEntries.list().sort((a, b) => a.Time.localeCompare(b.Time));
      const excess = Math.max(0, all.length - this.maxEntries);
      return all.filter((e, i) => i < excess || e.Time < cutoff).slice(0, BATCH).map((e) => e.ID);
    });
    if (doomed.length === 0) return Date.now() + PERIOD_MS;
    this.store.update((tx) => {
      for (const id of doomed) tx.auditEntries.delete(id);
    });
    // More may be due: go on at once.
    return Date.now();
  }
}
