// Content-addressed blobs and their links into repositories. Content is stored once under
// blobs/ and becomes visible in a repository only through a link, which is written after the
// content is in place; a blob is readable in a repository only if both exist. Removing a blob
// from a repository (unlink) is the one place blob deletion goes through: the content itself is
// left for the garbage collector, which alone may decide that no repository needs it any more.

import { Guards } from '../policies/guards.js';
import type { RegistryEvents } from '../events.js';
import type { Digest } from '../distribution/names.js';
import { paths } from './paths.js';
import type { ObjectSource, StorageDriver } from './storage-driver.js';
import { SweepFence } from './sweep-fence.js';

export interface BlobRange {
  offset: number;
  length: number;
}

export class BlobStore {
  constructor(
    private readonly driver: StorageDriver,
    private readonly events: RegistryEvents,
    private readonly guards: Guards = new Guards(),
    private readonly fence: SweepFence = new SweepFence(),
  ) {}

  /** Size of a blob linked into the repository, or undefined. */
  async size(repository: string, digest: Digest): Promise<number | undefined> {
    const [link, content] = await Promise.all([this.driver.stat(paths.layerLink(repository, digest)), this.driver.stat(paths.blobData(digest))]);
    return link && content && !content.isDirectory ? content.size : undefined;
  }

  /** Opens a blob's content (or a range of it) for sending. */
  open(digest: Digest, range?: BlobRange): Promise<ObjectSource> {
    return this.driver.source(paths.blobData(digest), range?.offset, range?.length);
  }

  /**
   * commit moves a verified upload into the content store (unless identical content is already
   * there) and links it into the repository.
   */
  async commit(repository: string, uploadPath: string, digest: Digest, size: number): Promise<void> {
    await this.guards.blobCommit({ repository, digest, size });
    // Existing content is reused below: the collector must not remove it meanwhile.
    await this.fence.use([digest]);
    const target = paths.blobData(digest);
    if ((await this.driver.stat(target)) === undefined) await this.driver.move(uploadPath, target);
    await this.#link(repository, digest);
    this.events.emit({ action: 'push', target: 'blob', repository, digest: digest.text, size });
  }

  /** mount links a blob from another repository; false if that repository does not have it. */
  async mount(repository: string, from: string, digest: Digest): Promise<number | undefined> {
    await this.fence.use([digest]);
    const size = await this.size(from, digest);
    if (size === undefined) return undefined;
    await this.guards.blobCommit({ repository, digest, size, from });
    await this.#link(repository, digest);
    this.events.emit({ action: 'push', target: 'blob', repository, digest: digest.text, size, from });
    return size;
  }

  /** unlink removes a blob from a repository; false if it was not there. */
  async unlink(repository: string, digest: Digest): Promise<boolean> {
    const link = paths.layerLink(repository, digest);
    if ((await this.driver.stat(link)) === undefined) return false;
    await this.driver.delete(link.slice(0, -'/link'.length));
    this.events.emit({ action: 'delete', target: 'blob', repository, digest: digest.text });
    return true;
  }

  /** Whether content exists at all (in any repository). */
  async hasContent(digest: Digest): Promise<boolean> {
    return (await this.driver.stat(paths.blobData(digest))) !== undefined;
  }

  /** putContent stores small content (a manifest) by its digest; identical content already stored is kept. */
  async putContent(digest: Digest, content: Buffer): Promise<void> {
    await this.fence.use([digest]);
    if (!(await this.hasContent(digest))) await this.driver.putContent(paths.blobData(digest), content);
  }

  getContent(digest: Digest): Promise<Buffer> {
    return this.driver.getContent(paths.blobData(digest));
  }

  #link(repository: string, digest: Digest): Promise<void> {
    return this.driver.putContent(paths.layerLink(repository, digest), Buffer.from(digest.text));
  }
}
