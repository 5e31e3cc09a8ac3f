// The loop both orchestrators share: services are marked dirty by changes to themselves, their
// tasks or any node; each pass reconciles every dirty service in one transaction (a failing
// service is logged and retried without holding up the rest), promotes held starts that are
// due, and only then updates in-memory restart history.

import type { Logger } from '../common/log.js';
import { driveLoop, type Commit, type ReadTx, type Store, type Tx } from '../store/index.js';
import type { Task } from '../types/index.js';
import { HeldStarts } from './delayed.js';
import { RestartSupervisor } from './restart.js';
import { Updater } from './updater.js';

export abstract class ServiceOrchestrator {
  protected readonly restarts = new RestartSupervisor();
  protected readonly updater = new Updater();
  readonly #dirty = new Set<string>();
  readonly #waiting = new Map<string, number>();
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

  /** reconcileService converges one service; it reports the ended tasks it restarted and when to be called again. */
  protected abstract reconcileService(tx: Tx, serviceId: string, restarted: Task[]): number | undefined;

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
        if (c.action !== 'delete' && this.owns(c.object)) this.updater.observe(c.object);
      } else if (c.kind === 'node') this.#allDirty = true;
    }
  }

  reconcile(): number | undefined {
    const restarted: Task[] = [];
    const nowMs = Date.now();
    // Services waiting out an update delay or monitor period are looked at again when it ends.
    for (const [id, at] of this.#waiting) {
      if (at > nowMs) continue;
      this.#dirty.add(id);
      this.#waiting.delete(id);
    }
    this.store.update((tx) => {
      if (this.#allDirty) for (const s of tx.services.list()) this.#dirty.add(s.ID);
      for (const id of this.#dirty) {
        try {
          const at = this.reconcileService(tx, id, restarted);
          if (at !== undefined) this.#waiting.set(id, at);
        } catch (err) {
          this.log.error({ err, service: id }, 'reconciling service failed');
        }
      }
      this.#held.promoteDue(tx);
    });
    for (const t of restarted) this.restarts.record(t);
    this.#dirty.clear();
    this.#allDirty = false;
    let wake = this.#held.nextWake();
    for (const at of this.#waiting.values()) if (wake === undefined || at < wake) wake = at;
    return wake;
  }
}
