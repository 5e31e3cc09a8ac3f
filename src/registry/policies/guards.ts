// The seam for policies that may refuse a change before it happens: quotas (a push that would
// exceed the project's quota), tag immutability (a push that would move a protected tag, a delete
// that would remove one). A guard throws a RegistryError (DENIED, with a message that names the
// rule and the fix) to refuse; nothing of the change has been written yet when it is asked.

import type { Digest } from '../distribution/names.js';

export interface ManifestPutIntent {
  repository: string;
  /** The tag being set, if pushed by tag. */
  tag?: string;
  /** The digest the tag points at now, if it exists (so the push would move it). */
  currentTagDigest?: string;
  digest: Digest;
  /** The manifest's own size in bytes. */
  size: number;
  /** Blobs the manifest references (config and layers) with their sizes. */
  blobs: { digest: Digest; size: number }[];
}

export interface BlobCommitIntent {
  repository: string;
  digest: Digest;
  size: number;
  /** Set for a cross-repository mount. */
  from?: string;
}

export interface DeleteIntent {
  repository: string;
  /** Tags the delete would remove. */
  tags: string[];
  /** The manifest the delete would remove (deletes by digest only). */
  digest?: Digest;
}

export interface RegistryGuard {
  manifestPut?(intent: ManifestPutIntent): Promise<void>;
  blobCommit?(intent: BlobCommitIntent): Promise<void>;
  delete?(intent: DeleteIntent): Promise<void>;
}

/** Guards asks every guard in order; the first refusal wins. */
export class Guards {
  constructor(private readonly list: readonly RegistryGuard[] = []) {}

  async manifestPut(intent: ManifestPutIntent): Promise<void> {
    for (const g of this.list) await g.manifestPut?.(intent);
  }

  async blobCommit(intent: BlobCommitIntent): Promise<void> {
    for (const g of this.list) await g.blobCommit?.(intent);
  }

  async delete(intent: DeleteIntent): Promise<void> {
    for (const g of this.list) await g.delete?.(intent);
  }
}
