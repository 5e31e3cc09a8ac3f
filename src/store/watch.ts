// Watchers receive every committed change, in commit order.
// Delivery never blocks the committer: each watcher has its own unbounded queue.

import type { Kind, Kinds } from './kinds.js';

export type Action = 'create' | 'update' | 'delete';

/** One object change in a commit. For deletes `object` is the last stored value. */
export type Change = {
  [K in Kind]: { kind: K; action: Action; object: Kinds[K]; old?: Kinds[K] };
}[Kind];

export interface Commit {
  index: number;
  changes: Change[];
}

export class Watcher {
  readonly #queue: Commit[] = [];
  #wake: (() => void) | undefined;
  #closed = false;

  constructor(private readonly onClose: (w: Watcher) => void) {}

  /** push is called by the store after each commit. */
  push(commit: Commit): void {
    if (this.#closed) return;
    this.#queue.push(commit);
    this.#wake?.();
  }

  /** next resolves with the next commit, or undefined once the watcher is closed. */
  async next(): Promise<Commit | undefined> {
    while (this.#queue.length === 0) {
      if (this.#closed) return undefined;
      await new Promise<void>((resolve) => (this.#wake = resolve));
      this.#wake = undefined;
    }
    return this.#queue.shift();
  }

  /** drain returns every queued commit without waiting. */
  drain(): Commit[] {
    return this.#queue.splice(0);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.onClose(this);
    this.#wake?.();
  }
}
