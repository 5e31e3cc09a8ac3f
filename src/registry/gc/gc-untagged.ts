// Which manifests of a repository the garbage collector's untagged pass may delete: all of them
// but those something keeps. Kept are manifests a tag points at, those pushed within the grace
// period (an index's entries arrive before the index; a push by digest may be followed by its
// tag), the entries of a kept index, and referrers (signatures, SBOMs) of a kept manifest.

import { paths } from '../storage/paths.js';
import type { StorageDriver } from '../storage/storage-driver.js';
import { manifestDigests, manifestRefs, taggedDigests, type ManifestRefs } from '../storage/storage-walk.js';

/** untaggedManifests lists the repository's manifests nothing keeps, `cutoff` being the end of the grace period (ms). */
export async function untaggedManifests(driver: StorageDriver, repository: string, cutoff: number): Promise<ManifestRefs[]> {
  const all: ManifestRefs[] = [];
  const kept = await taggedDigests(driver, repository);
  for (const digest of await manifestDigests(driver, repository)) {
    const [refs, link] = await Promise.all([manifestRefs(driver, repository, digest), driver.stat(paths.revisionLink(repository, digest))]);
    if (!refs || !link) continue; // deleted meanwhile
    all.push(refs);
    if (link.modifiedAt.getTime() >= cutoff) kept.add(digest.text);
  }
  // To a fixed point: an index's entry may have a signature, a signature may be signed.
  for (let grew = true; grew; ) {
    grew = false;
    for (const m of all) {
      const adds = kept.has(m.digest.text) ? m.manifests.map((d) => d.text) : m.subject && kept.has(m.subject.text) ? [m.digest.text] : [];
      for (const d of adds) {
        if (kept.has(d)) continue;
        kept.add(d);
        grew = true;
      }
    }
  }
  return all.filter((m) => !kept.has(m.digest.text));
}
