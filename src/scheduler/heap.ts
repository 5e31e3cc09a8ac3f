// A binary min-heap over an array the heap takes ownership of. Placement only ever changes the
// key of the top item (the node or branch it just used), so fixTop is the one update it needs.

export class MinHeap<T> {
  readonly #items: T[];
  readonly #less: (a: T, b: T) => boolean;

  /** The heap reorders `items` in place (O(n)); the caller must not use the array afterwards. */
  constructor(items: T[], less: (a: T, b: T) => boolean) {
    this.#items = items;
    this.#less = less;
    for (let i = (items.length >> 1) - 1; i >= 0; i--) this.#down(i);
  }

  get size(): number {
    return this.#items.length;
  }

  peek(): T | undefined {
    return this.#items[0];
  }

  pop(): T | undefined {
    const items = this.#items;
    const top = items[0];
    const last = items.pop();
    if (items.length > 0 && last !== undefined) {
      items[0] = last;
      this.#down(0);
    }
    return top;
  }

  /** fixTop restores heap order after the top item's key grew. */
  fixTop(): void {
    this.#down(0);
  }

  #down(i: number): void {
    const items = this.#items;
    const n = items.length;
    const item = items[i]!;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && this.#less(items[r]!, items[l]!) ? r : l;
      if (!this.#less(items[c]!, item)) break;
      items[i] = items[c]!;
      i = c;
    }
    items[i] = item;
  }
}
