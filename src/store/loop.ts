// The driver every manager loop shares: subscribe and snapshot at once, fold each commit into
// the loop's own dirty set, then reconcile — debounced, so a burst of commits costs one pass.
// A loop may also ask to be woken at a time (restart delays, heartbeat expiry).

import type { ReadTx } from './kinds.js';
import type { Store } from './store.js';
import type { Commit } from './watch.js';

export interface ReconcileLoop {
  /** init sees the snapshot taken at the instant the watch began (again after an observe error: it must be repeatable). */
  init(tx: ReadTx): void;
  /** observe folds one commit into the loop's dirty state; it must not write. */
  observe(commit: Commit): void;
  /** reconcile acts on the dirty state; it returns the time (ms epoch) to be woken next, if any. */
  reconcile(): number | undefined;
}

export interface DriveOptions {
  /** Quiet gap to wait for more commits before reconciling. */
  debounceMs?: number;
  /** Longest a reconcile may be postponed by a stream of commits. */
  maxLatencyMs?: number;
  onError?: (err: unknown) => void;
}

/** driveLoop runs `loop` against `store` until `signal` aborts. */
export async function driveLoop(store: Store, signal: AbortSignal, loop: ReconcileLoop, opts: DriveOptions = {}): Promise<void> {
  const debounce = opts.debounceMs ?? 0;
  const maxLatency = opts.maxLatencyMs ?? 1000;
  const [, watcher] = store.viewAndWatch((tx) => loop.init(tx));
  const aborted = new Promise<'abort'>((resolve) => {
    if (signal.aborted) resolve('abort');
    signal.addEventListener('abort', () => resolve('abort'), { once: true });
  });
  // A loop that failed to fold a commit rebuilds its state from a fresh snapshot.
  const observe = (c: Commit): void => {
    try {
      loop.observe(c);
    } catch (err) {
      opts.onError?.(err);
      store.view((tx) => loop.init(tx));
    }
  };
  const safeReconcile = (): number | undefined => {
    try {
      return loop.reconcile();
    } catch (err) {
      opts.onError?.(err);
      return Date.now() + 1000; // retry the whole pass soon; reconcile is idempotent
    }
  };
  let wakeAt = safeReconcile();
  // One pending next() at a time: a timer winning the race must not lose the commit it awaits.
  let nextCommit = watcher.next();
  try {
    while (!signal.aborted) {
      const timeout = wakeAt === undefined ? undefined : Math.max(0, wakeAt - Date.now());
      const first = await race(nextCommit, aborted, timeout);
      if (first === 'abort') break;
      if (first !== 'timeout') {
        if (first === undefined) break; // watcher closed: the store is closing
        nextCommit = watcher.next();
        observe(first);
        // Debounce: keep folding commits while they arrive within the gap, up to maxLatency.
        const deadline = Date.now() + maxLatency;
        for (;;) {
          for (const c of watcher.drain()) observe(c);
          if (debounce === 0 || Date.now() >= deadline) break;
          const more = await race(nextCommit, aborted, Math.min(debounce, deadline - Date.now()));
          if (more === 'abort' || more === 'timeout' || more === undefined) break;
          nextCommit = watcher.next();
          observe(more);
        }
      }
      if (signal.aborted) break;
      wakeAt = safeReconcile();
    }
  } finally {
    watcher.close();
  }
}

/** Node turns longer timer delays into 1 ms; a far-off wake-up is simply re-armed. */
const MAX_TIMER_MS = 2 ** 31 - 1;

async function race<T>(p: Promise<T>, aborted: Promise<'abort'>, timeoutMs: number | undefined): Promise<T | 'abort' | 'timeout'> {
  if (timeoutMs === undefined) return Promise.race([p, aborted]);
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), Math.min(timeoutMs, MAX_TIMER_MS))));
  try {
    return await Promise.race([p, aborted, t]);
  } finally {
    clearTimeout(timer);
  }
}
