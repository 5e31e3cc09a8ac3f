// end-3 (GET/HEAD a manifest by tag or digest), end-7 (PUT a manifest) and end-9 (DELETE a
// manifest by digest, or a tag).

import { RegistryError } from './errors.js';
import { empty, readBody, type Call } from './http.js';
import { parseReference } from './names.js';

export async function getManifest({ request, reply, name, ref, services }: Call): Promise<unknown> {
  const reference = parseReference(ref);
  const found = await services.manifests.get(name, reference);
  reply.code(200).headers({
    'Content-Type': found.mediaType,
    'Docker-Content-Digest': found.digest.text,
    'Content-Length': found.content.length,
    ETag: `"${found.digest.text}"`,
  });
  if (request.method === 'HEAD') return reply.send();
  services.events.emit({
    action: 'pull',
    target: 'manifest',
    repository: name,
    digest: found.digest.text,
    tag: reference.kind === 'tag' ? reference.tag : undefined,
    size: found.content.length,
    mediaType: found.mediaType,
  });
  return reply.send(found.content);
}

export async function putManifest({ request, reply, name, ref, services }: Call): Promise<unknown> {
  const reference = parseReference(ref);
  const tooLarge = (limit: number): RegistryError =>
    new RegistryError('MANIFEST_INVALID', 413, `the manifest is larger than the registry's limit of ${limit} bytes`, { limit }, [], { Connection: 'close' });
  const content = await readBody(request, services.maxManifestBytes, tooLarge);
  const pushed = await services.manifests.put(name, reference, content, request.headers['content-type']);
  const headers: Record<string, string> = {
    Location: `/v2/${name}/manifests/${pushed.digest.text}`,
    'Docker-Content-Digest': pushed.digest.text,
  };
  // Tells the client the referrers API indexed the subject, so it need not maintain a referrers tag.
  if (pushed.subject) headers['OCI-Subject'] = pushed.subject.text;
  return empty(reply, 201, headers);
}

export async function deleteManifest({ reply, name, ref, services }: Call): Promise<unknown> {
  const reference = parseReference(ref);
  if (!(await services.manifests.exists(name))) throw new RegistryError('NAME_UNKNOWN', 404, `repository ${name} does not exist`, { name });
  if (reference.kind === 'tag') await services.manifests.deleteTag(name, reference.tag);
  else await services.manifests.deleteManifest(name, reference.digest);
  return empty(reply, 202);
}
