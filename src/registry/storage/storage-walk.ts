// Reading the whole of storage through the driver, for the garbage collector, quotas and metrics:
// which repositories exist, their manifests (and what each references), their blob links, and
// every stored blob. Only driver `list`, `stat` and `getContent`, so it works on an object store.

import { parseManifest } from '../distribution/manifests.js';
import { parseDigest, type Digest } from '../distribution/names.js';
import { BLOBS, paths, REPOSITORIES } from './paths.js';
import { PathNotFoundError, type StorageDriver } from './storage-driver.js';

/** What a stored manifest references, with its own size. */
export interface ManifestRefs {
  digest: Digest;
  size: number;
  /** Config and layers. */
  blobs: Digest[];
  /** An index's entries. */
  manifests: Digest[];
  mediaType: string;
  /** The manifest this one refers to (a signature's image, say). */
  subject?: Digest;
}

/** Thrown when a stored manifest cannot be read as one: the collector must not guess what it references. */
export class UnreadableManifestError extends Error {}

const digestOf = (algorithm: string, hex: string): Digest | undefined => {
  try {
    return parseDigest(`${algorithm}:${hex}`);
  } catch {
    return undefined; // not something the registry wrote
  }
};

/**
 * repositories yields every repository name under `under` (a name prefix such as "team", or ""
 * for all): a prefix holding `_manifests` or `_layers` is a repository, and other children are
 * searched for nested ones ("team/app", "team/app/dev").
 */
export async function* repositories(driver: StorageDriver, under = ''): AsyncGenerator<string> {
  const base = under === '' ? REPOSITORIES : paths.repository(under);
  const children = await driver.list(base);
  if (under !== '' && (children.includes('_manifests') || children.includes('_layers'))) yield under;
  for (const child of children) {
    if (child.startsWith('_')) continue;
    yield* repositories(driver, under === '' ? child : `${under}/${child}`);
  }
}

/** Lists the two-level `<alg>/<hex>` entries below a prefix as digests. */
async function digestsBelow(driver: StorageDriver, prefix: string): Promise<Digest[]> {
  const found: Digest[] = [];
  for (const algorithm of await driver.list(prefix)) {
    for (const hex of await driver.list(`${prefix}/${algorithm}`)) {
      const digest = digestOf(algorithm, hex);
      if (digest) found.push(digest);
    }
  }
  return found;
}

/** Digests of the manifests in a repository. */
export const manifestDigests = (driver: StorageDriver, repository: string): Promise<Digest[]> =>
  digestsBelow(driver, `${paths.manifestsDir(repository)}/revisions`);

/** Digests of the blobs linked into a repository. */
export const linkedBlobs = (driver: StorageDriver, repository: string): Promise<Digest[]> => digestsBelow(driver, paths.layersDir(repository));

/** Digests the repository's tags point at (a tag deleted while listing is skipped). */
export async function taggedDigests(driver: StorageDriver, repository: string): Promise<Set<string>> {
  const found = new Set<string>();
  for (const tag of await driver.list(paths.tags(repository))) {
    try {
      found.add((await driver.getContent(paths.tag(repository, tag))).toString());
    } catch (err) {
      if (!(err instanceof PathNotFoundError)) throw err;
    }
  }
  return found;
}

/**
 * manifestRefs reads a stored manifest and what it references; undefined if its revision or its
 * bytes are gone (deleted meanwhile).
 */
export async function manifestRefs(driver: StorageDriver, repository: string, digest: Digest): Promise<ManifestRefs | undefined> {
  let mediaType: string;
  let content: Buffer;
  try {
    mediaType = (JSON.parse((await driver.getContent(paths.revisionLink(repository, digest))).toString()) as { mediaType: string }).mediaType;
    content = await driver.getContent(paths.blobData(digest));
  } catch (err) {
    if (err instanceof PathNotFoundError) return undefined;
    throw err;
  }
  try {
    const parsed = parseManifest(content, mediaType);
    return { digest, size: content.length, blobs: parsed.blobs, manifests: parsed.manifests, mediaType, subject: parsed.subject };
  } catch (err) {
    throw new UnreadableManifestError(`manifest ${digest.text} in ${repository} cannot be read: ${(err as Error).message}`);
  }
}

/** blobs yields every stored blob (content) digest. */
export async function* storedBlobs(driver: StorageDriver): AsyncGenerator<Digest> {
  for (const algorithm of await driver.list(BLOBS)) {
    for (const shard of await driver.list(`${BLOBS}/${algorithm}`)) {
      for (const hex of await driver.list(`${BLOBS}/${algorithm}/${shard}`)) {
        const digest = digestOf(algorithm, hex);
        if (digest) yield digest;
      }
    }
  }
}
