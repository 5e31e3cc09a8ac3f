// Copying one artifact between two registries: the manifest a tag names, recursively (an index's
// child manifests first, then each image's config and layers), skipping blobs the destination
// already has, then the manifest itself under the tag. Blobs stream from source to destination;
// a blob a run already sent to another repository of the destination is mounted from there.

import type { Manifest, RegistryClient } from '../../common/registry-client.js';

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

/** One artifact's copy: the two sides, and the destination repository each blob was last sent to in this run. */
export interface CopyJob {
  src: RegistryClient;
  srcRepo: string;
  dst: RegistryClient;
  dstRepo: string;
  sent: Map<string, string>;
}

/** copyArtifact copies `srcRepo:tag` to `dstRepo:tag` with everything it references. */
export async function copyArtifact(job: CopyJob, tag: string): Promise<CopyResult> {
  const top = await job.src.getManifest(job.srcRepo, tag);
  const existing = await job.dst.headManifest(job.dstRepo, tag);
  if (existing?.digest === top.digest) return { digest: top.digest, bytes: 0, upToDate: true };
  const bytes = await copyReferenced(job, top);
  await job.dst.putManifest(job.dstRepo, tag, top);
  return { digest: top.digest, bytes, upToDate: false };
}

/** copyReferenced puts on the destination what `manifest` references: child manifests (by digest) or blobs. */
async function copyReferenced(job: CopyJob, manifest: Manifest): Promise<number> {
  const doc = JSON.parse(manifest.content.toString('utf8')) as Doc;
  let bytes = 0;
  for (const child of doc.manifests ?? []) {
    if (await job.dst.headManifest(job.dstRepo, child.digest)) continue;
    const m = await job.src.getManifest(job.srcRepo, child.digest);
    bytes += await copyReferenced(job, m);
    await job.dst.putManifest(job.dstRepo, child.digest, m);
  }
  const blobs = [...(doc.config ? [doc.config] : []), ...(doc.layers ?? []).filter((l) => !FOREIGN_LAYER.test(l.mediaType ?? ''))];
  for (const blob of blobs) bytes += await copyBlob(job, blob.digest);
  return bytes;
}

async function copyBlob(job: CopyJob, digest: string): Promise<number> {
  if ((await job.dst.blobSize(job.dstRepo, digest)) !== undefined) return 0;
  const from = job.sent.get(digest);
  if (from && from !== job.dstRepo && (await job.dst.mountBlob(job.dstRepo, digest, from))) return 0;
  const { size, stream } = await job.src.getBlob(job.srcRepo, digest);
  try {
    await job.dst.pushBlob(job.dstRepo, digest, size, stream);
  } finally {
    stream.destroy();
  }
  job.sent.set(digest, job.dstRepo);
  return size;
}
