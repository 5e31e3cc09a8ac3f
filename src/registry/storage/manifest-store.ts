// Manifests, tags and referrers of each repository. A manifest's bytes are content in the blob
// store; the repository holds a revision link (its media type and subject), tags pointing at
// digests, and for manifests with a subject a ready-made descriptor under the subject's referrers
// prefix, so listing referrers reads one prefix and never scans the repository.
//
// Each tag also leaves a hint under the revision it was set to, so deleting a manifest finds its
// tags without reading every tag of the repository; a hint is trusted only after reading the tag.

import { createHash } from 'node:crypto';
import { manifestUnknown, RegistryError, type ErrorEntry } from '../distribution/errors.js';
import type { BlobStore } from './blob-store.js';
import type { RegistryEvents } from '../events.js';
import { Guards } from '../policies/guards.js';
import { KeyedQueue } from './keyed-queue.js';
import { parseManifest, type Descriptor, type ParsedManifest } from '../distribution/manifests.js';
import { parseDigest, type Digest, type Reference } from '../distribution/names.js';
import { paths } from './paths.js';
import { projectOf } from '../admin/projects.js';
import { PathNotFoundError, type StorageDriver } from './storage-driver.js';
import { SweepFence } from './sweep-fence.js';

interface RevisionLink {
  mediaType: string;
  size: number;
  subject?: string;
}

export interface StoredManifest {
  digest: Digest;
  mediaType: string;
  content: Buffer;
}

export interface PushedManifest {
  digest: Digest;
  subject?: Digest;
}

export class ManifestStore {
  readonly #pushes = new KeyedQueue();

  constructor(
    private readonly driver: StorageDriver,
    private readonly blobs: BlobStore,
    private readonly events: RegistryEvents,
    private readonly guards: Guards = new Guards(),
    private readonly fence: SweepFence = new SweepFence(),
  ) {}

  async exists(repository: string): Promise<boolean> {
    const found = await Promise.all([this.driver.stat(paths.manifestsDir(repository)), this.driver.stat(paths.layersDir(repository))]);
    return found.some((s) => s !== undefined);
  }

  /** get resolves a tag or digest to the manifest's bytes and media type. */
  async get(repository: string, ref: Reference): Promise<StoredManifest> {
    const digest = ref.kind === 'digest' ? ref.digest : await this.#tagged(repository, ref.tag);
    const link = digest && (await this.#revision(repository, digest));
    if (!digest || !link) throw manifestUnknown(ref.kind === 'tag' ? ref.tag : ref.digest.text);
    try {
      return { digest, mediaType: link.mediaType, content: await this.blobs.getContent(digest) };
    } catch (err) {
      if (err instanceof PathNotFoundError) throw manifestUnknown(digest.text);
      throw err;
    }
  }

  /**
   * put stores a manifest (exact bytes) after checking it and everything it references. Manifest
   * pushes within a project go one at a time, so guards see what the push before did: a tag as it
   * left it (two first pushes to an immutable tag cannot both win), and the usage it added (two
   * pushes that each fit the quota cannot together exceed it). A manifest push takes milliseconds;
   * blobs, the bulk of a push, still go in parallel.
   */
  async put(repository: string, ref: Reference, content: Buffer, contentType: string | undefined): Promise<PushedManifest> {
    const parsed = parseManifest(content, contentType);
    return this.#pushes.run(projectOf(repository), () => this.#put(repository, ref, content, parsed));
  }

  async #put(repository: string, ref: Reference, content: Buffer, parsed: ParsedManifest): Promise<PushedManifest> {
    const algorithm = ref.kind === 'digest' ? ref.digest.algorithm : 'sha256';
    const digest = parseDigest(`${algorithm}:${createHash(algorithm).update(content).digest('hex')}`);
    if (ref.kind === 'digest' && ref.digest.text !== digest.text) {
      throw new RegistryError('DIGEST_INVALID', 400, `the manifest's digest is ${digest.text}, not ${ref.digest.text} as the URL says`, {
        expected: ref.digest.text,
        actual: digest.text,
      });
    }
    // Before the check, so the collector cannot remove what the check finds (or the manifest's own bytes).
    await this.fence.use([digest, ...parsed.blobs, ...parsed.manifests]);
    const blobSizes = await this.#checkReferences(repository, parsed.blobs, parsed.manifests);
    await this.guards.manifestPut({
      repository,
      tag: ref.kind === 'tag' ? ref.tag : undefined,
      currentTagDigest: ref.kind === 'tag' ? (await this.#tagged(repository, ref.tag))?.text : undefined,
      digest,
      size: content.length,
      blobs: parsed.blobs.map((d, i) => ({ digest: d, size: blobSizes[i]! })),
    });

    await this.blobs.putContent(digest, content);
    const link: RevisionLink = { mediaType: parsed.mediaType, size: content.length, subject: parsed.subject?.text };
    await this.driver.putContent(paths.revisionLink(repository, digest), Buffer.from(JSON.stringify(link)));
    if (parsed.subject) {
      const entry: Descriptor = { mediaType: parsed.mediaType, digest: digest.text, size: content.length };
      if (parsed.artifactType) entry.artifactType = parsed.artifactType;
      if (parsed.annotations) entry.annotations = parsed.annotations;
      await this.driver.putContent(paths.referrer(repository, parsed.subject, digest), Buffer.from(JSON.stringify(entry)));
    }
    if (ref.kind === 'tag') await this.#setTag(repository, ref.tag, digest);
    this.events.emit({
      action: 'push',
      target: 'manifest',
      repository,
      digest: digest.text,
      tag: ref.kind === 'tag' ? ref.tag : undefined,
      size: content.length,
      mediaType: parsed.mediaType,
    });
    return { digest, subject: parsed.subject };
  }

  /** deleteManifest removes a manifest from the repository, with its tags and its referrers entry. */
  async deleteManifest(repository: string, digest: Digest): Promise<void> {
    const link = await this.#revision(repository, digest);
    if (!link) throw manifestUnknown(digest.text);
    const tags: string[] = [];
    for (const tag of await this.driver.list(paths.revisionTags(repository, digest))) {
      if ((await this.#tagged(repository, tag))?.text === digest.text) tags.push(tag);
    }
    await this.guards.delete({ repository, tags, digest });
    await removeRevision(this.driver, repository, digest, link.subject, tags);
    this.events.emit({ action: 'delete', target: 'manifest', repository, digest: digest.text, mediaType: link.mediaType });
  }

  /**
   * deleteTag removes a tag; the manifest stays, reachable by digest. With `expected`, only while
   * the tag still points at that digest (retention must not delete a tag pushed again since it planned).
   */
  async deleteTag(repository: string, tag: string, expected?: string): Promise<void> {
    const digest = await this.#tagged(repository, tag);
    if (!digest || (expected !== undefined && digest.text !== expected)) throw manifestUnknown(tag);
    await this.guards.delete({ repository, tags: [tag] });
    await this.driver.delete(paths.tag(repository, tag));
    await this.driver.delete(paths.revisionTag(repository, digest, tag));
    this.events.emit({ action: 'delete', target: 'tag', repository, digest: digest.text, tag });
  }

  /** tags lists the repository's tags in lexical (case-insensitive) order, ties by code point. */
  async tags(repository: string): Promise<string[]> {
    return (await this.driver.list(paths.tags(repository))).sort(compareTags);
  }

  /** referrers lists the descriptors of manifests whose subject is `subject`. */
  async referrers(repository: string, subject: Digest): Promise<Descriptor[]> {
    const prefix = paths.referrers(repository, subject);
    const entries = await Promise.all(
      (await this.driver.list(prefix)).map(async (name) => {
        try {
          return JSON.parse((await this.driver.getContent(`${prefix}/${name}`)).toString()) as Descriptor;
        } catch (err) {
          if (err instanceof PathNotFoundError) return undefined; // deleted while listing
          throw err;
        }
      }),
    );
    return entries.filter((e): e is Descriptor => e !== undefined);
  }

  /** #checkReferences fails unless every referenced blob and manifest is in the repository; returns the blobs' sizes. */
  async #checkReferences(repository: string, blobs: Digest[], manifests: Digest[]): Promise<(number | undefined)[]> {
    const [blobSizes, revisions] = await Promise.all([
      Promise.all(blobs.map((d) => this.blobs.size(repository, d))),
      Promise.all(manifests.map((d) => this.#revision(repository, d))),
    ]);
    const missing = [
      ...blobs.filter((_, i) => blobSizes[i] === undefined).map((d) => blobUnknownInManifest(d, 'blob')),
      ...manifests.filter((_, i) => revisions[i] === undefined).map((d) => blobUnknownInManifest(d, 'manifest')),
    ];
    const [first, ...more] = missing;
    if (first) throw new RegistryError(first.code, 400, first.message, first.detail, more);
    return blobSizes;
  }

  async #setTag(repository: string, tag: string, digest: Digest): Promise<void> {
    const previous = await this.#tagged(repository, tag);
    await this.driver.putContent(paths.revisionTag(repository, digest, tag), Buffer.alloc(0));
    await this.driver.putContent(paths.tag(repository, tag), Buffer.from(digest.text));
    if (previous && previous.text !== digest.text) await this.driver.delete(paths.revisionTag(repository, previous, tag));
  }

  async #tagged(repository: string, tag: string): Promise<Digest | undefined> {
    try {
      return parseDigest((await this.driver.getContent(paths.tag(repository, tag))).toString());
    } catch (err) {
      if (err instanceof PathNotFoundError) return undefined;
      throw err;
    }
  }

  async #revision(repository: string, digest: Digest): Promise<RevisionLink | undefined> {
    try {
      return JSON.parse((await this.driver.getContent(paths.revisionLink(repository, digest))).toString()) as RevisionLink;
    } catch (err) {
      if (err instanceof PathNotFoundError) return undefined;
      throw err;
    }
  }
}

/**
 * removeRevision takes a manifest out of a repository: the tags given (those pointing at it), its
 * referrers entry, and its revision with the tag hints. Its bytes are left to the collector.
 */
export async function removeRevision(driver: StorageDriver, repository: string, digest: Digest, subject: string | undefined, tags: readonly string[]): Promise<void> {
  for (const tag of tags) await driver.delete(paths.tag(repository, tag));
  if (subject) await driver.delete(paths.referrer(repository, parseDigest(subject), digest));
  await driver.delete(paths.revision(repository, digest));
}

const blobUnknownInManifest = (digest: Digest, what: 'blob' | 'manifest'): ErrorEntry => ({
  code: 'MANIFEST_BLOB_UNKNOWN',
  message: `the manifest references ${what} ${digest.text}, which is not in this repository: push it first`,
  detail: { digest: digest.text },
});

export function compareTags(a: string, b: string): number {
  const la = a.toLowerCase();
  const lb = b.toLowerCase();
  if (la !== lb) return la < lb ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}
