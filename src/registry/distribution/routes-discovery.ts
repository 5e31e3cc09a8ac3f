// end-1 (GET /v2/), end-8 (tag list with n/last pagination and Link) and end-12 (referrers, with
// the artifactType filter).

import { nameUnknown, RegistryError } from './errors.js';
import { sendJson, type Call } from './http.js';
import { OCI_INDEX } from './manifests.js';
import { compareTags } from '../storage/manifest-store.js';
import { parseDigest } from './names.js';

/** The most tags one response carries; a larger n is answered in pages linked with Link. */
export const MAX_TAGS_PAGE = 1000;

export async function base({ reply }: Call): Promise<unknown> {
  return sendJson(reply, 200, {});
}

export async function listTags({ reply, name, query, services }: Call): Promise<unknown> {
  const nText = query.get('n');
  if (nText !== null && !/^\d{1,9}$/.test(nText)) {
    throw new RegistryError('UNSUPPORTED', 400, `invalid n "${nText.slice(0, 20)}": use a whole number of tags, e.g. n=100`);
  }
  if (!(await services.manifests.exists(name))) throw nameUnknown(name);
  const last = query.get('last');
  const all = await services.manifests.tags(name);
  const after = last === null ? all : all.filter((t) => compareTags(t, last) > 0);
  const n = nText === null ? undefined : Math.min(Number(nText), MAX_TAGS_PAGE);
  const tags = n === undefined ? after : after.slice(0, n);
  if (n !== undefined && n > 0 && after.length > tags.length) {
    const next = new URLSearchParams({ n: String(n), last: tags[tags.length - 1]! });
    reply.header('Link', `</v2/${name}/tags/list?${next}>; rel="next"`);
  }
  return sendJson(reply, 200, { name, tags });
}

export async function listReferrers({ reply, name, ref, query, services }: Call): Promise<unknown> {
  const subject = parseDigest(ref);
  const artifactType = query.get('artifactType');
  let manifests = await services.manifests.referrers(name, subject);
  if (artifactType !== null) {
    manifests = manifests.filter((m) => m.artifactType === artifactType);
    reply.header('OCI-Filters-Applied', 'artifactType');
  }
  // An unknown repository has no referrers: the spec forbids a 404 once the API is supported.
  return sendJson(reply, 200, { schemaVersion: 2, mediaType: OCI_INDEX, manifests }, OCI_INDEX);
}
