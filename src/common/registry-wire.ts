// Wire helpers for the registry client: reading responses (bounded), headers, error bodies,
// manifest media types, and re-cutting a stream into upload chunks.

import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import { UnavailableError } from '../types/index.js';

export const MANIFEST_TYPES = [
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
];

/**
 * Error codes of the distribution spec, of distribution itself and of Harbor (NOT_FOUND,
 * FORBIDDEN): a body is shown only when it is a registry's error, so a request that reached some
 * other service echoes none of its answer.
 */
const REGISTRY_ERROR_CODES = new Set(
  (
    'BLOB_UNKNOWN BLOB_UPLOAD_INVALID BLOB_UPLOAD_UNKNOWN DIGEST_INVALID MANIFEST_BLOB_UNKNOWN MANIFEST_INVALID MANIFEST_UNKNOWN ' +
    'MANIFEST_UNVERIFIED NAME_INVALID NAME_UNKNOWN SIZE_INVALID TAG_INVALID UNAUTHORIZED DENIED UNSUPPORTED TOOMANYREQUESTS ' +
    'PAGINATION_NUMBER_INVALID RANGE_INVALID UNKNOWN UNAVAILABLE NOT_FOUND FORBIDDEN'
  ).split(' '),
);

/** The spec's error body as "CODE: message; ...", or "" for any other body. */
export function errorText(text: string): string {
  let doc: { errors?: Array<{ code?: unknown; message?: unknown }> };
  try {
    doc = JSON.parse(text) as typeof doc;
  } catch {
    return '';
  }
  if (!Array.isArray(doc?.errors) || doc.errors.length === 0) return '';
  if (!doc.errors.every((e) => typeof e?.code === 'string' && REGISTRY_ERROR_CODES.has(e.code))) return '';
  return doc.errors
    .map((e) => `${e.code as string}: ${typeof e.message === 'string' ? e.message : ''}`.trim())
    .join('; ')
    .slice(0, 500);
}

export const refSep = (ref: string): string => (ref.includes(':') ? '@' : ':');
export const sha256 = (b: Buffer): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

export function header(res: IncomingMessage, name: string): string | undefined {
  const v = res.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** The manifest's media type: the Content-Type, or the document's own mediaType field. */
export function mediaTypeOf(res: IncomingMessage, content?: Buffer): string {
  const type = (header(res, 'content-type') ?? '').split(';')[0]!.trim();
  if (MANIFEST_TYPES.includes(type) || !content) return type;
  try {
    return (JSON.parse(content.toString('utf8')) as { mediaType?: string }).mediaType ?? type;
  } catch {
    return type;
  }
}

export async function drain<T>(res: IncomingMessage, value: T): Promise<T> {
  res.resume();
  return value;
}

export async function readAll(res: Readable, limit: number, tooLarge: string): Promise<Buffer> {
  const parts: Buffer[] = [];
  let total = 0;
  for await (const chunk of res) {
    total += (chunk as Buffer).length;
    if (total > limit) {
      res.destroy();
      throw new UnavailableError(tooLarge);
    }
    parts.push(chunk as Buffer);
  }
  return Buffer.concat(parts);
}

/** chunks re-cuts a stream into pieces of exactly `size` bytes (the last may be shorter). */
export async function* chunks(source: Readable, size: number): AsyncGenerator<Buffer> {
  let pending: Buffer[] = [];
  let length = 0;
  for await (const data of source) {
    let buf = data as Buffer;
    while (length + buf.length >= size) {
      const take = size - length;
      pending.push(buf.subarray(0, take));
      yield Buffer.concat(pending);
      pending = [];
      length = 0;
      buf = buf.subarray(take);
    }
    if (buf.length > 0) {
      pending.push(buf);
      length += buf.length;
    }
  }
  if (length > 0) yield Buffer.concat(pending);
}
