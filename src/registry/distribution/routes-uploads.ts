// Blob pushes: end-4a/4b (POST, optionally with the whole blob), end-11 (POST mount), end-5
// (PATCH a chunk, ordered by Content-Range, or a stream without one as skopeo and podman send
// it), end-6 (PUT ?digest= closes the upload), end-13 (GET upload status) and end-14 of the
// unreleased spec (DELETE cancels an upload).

import { RegistryError } from './errors.js';
import { chunkRange, empty, hasBody, type Call } from './http.js';
import { checkName, parseDigest } from './names.js';
import { uploadHeaders } from '../storage/uploads.js';

const blobLocation = (name: string, digest: string): Record<string, string> => ({
  Location: `/v2/${name}/blobs/${digest}`,
  'Docker-Content-Digest': digest,
});

export async function startUpload({ request, reply, name, query, services }: Call): Promise<unknown> {
  const mount = query.get('mount');
  const from = query.get('from');
  if (mount !== null && from !== null) {
    const digest = parseDigest(mount);
    if ((await services.blobs.mount(name, checkName(from), digest)) !== undefined) return empty(reply, 201, blobLocation(name, digest.text));
    // Not mountable: the spec's answer is a fresh upload session (202) for the client to fill.
  }
  const single = query.get('digest');
  if (single !== null) {
    const digest = parseDigest(single);
    const upload = await services.uploads.start(name);
    try {
      await services.uploads.finish(name, upload.id, digest, hasBody(request) ? request.raw : undefined);
    } catch (err) {
      // The client got no Location, so nobody can resume this session.
      await services.uploads.cancel(name, upload.id).catch(() => undefined);
      throw err;
    }
    return empty(reply, 201, blobLocation(name, digest.text));
  }
  if (hasBody(request) && mount === null) {
    for await (const chunk of request.raw) {
      if ((chunk as Buffer).length > 0) {
        throw new RegistryError('BLOB_UPLOAD_INVALID', 400, 'a POST without ?digest= only starts an upload and takes no body: add ?digest=<digest> to upload in one request');
      }
    }
  }
  return empty(reply, 202, uploadHeaders(name, await services.uploads.start(name)));
}

export async function uploadStatus({ reply, name, ref, services }: Call): Promise<unknown> {
  return empty(reply, 204, uploadHeaders(name, await services.uploads.status(name, ref)));
}

export async function patchUpload({ request, reply, name, ref, services }: Call): Promise<unknown> {
  const status = await services.uploads.write(name, ref, request.raw, chunkRange(request));
  return empty(reply, 202, uploadHeaders(name, status));
}

export async function putUpload({ request, reply, name, ref, query, services }: Call): Promise<unknown> {
  const text = query.get('digest');
  if (text === null) {
    throw new RegistryError('DIGEST_INVALID', 400, 'closing an upload needs ?digest=<digest of the whole blob>');
  }
  const digest = parseDigest(text);
  await services.uploads.finish(name, ref, digest, hasBody(request) ? request.raw : undefined, chunkRange(request));
  return empty(reply, 201, blobLocation(name, digest.text));
}

export async function cancelUpload({ reply, name, ref, services }: Call): Promise<unknown> {
  await services.uploads.cancel(name, ref);
  return empty(reply, 204);
}
