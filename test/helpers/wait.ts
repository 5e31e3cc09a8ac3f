import type { ReadTx, Store } from '../../src/store/index.js';

/** waitFor polls the store until check returns a truthy value, or fails after timeoutMs. */
export async function waitFor<T>(store: Store, check: (tx: ReadTx) => T | undefined | false, timeoutMs = 5000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = store.view(check);
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** until polls an async or sync predicate. */
export async function until<T>(check: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 10000, what = 'condition', everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
