// Storage quotas per project (RegistryProject.Spec.QuotaBytes, -1 = unlimited), enforced as a
// guard before anything is written: a blob commit that alone would exceed the quota, and a
// manifest push whose new blobs (those the project does not hold yet, the manifest included)
// would, are refused with DENIED and a message naming the project, the quota and the usage. The
// manifest store runs a project's manifest pushes one at a time and usage counts each before the
// next is checked, so concurrent pushes cannot together overshoot. A refusal is also emitted as a
// quotaExceeded event.

import type { Store } from '../../store/index.js';
import { RegistryError } from '../distribution/errors.js';
import type { RegistryEvents } from '../events.js';
import type { BlobCommitIntent, ManifestPutIntent, RegistryGuard } from './guards.js';
import { projectOf } from '../admin/projects.js';
import type { UsageAccountant } from './usage.js';

export const UNLIMITED = -1;

/** bytes says a size for people, with the exact number. */
export function bytes(n: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${n} bytes` : `${v.toFixed(1)} ${units[u]} (${n} bytes)`;
}

export class QuotaGuard implements RegistryGuard {
  constructor(
    private readonly store: Store,
    private readonly usage: UsageAccountant,
    private readonly events: RegistryEvents,
  ) {}

  async blobCommit(intent: BlobCommitIntent): Promise<void> {
    const project = projectOf(intent.repository);
    const quota = this.#quota(project);
    if (quota === UNLIMITED) return;
    const used = await this.usage.usage(project);
    if (used.blobs.has(intent.digest.text) || used.bytes + intent.size <= quota) return;
    this.#refuse('blob', intent.repository, intent.digest.text, project, quota, used.bytes, intent.size);
  }

  async manifestPut(intent: ManifestPutIntent): Promise<void> {
    const project = projectOf(intent.repository);
    const quota = this.#quota(project);
    if (quota === UNLIMITED) return;
    const used = await this.usage.usage(project);
    const adds = new Map<string, number>();
    for (const { digest, size } of [{ digest: intent.digest, size: intent.size }, ...intent.blobs]) {
      if (!used.blobs.has(digest.text)) adds.set(digest.text, size);
    }
    const more = [...adds.values()].reduce((a, b) => a + b, 0);
    // Pushing nothing new (a tag moved to content the project holds) is always allowed.
    if (more === 0 || used.bytes + more <= quota) return;
    this.#refuse('manifest', intent.repository, intent.digest.text, project, quota, used.bytes, more);
  }

  #quota(project: string): number {
    return this.store.view((tx) => tx.registryProjects.byName(project))?.Spec.QuotaBytes ?? UNLIMITED;
  }

  #refuse(target: 'blob' | 'manifest', repository: string, digest: string, project: string, quota: number, used: number, more: number): never {
    const message =
      `quota exceeded: project ${project} uses ${bytes(used)} of its quota of ${bytes(quota)}, and this push to ${repository} adds ${bytes(more)}; ` +
      `delete images from the project or raise its quota`;
    this.events.emit({ action: 'quotaExceeded', target, repository, digest, size: more, message });
    throw new RegistryError('DENIED', 403, message, { project, quotaBytes: quota, usedBytes: used, neededBytes: more });
  }
}
