// What keeps the online garbage collector and pushes from deleting under each other, within the
// one registry process that owns a data dir. Pushes record every digest they are about to rely on
// (a manifest's references before they are checked, a blob before it is linked); the collector
// deletes a digest only if nothing used it within the grace period, and while it deletes one, a
// push relying on that digest waits and then sees it gone (so it answers "blob unknown" instead of
// linking content that is about to vanish). Upload sessions are held the same way: by the request
// writing to one, or by the collector removing it.

import type { Digest } from './names.js';

export class SweepFence {
  /** When each digest was last relied on (ms since the epoch). */
  readonly #lastUse = new Map<string, number>();
  readonly #deleting = new Map<string, Promise<void>>();
  readonly #heldUploads = new Set<string>();

  /** use records that a push relies on these digests now, after waiting out their deletion in progress. */
  async use(digests: readonly (Digest | string)[]): Promise<void> {
    const now = Date.now();
    const texts = digests.map((d) => (typeof d === 'string' ? d : d.text));
    for (const text of texts) this.#lastUse.set(text, now);
    await Promise.all(texts.map((text) => this.#deleting.get(text)));
  }

  /** usedSince says whether a push relied on the digest at or after `since` (what a dry run would skip). */
  usedSince(digest: string, since: number): boolean {
    return (this.#lastUse.get(digest) ?? -Infinity) >= since;
  }

  /**
   * deleteUnused runs `remove` unless the digest was used at or after `since`; pushes that rely on
   * the digest meanwhile wait for it. Resolves with whether it ran.
   */
  async deleteUnused(digest: string, since: number, remove: () => Promise<void>): Promise<boolean> {
    // Check and claim with no await in between, so no use() can slip between them.
    if (this.usedSince(digest, since) || this.#deleting.has(digest)) return false;
    const done = remove();
    const settled = done.then(
      () => undefined,
      () => undefined,
    );
    this.#deleting.set(digest, settled);
    try {
      await done;
    } finally {
      this.#deleting.delete(digest);
    }
    return true;
  }

  /** forget drops uses older than `before`, which no sweep looks at any more. */
  forget(before: number): void {
    for (const [digest, at] of this.#lastUse) if (at < before) this.#lastUse.delete(digest);
  }

  /** holdUpload claims an upload session; false if someone else holds it. */
  holdUpload(id: string): boolean {
    if (this.#heldUploads.has(id)) return false;
    this.#heldUploads.add(id);
    return true;
  }

  releaseUpload(id: string): void {
    this.#heldUploads.delete(id);
  }
}
