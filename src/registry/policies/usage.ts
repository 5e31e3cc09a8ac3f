// Storage used per project, as quotas count it: the distinct blobs (manifests, configs, layers)
// the manifests of the project's repositories reference, each counted once however many of its
// repositories share it. Computed once per project by walking its repositories, then kept up to
// date from events: a pushed manifest adds what it references; a deleted manifest drops the
// project's figure, which is walked again when next asked (deletes are rare, pushes are not).
// Blob links without a manifest do not count, and the collector frees only unreferenced blobs, so
// neither changes usage. Everything for one project runs in order, so an update never races a walk.

import type { RegistryEvents } from '../events.js';
import { KeyedQueue } from '../storage/keyed-queue.js';
import { DEFAULT_PROJECT, projectOf } from '../admin/projects.js';
import { paths, REPOSITORIES } from '../storage/paths.js';
import { parseDigest, type Digest } from '../distribution/names.js';
import type { StorageDriver } from '../storage/storage-driver.js';
import { manifestDigests, manifestRefs, repositories } from '../storage/storage-walk.js';

export interface ProjectUsage {
  /** Size of every counted blob, by digest. */
  blobs: ReadonlyMap<string, number>;
  manifests: number;
  bytes: number;
}

interface Tally {
  blobs: Map<string, number>;
  /** Manifests per repository, so a repeated push of one manifest is not counted twice. */
  manifests: Set<string>;
  bytes: number;
}

export class UsageAccountant {
  readonly #tallies = new Map<string, Tally>();
  readonly #queues = new KeyedQueue();
  readonly #sizes = new Map<string, number>();

  constructor(
    private readonly driver: StorageDriver,
    events: RegistryEvents,
  ) {
    events.on((e) => {
      if (e.target !== 'manifest') return;
      const project = projectOf(e.repository);
      if (e.action === 'push') void this.#inOrder(project, () => this.#addManifest(project, e.repository, e.digest));
      else if (e.action === 'delete') void this.#inOrder(project, async () => this.#tallies.delete(project));
    });
  }

  /** usage answers a project's current usage, walking its repositories if it is not known yet. */
  usage(project: string): Promise<ProjectUsage> {
    return this.#inOrder(project, async () => {
      const tally = this.#tallies.get(project) ?? (await this.#walk(project));
      return { blobs: tally.blobs, manifests: tally.manifests.size, bytes: tally.bytes };
    });
  }

  /** projects lists every project that has a repository in storage. */
  async projects(): Promise<string[]> {
    const found = new Set<string>();
    for await (const repository of repositories(this.driver)) found.add(projectOf(repository));
    return [...found].sort();
  }

  #inOrder<T>(project: string, work: () => Promise<T>): Promise<T> {
    return this.#queues.run(project, work);
  }

  async #walk(project: string): Promise<Tally> {
    const tally: Tally = { blobs: new Map(), manifests: new Set(), bytes: 0 };
    for await (const repository of projectRepositories(this.driver, project)) {
      for (const digest of await manifestDigests(this.driver, repository)) await this.#count(tally, repository, digest);
    }
    this.#tallies.set(project, tally);
    return tally;
  }

  async #addManifest(project: string, repository: string, digestText: string): Promise<void> {
    const tally = this.#tallies.get(project);
    if (!tally) return; // not walked yet: the walk will find it
    await this.#count(tally, repository, parseDigest(digestText));
  }

  async #count(tally: Tally, repository: string, digest: Digest): Promise<void> {
    const refs = await manifestRefs(this.driver, repository, digest);
    if (!refs) return;
    tally.manifests.add(`${repository}@${digest.text}`);
    this.#add(tally, digest.text, refs.size);
    for (const blob of refs.blobs) {
      const size = await this.#size(blob);
      if (size !== undefined) this.#add(tally, blob.text, size);
    }
  }

  #add(tally: Tally, digest: string, size: number): void {
    if (tally.blobs.has(digest)) return;
    tally.blobs.set(digest, size);
    tally.bytes += size;
  }

  /** Content sizes never change for a digest, so they are remembered. */
  async #size(digest: Digest): Promise<number | undefined> {
    const known = this.#sizes.get(digest.text);
    if (known !== undefined) return known;
    const info = await this.driver.stat(paths.blobData(digest));
    if (info) this.#sizes.set(digest.text, info.size);
    return info?.size;
  }
}

/**
 * projectRepositories yields a project's repositories: those below its name, and for the default
 * project also every one-component repository ("nginx" is "library/nginx").
 */
async function* projectRepositories(driver: StorageDriver, project: string): AsyncGenerator<string> {
  for await (const repository of repositories(driver, project)) {
    if (projectOf(repository) === project) yield repository;
  }
  if (project !== DEFAULT_PROJECT) return;
  for (const child of await driver.list(REPOSITORIES)) {
    if (child === DEFAULT_PROJECT) continue;
    const inside = await driver.list(paths.repository(child));
    if (inside.includes('_manifests') || inside.includes('_layers')) yield child;
  }
}
