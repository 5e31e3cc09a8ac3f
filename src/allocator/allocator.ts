// The allocator moves new tasks to pending once the resources they need outside any node are
// allocated. Today that is nothing (networks join in a later issue), so every new task passes
// straight on; keeping the stage keeps Swarm's state order and one owner per transition.

import type { Logger } from '../common/log.js';
import { silentLogger } from '../common/log.js';
import { now } from '../common/time.js';
import { driveLoop, type Commit, type ReadTx, type Store } from '../store/index.js';

export class Allocator {
  readonly #fresh = new Set<string>();

  constructor(
    private readonly store: Store,
    private readonly log: Logger = silentLogger(),
  ) {}

  run(signal: AbortSignal): Promise<void> {
    return driveLoop(this.store, signal, this, { onError: (err) => this.log.error({ err }, 'allocator pass failed') });
  }

  init(tx: ReadTx): void {
    for (const t of tx.tasks.list()) if (t.Status.State === 'new') this.#fresh.add(t.ID);
  }

  observe(commit: Commit): void {
    for (const c of commit.changes) {
      if (c.kind !== 'task') continue;
      if (c.action !== 'delete' && c.object.Status.State === 'new') this.#fresh.add(c.object.ID);
      else this.#fresh.delete(c.object.ID);
    }
  }

  reconcile(): undefined {
    if (this.#fresh.size === 0) return;
    this.store.update((tx) => {
      for (const id of this.#fresh) {
        const t = tx.tasks.get(id);
        if (!t || t.Status.State !== 'new') continue;
        tx.tasks.update({ ...t, Status: { ...t.Status, State: 'pending', Message: 'pending task scheduling', Timestamp: now() } });
      }
    });
    this.#fresh.clear();
  }
}
