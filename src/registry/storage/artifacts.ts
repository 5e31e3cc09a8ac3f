// What a repository holds, as Harbor's console shows it: its artifacts (manifest revisions) with
// media type, size, push time and tags, and where each tag points. Read through the storage
// driver only (no /v2/_catalog): a listing reads each revision's link and manifest once, and each
// tag once.

import { isTag, parseDigest, type Digest } from '../distribution/names.js';
import { paths } from './paths.js';
import { PathNotFoundError, type StorageDriver } from './storage-driver.js';

export interface ArtifactTag {
  Name: string;
  /** When the tag was last pushed (set to its digest). */
  PushedAt: string;
}

export interface Artifact {
  Digest: string;
  MediaType: string;
  /** What a pull of it fetches: the manifest, its config and layers; for an index, its entries too. */
  Size: number;
  PushedAt: string;
  Tags: ArtifactTag[];
  /** An index's entries, with their platforms ("linux/amd64"); they are not listed on their own. */
  Children?: { Digest: string; Platform?: string }[];
  /** A referrer's subject (what a signature or an SBOM is about). */
  Subject?: string;
}

export interface RepositorySummary {
  Name: string;
  Artifacts: number;
  Tags: number;
  /** The latest push of a tag; absent when it has none. */
  UpdatedAt?: string;
}

interface Revision {
  digest: Digest;
  mediaType: string;
  size: number;
  subject?: string;
  pushedAt: Date;
  content?: { config?: { size?: number }; layers?: { size?: number }[]; manifests?: { digest?: string; size?: number; platform?: { os?: string; architecture?: string; variant?: string } }[] };
}

/** Undefined for what went away while it was read (a delete or the collector). */
async function orMissing<T>(read: Promise<T>): Promise<T | undefined> {
  try {
    return await read;
  } catch (err) {
    if (err instanceof PathNotFoundError) return undefined;
    throw err;
  }
}

/** tagDigest is the digest a tag points at now, or undefined (no such repository or tag). Names must be checked first. */
export async function tagDigest(driver: StorageDriver, repository: string, tag: string): Promise<string | undefined> {
  if (!isTag(tag)) return undefined;
  return (await orMissing(driver.getContent(paths.tag(repository, tag))))?.toString();
}

/** tagsOf lists the repository's tags with the digest each points at and its push time. */
export async function tagsOf(driver: StorageDriver, repository: string): Promise<Array<ArtifactTag & { Digest: string }>> {
  const names = await driver.list(paths.tags(repository));
  const tags = await Promise.all(
    names.map(async (name) => {
      const [digest, info] = await Promise.all([orMissing(driver.getContent(paths.tag(repository, name))), driver.stat(paths.tag(repository, name))]);
      return digest && info ? { Name: name, Digest: digest.toString(), PushedAt: info.modifiedAt.toISOString() } : undefined;
    }),
  );
  return tags.filter((t) => t !== undefined);
}

async function revisionsOf(driver: StorageDriver, repository: string): Promise<Revision[]> {
  const root = paths.revisions(repository);
  const digests = (await Promise.all((await driver.list(root)).map(async (alg) => (await driver.list(`${root}/${alg}`)).map((hex) => `${alg}:${hex}`)))).flat();
  const revisions = await Promise.all(
    digests.map(async (text): Promise<Revision | undefined> => {
      const digest = parseDigest(text);
      const [link, info, bytes] = await Promise.all([
        orMissing(driver.getContent(paths.revisionLink(repository, digest))),
        driver.stat(paths.revisionLink(repository, digest)),
        orMissing(driver.getContent(paths.blobData(digest))),
      ]);
      if (!link || !info) return undefined;
      const meta = JSON.parse(link.toString()) as { mediaType: string; size: number; subject?: string };
      let content: Revision['content'];
      try {
        content = bytes && (JSON.parse(bytes.toString()) as Revision['content']);
      } catch {
        content = undefined; // stored as pushed, and checked then: not expected
      }
      return { digest, mediaType: meta.mediaType, size: meta.size, subject: meta.subject, pushedAt: info.modifiedAt, content };
    }),
  );
  return revisions.filter((r) => r !== undefined);
}

const platformOf = (p: { os?: string; architecture?: string; variant?: string } | undefined): string | undefined =>
  p?.os && p.architecture ? [p.os, p.architecture, p.variant].filter(Boolean).join('/') : undefined;

/** artifactsOf lists the repository's artifacts, the latest pushed first; an index's entries show under it. */
export async function artifactsOf(driver: StorageDriver, repository: string): Promise<Artifact[]> {
  const [revisions, tags] = await Promise.all([revisionsOf(driver, repository), tagsOf(driver, repository)]);
  const byDigest = new Map(revisions.map((r) => [r.digest.text, r]));
  const own = (r: Revision): number => r.size + (r.content?.config?.size ?? 0) + (r.content?.layers ?? []).reduce((n, l) => n + (l.size ?? 0), 0);
  const children = new Set<string>();
  const artifacts = revisions.map((r): Artifact => {
    const entries = r.content?.manifests ?? [];
    for (const e of entries) if (e.digest) children.add(e.digest);
    const size = own(r) + entries.reduce((n, e) => n + (e.digest && byDigest.has(e.digest) ? own(byDigest.get(e.digest)!) : (e.size ?? 0)), 0);
    return {
      Digest: r.digest.text,
      MediaType: r.mediaType,
      Size: size,
      PushedAt: r.pushedAt.toISOString(),
      Tags: tags.filter((t) => t.Digest === r.digest.text).map((t) => ({ Name: t.Name, PushedAt: t.PushedAt })),
      ...(entries.length > 0 && { Children: entries.map((e) => ({ Digest: e.digest ?? '', ...(platformOf(e.platform) && { Platform: platformOf(e.platform) }) })) }),
      ...(r.subject && { Subject: r.subject }),
    };
  });
  // An entry is shown on its own too when a tag points at it.
  return artifacts.filter((a) => !children.has(a.Digest) || a.Tags.length > 0).sort((a, b) => b.PushedAt.localeCompare(a.PushedAt) || a.Digest.localeCompare(b.Digest));
}

/** summaryOf counts a repository's artifacts and tags and finds its latest tag push. */
export async function summaryOf(driver: StorageDriver, repository: string): Promise<RepositorySummary> {
  const root = paths.revisions(repository);
  const [tags, algorithms] = await Promise.all([tagsOf(driver, repository), driver.list(root)]);
  const artifacts = (await Promise.all(algorithms.map((alg) => driver.list(`${root}/${alg}`)))).reduce((n, list) => n + list.length, 0);
  const latest = tags.reduce<string | undefined>((t, x) => (t === undefined || x.PushedAt > t ? x.PushedAt : t), undefined);
  return { Name: repository, Artifacts: artifacts, Tags: tags.length, ...(latest && { UpdatedAt: latest }) };
}
