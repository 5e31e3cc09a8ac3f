// What every route handler gets, and the small HTTP pieces they share: empty replies with
// headers, bounded body reads (manifests), Content-Range of chunks and Range of blob reads.

import type { OutgoingHttpHeaders } from 'node:http';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { BlobStore } from '../storage/blob-store.js';
import { RegistryError } from './errors.js';
import type { RegistryEvents } from '../events.js';
import type { ManifestStore } from '../storage/manifest-store.js';
import type { ObjectSource } from '../storage/storage-driver.js';
import type { ChunkRange, Uploads } from '../storage/uploads.js';

export interface Services {
  blobs: BlobStore;
  uploads: Uploads;
  manifests: ManifestStore;
  events: RegistryEvents;
  maxManifestBytes: number;
}

export interface Call {
  request: FastifyRequest;
  reply: FastifyReply;
  /** The repository name, already checked. */
  name: string;
  /** The last path segment (digest, reference or upload id), unchecked; '' if the endpoint has none. */
  ref: string;
  query: URLSearchParams;
  services: Services;
}

export type Handler = (call: Call) => Promise<unknown>;

/** empty sends a status with headers and no body. */
export function empty(reply: FastifyReply, status: number, headers: Record<string, string | number> = {}): FastifyReply {
  return reply.code(status).headers({ ...headers, 'Content-Length': 0 }).send();
}

/**
 * sendSource answers with a stored object as the body. fastify's reply is hijacked so the storage
 * driver writes straight to the response with buffers it reuses (see file-source.ts); the headers
 * set on the reply so far go out with `headers`, and onResponse hooks still run (onSend hooks don't).
 */
export async function sendSource(reply: FastifyReply, status: number, headers: Record<string, string | number>, source: ObjectSource): Promise<void> {
  reply.hijack();
  const res = reply.raw;
  try {
    // Kept on the reply too: onResponse hooks read Content-Length from it.
    reply.headers(headers);
    res.writeHead(status, reply.getHeaders() as OutgoingHttpHeaders);
    await source.sendTo(res);
    res.end();
  } catch (err) {
    // The status line is out: cutting the connection is the one way left to tell the client.
    reply.log.debug({ err }, 'registry: sending a blob failed');
    res.destroy();
    await source.close().catch((closeErr: unknown) => reply.log.warn({ err: closeErr }, 'registry: closing a blob failed'));
  }
}

/** sendJson sends a JSON body with exactly `type` as Content-Type (fastify would add a charset to a string). */
export function sendJson(reply: FastifyReply, status: number, value: unknown, type = 'application/json'): FastifyReply {
  return reply.code(status).header('Content-Type', type).send(Buffer.from(JSON.stringify(value)));
}

/**
 * readBody buffers a request body of at most `limit` bytes (manifests only; blobs always stream).
 * `tooLarge` should close the connection, so the rest of an oversized body is not read.
 */
export async function readBody(request: FastifyRequest, limit: number, tooLarge: (limit: number) => RegistryError): Promise<Buffer> {
  const declared = Number(request.headers['content-length']);
  if (declared > limit) throw tooLarge(limit);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request.raw) {
    size += (chunk as Buffer).length;
    if (size > limit) throw tooLarge(limit);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks, size);
}

/** hasBody says whether the request announces a body (a length above 0, or chunked encoding). */
export function hasBody(request: FastifyRequest): boolean {
  const length = request.headers['content-length'];
  return length !== undefined ? Number(length) > 0 : request.headers['transfer-encoding'] !== undefined;
}

/** chunkRange reads a chunk's Content-Range ("<start>-<end>", inclusive, as the spec writes it). */
export function chunkRange(request: FastifyRequest): ChunkRange | undefined {
  const header = request.headers['content-range'];
  if (header === undefined) return undefined;
  const m = /^(?:bytes[ =])?(\d+)-(\d+)$/.exec(header.trim());
  const start = Number(m?.[1]);
  const end = Number(m?.[2]);
  if (!m || !Number.isSafeInteger(start) || !Number.isSafeInteger(end) || end < start) {
    throw new RegistryError('BLOB_UPLOAD_INVALID', 416, `invalid Content-Range "${header.slice(0, 100)}": use <start>-<end>, e.g. 0-1023`);
  }
  const length = request.headers['content-length'];
  if (length !== undefined && Number(length) !== end - start + 1) {
    throw new RegistryError('SIZE_INVALID', 400, `Content-Range ${start}-${end} is ${end - start + 1} bytes but Content-Length is ${length}`);
  }
  return { start, end };
}

export interface ByteRange {
  offset: number;
  length: number;
}

/**
 * byteRange reads a single-range Range header (RFC 9110 §14.2) against a blob of `size` bytes.
 * Undefined means "send it all" (no header, or one this server ignores, such as several ranges).
 */
export function byteRange(header: string | undefined, size: number): ByteRange | undefined {
  if (header === undefined) return undefined;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return undefined;
  let first: number;
  let last: number;
  if (m[1] === '') {
    const suffix = Number(m[2]);
    first = Math.max(size - suffix, 0);
    last = size - 1;
    if (suffix === 0) first = size; // "bytes=-0" selects nothing
  } else {
    first = Number(m[1]);
    last = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
    if (m[2] !== '' && Number(m[2]) < first) return undefined; // invalid: ignored, per RFC 9110
  }
  if (first >= size) {
    throw new RegistryError('SIZE_INVALID', 416, `range ${header} is outside the blob's ${size} bytes`, { size }, [], {
      'Content-Range': `bytes */${size}`,
    });
  }
  return { offset: first, length: last - first + 1 };
}
