// GET /berth/v1/image-updates: the services the caller can see whose image is one of the
// cluster's own registry pinned to a digest (`REGISTRY/REPO:TAG@sha256:D`, as docker service
// create pins it) while the registry's TAG now points at another digest — portainer#3434's
// "update available" — with the image to update to. Answered from the registry's storage in this
// process (one small read per distinct repository:tag), never over the network, so a list of
// 1,000 services asks it once. Without a registry in this process: none.

import type { FastifyInstance } from 'fastify';
import type { Store } from '../../store/index.js';
import { visibleTo } from '../../common/request-scope.js';
import { parseImageReference, type ImageReference } from '../services/image-reference.js';

export const IMAGE_UPDATES_PATH = '/berth/v1/image-updates';

/** The cluster's own registry, as the update check reads it. */
export interface RegistryTags {
  /** The HOST:PORT names image references give it. */
  names: readonly string[];
  /** The digest a tag points at now; undefined when there is no such repository or tag. */
  tagDigest(repository: string, tag: string): Promise<string | undefined>;
}

export interface ImageUpdate {
  ServiceID: string;
  ServiceName: string;
  /** The image the service runs (its spec's). */
  Image: string;
  Digest: string;
  /** Where the tag points now. */
  LatestDigest: string;
  /** The image to update the service to: the same tag, pinned to the new digest. */
  LatestImage: string;
}

export function imageUpdateRoutes(app: FastifyInstance, store: Store, registry: () => RegistryTags | undefined): void {
  app.get(IMAGE_UPDATES_PATH, async (request): Promise<ImageUpdate[]> => {
    const tags = registry();
    if (!tags) return [];
    const visible = visibleTo(request);
    const pinned: Array<{ id: string; name: string; image: string; ref: Required<ImageReference> }> = [];
    for (const s of store.view((tx) => tx.services.list())) {
      if (!visible(s.Spec.Labels)) continue;
      const image = s.Spec.TaskTemplate?.ContainerSpec?.Image ?? '';
      const ref = referenceOf(image);
      if (ref?.tag !== undefined && ref.digest !== undefined && tags.names.includes(ref.registry)) pinned.push({ id: s.ID, name: s.Spec.Name ?? '', image, ref: ref as Required<ImageReference> });
    }
    const latest = new Map<string, Promise<string | undefined>>();
    const digestOf = (ref: Required<ImageReference>): Promise<string | undefined> => {
      const key = `${ref.repository}:${ref.tag}`;
      if (!latest.has(key)) latest.set(key, tags.tagDigest(ref.repository, ref.tag));
      return latest.get(key)!;
    };
    const updates: ImageUpdate[] = [];
    for (const p of pinned) {
      const now = await digestOf(p.ref);
      if (!now || now === p.ref.digest) continue;
      updates.push({ ServiceID: p.id, ServiceName: p.name, Image: p.image, Digest: p.ref.digest, LatestDigest: now, LatestImage: `${p.ref.registry}/${p.ref.repository}:${p.ref.tag}@${now}` });
    }
    return updates.sort((a, b) => a.ServiceName.localeCompare(b.ServiceName));
  });
}

function referenceOf(image: string): ImageReference | undefined {
  try {
    return parseImageReference(image);
  } catch {
    return undefined; // not a reference this check can follow
  }
}
