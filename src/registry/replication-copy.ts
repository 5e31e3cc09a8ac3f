// Copying one artifact between two registries: the manifest a tag names, recursively (an index's
// child manifests first, then each image's config and layers), skipping blobs the destination
// already has, then the manifest itself under the tag. Blobs stream from source to destination.

import type { Manifest, RegistryClient } from '../common/registry-client.js';

/** Layers registries do not hold (their descriptors point elsewhere). */
const FOREIGN_LAYER = /nondistributable|\.foreign\./;

interface Doc {
  config?: { digest: string; size: number };
  layers?: Array<{ digest: string; size: number; mediaType?: string }>;
  manifests?: Array<{ digest: string }>;
}

export interface CopyResult {
  digest: string;
  /** Blob bytes sent; blobs the destination had cost nothing. */
  bytes: number;
  /** True when the destination already had this exact manifest under the tag. */
  upToDate: boolean;
}

/** copyArtifact copies `srcRepo:tag` to `dstRepo:tag` with everything it references. */
export async function copyArtifact(src: RegistryClient, srcRepo: string, dst: RegistryClient, dstRepo: string, tag: string): Promise<CopyResult> {
  const top = await src.getManifest(srcRepo, tag);
  const existing = await dst.headManifest(dstRepo, tag);
  if (existing?.digest === top.digest) return { digest: top.digest, bytes: 0, upToDate: true };
  const bytes = await copyReferenced(src, srcRepo, dst, dstRepo, top);
  await dst.putManifest(dstRepo, tag, top);
  return { digest: top.digest, bytes, upToDate: false };
}

/** copyReferenced puts on the destination what `manifest` references: child manifests (by digest) or blobs. */
async function copyReferenced(src: RegistryClient, srcRepo: string, dst: RegistryClient, dstRepo: string, manifest: Manifest): Promise<number> {
  const doc = JSON.parse(manifest.content.toString('utf8')) as Doc;
  let bytes = 0;
  for (const child of doc.manifests ?? []) {
    if (await dst.headManifest(dstRepo, child.digest)) continue;
    const m = await src.getManifest(srcRepo, child.digest);
    bytes += await copyReferenced(src, srcRepo, dst, dstRepo, m);
    await dst.putManifest(dstRepo, child.digest, m);
  }
  const blobs = [...(doc.config ? [doc.config] : []), ...(doc.layers ?? []).filter((l) => !FOREIGN_LAYER.test(l.mediaType ?? ''))];
  for (const blob of blobs) bytes += await copyBlob(src, srcRepo, dst, dstRepo, blob.digest);
  return bytes;
}

async function copyBlob(src: RegistryClient, srcRepo: string, dst: RegistryClient, dstRepo: string, digest: string): Promise<number> {
  if ((await dst.blobSize(dstRepo, digest)) !== undefined) return 0;
  const { size, stream } = await src.getBlob(srcRepo, digest);
  try {
    await dst.pushBlob(dstRepo, digest, size, stream);
  } finally {
    stream.destroy();
  }
  return size;
}
