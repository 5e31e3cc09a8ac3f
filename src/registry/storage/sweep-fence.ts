// What keeps the online garbage collector and pushes from deleting under each other, within the
// one registry process that owns a data dir. Pushes record every digest they are about to rely on
// (a manifest's references before they are checked, a blob before it is linked); the collector
// deletes a digest only if nothing used it within the grace period, and while it deletes one, a
// push relying on that digest waits and then sees it gone (so it answers "blob unknown" instead of
// linking content that is about to vanish). Upload sessions are held the same way: by the request
// writing to one, or by the collector removing it.

import type { Digest } from '../distribution/names.js';

/** Uses between two prunings of old ones, so memory stays bounded even if the collector never runs. */
const PRUNE_EVERY = 1024;

export class SweepFence {
  /** When each digest was last relied on (ms since the epoch). */
  readonly #lastUse = new Map<string, number>();
  readonly #deleting = new Map<string, Promise<void>>();
  readonly #heldUploads = new Set<string>();
  /** Uses older than this no sweep looks at: the collector's grace period. */
  #retainMs = 60 * 60 * 1000;
  /** While a run is going, the oldest use its sweep looks at. */
  #sweepFrom: number | undefined;
  #uses = 0;

  /** retainFor sets how long uses matter: the collector's grace period. */
  retainFor(ms: number): void {
    this.#retainMs = ms;
  }

  /** use records that a push relies on these digests now, after waiting out their deletion in progress. */
  async use(digests: readonly (Digest | string)[]): Promise<void> {
    const now = Date.now();
    const texts = digests.map((d) => (typeof d === 'string' ? d : d.text));
    for (const text of texts) this.#lastUse.set(text, now);
    if (++this.#uses % PRUNE_EVERY === 0) this.forget(Math.min(now - this.#retainMs, this.#sweepFrom ?? Infinity));
    await Promise.all(texts.map((text) => this.#deleting.get(text)));
  }

  /** beginSweep marks a collector run that skips uses at or after `since`; older ones are dropped. */
  beginSweep(since: number): void {
    this.#sweepFrom = since;
    this.forget(since);
  }

  endSweep(): void {
    this.#sweepFrom = undefined;
  }

  /** usedSince says whether a push relied on the digest at or after `since` (what a dry run would skip). */
  usedSince(digest: string, since: number): boolean {
    return (this.#lastUse.get(digest) ?? -Infinity) >= since;
  }

  /**
   * deleteUnused runs `remove` unless the digest was used at or after `since`; pushes that rely on
   * the digest meanwhile wait for it. Resolves with whether it ran and deleted (what `remove` says).
   */
  async deleteUnused(digest: string, since: number, remove: () => Promise<boolean>): Promise<boolean> {
    // Check and claim with no await in between, so no use() can slip between them.
    if (this.usedSince(digest, since) || this.#deleting.has(digest)) return false;
    const done = remove();
    const settled = done.then(
      () => undefined,
      () => undefined,
    );
    this.#deleting.set(digest, settled);
    try {
      return await done;
    } finally {
      this.#deleting.delete(digest);
    }
  }

  /** forget drops uses older than `before`. */
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
