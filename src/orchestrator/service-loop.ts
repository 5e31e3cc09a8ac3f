// The loop both orchestrators share: services are marked dirty by changes to themselves, their
// tasks or any node; each pass reconciles every dirty service in one transaction (a failing
// service is logged and retried without holding up the rest), promotes held starts that are
// due, and only then updates in-memory restart history.

import type { Logger } from '../common/log.js';
import { driveLoop, type Commit, type ReadTx, type Store, type Tx } from '../store/index.js';
import type { Task } from '../types/index.js';
import { HeldStarts } from './delayed.js';
import { RestartSupervisor } from './restart.js';

export abstract class ServiceOrchestrator {
  protected readonly restarts = new RestartSupervisor();
  readonly #dirty = new Set<string>();
  readonly #held: HeldStarts;
  #allDirty = false;

  constructor(
    protected readonly store: Store,
    protected readonly log: Logger,
    /** Which tasks this orchestrator owns (replicated: slot > 0; global: slot 0). */
    private readonly owns: (t: Task) => boolean,
  ) {
    this.#held = new HeldStarts(owns);
  }

  /** reconcileService converges one service; it reports the ended tasks it restarted. */
  protected abstract reconcileService(tx: Tx, serviceId: string, restarted: Task[]): void;

  run(signal: AbortSignal): Promise<void> {
    return driveLoop(this.store, signal, this, { debounceMs: 10, onError: (err) => this.log.error({ err }, 'orchestrator pass failed') });
  }

  init(tx: ReadTx): void {
    this.#allDirty = true;
    this.#held.init(tx.tasks.list());
  }

  observe(commit: Commit): void {
    for (const c of commit.changes) {
      if (c.kind === 'service') this.#dirty.add(c.object.ID);
      else if (c.kind === 'task') {
        if (this.owns(c.object)) this.#dirty.add(c.object.ServiceID);
        this.#held.observe(c.object, c.action);
      } else if (c.kind === 'node') this.#allDirty = true;
    }
  }

  reconcile(): number | undefined {
    const restarted: Task[] = [];
    this.store.update((tx) => {
      if (this.#allDirty) for (const s of tx.services.list()) this.#dirty.add(s.ID);
      for (const id of this.#dirty) {
        try {
          this.reconcileService(tx, id, restarted);
        } catch (err) {
          this.log.error({ err, service: id }, 'reconciling service failed');
        }
      }
      this.#held.promoteDue(tx);
    });
    for (const t of restarted) this.restarts.record(t);
    this.#dirty.clear();
    this.#allDirty = false;
    return this.#held.nextWake();
  }
}
