// end-2 (GET/HEAD a blob, with Range) and end-10 (DELETE a blob from a repository).

import { blobUnknown } from './errors.js';
import { byteRange, empty, sendSource, type Call } from './http.js';
import { parseDigest } from './names.js';

export async function getBlob({ request, reply, name, ref, services }: Call): Promise<unknown> {
  const digest = parseDigest(ref);
  const size = await services.blobs.size(name, digest);
  if (size === undefined) throw blobUnknown(digest.text);
  const headers = {
    'Docker-Content-Digest': digest.text,
    'Content-Type': 'application/octet-stream',
    'Accept-Ranges': 'bytes',
    ETag: `"${digest.text}"`,
  };
  if (request.method === 'HEAD') return reply.code(200).headers({ ...headers, 'Content-Length': size }).send();
  const range = byteRange(request.headers.range, size);
  const source = await services.blobs.open(digest, range);
  services.events.emit({ action: 'pull', target: 'blob', repository: name, digest: digest.text, size });
  if (!range) return sendSource(reply, 200, { ...headers, 'Content-Length': size }, source);
  const end = range.offset + range.length - 1;
  return sendSource(reply, 206, { ...headers, 'Content-Length': range.length, 'Content-Range': `bytes ${range.offset}-${end}/${size}` }, source);
}

export async function deleteBlob({ reply, name, ref, services }: Call): Promise<unknown> {
  const digest = parseDigest(ref);
  if (!(await services.blobs.unlink(name, digest))) throw blobUnknown(digest.text);
  return empty(reply, 202, { 'Docker-Content-Digest': digest.text });
}
