// The storage driver: everything the registry keeps goes through this interface, as objects at
// slash-separated paths ("blobs/sha256/ab/ab12…/data"). Nothing above it assumes a filesystem:
// no directories to create, no renames of directories, no file handles. The operations map onto
// an object store (an S3-compatible driver: append = multipart upload parts, move = server-side
// copy + delete, list = ListObjectsV2 with a delimiter, putContent = a single PUT).

import type { Readable, Writable } from 'node:stream';

export interface FileInfo {
  size: number;
  modifiedAt: Date;
  /** True for a prefix that has objects below it rather than an object itself. */
  isDirectory: boolean;
}

/** Thrown by reads of a path that holds no object. */
export class PathNotFoundError extends Error {
  constructor(readonly path: string) {
    super(`storage: ${path} does not exist`);
    this.name = 'PathNotFoundError';
  }
}

/** An object opened for sending to a client (see StorageDriver.source). */
export interface ObjectSource {
  /** Writes the bytes to `out`, without ending it, then releases the object; rejects if either side fails. */
  sendTo(out: Writable): Promise<void>;
  /** Releases the object without sending it (the response failed first). */
  close(): Promise<void>;
}

export interface StorageDriver {
  /** Reads a whole small object (metadata, manifests). */
  getContent(path: string): Promise<Buffer>;
  /**
   * Writes a whole small object atomically and durably: readers see the old content or the new,
   * never part. `durable: false` skips the flush to stable storage, for objects whose loss in a
   * power failure loses nothing acknowledged (an upload session's info: its bytes are not flushed
   * before the upload completes either).
   */
  putContent(path: string, content: Buffer, opts?: { durable?: boolean }): Promise<void>;
  /** Streams an object, or `length` bytes of it from `offset`. */
  reader(path: string, offset?: number, length?: number): Promise<Readable>;
  /**
   * Opens an object, or `length` bytes of it from `offset`, to send to a client: it fails here, before
   * a response has begun, if the object is missing. Serving blobs goes through it rather than
   * reader() so a driver can send from buffers it reuses.
   */
  source(path: string, offset?: number, length?: number): Promise<ObjectSource>;
  /**
   * Appends a stream to an object, creating it if absent, and resolves with the object's new size.
   * If the source fails, the bytes that landed stay (the caller decides what a partial append means).
   */
  append(path: string, source: Readable): Promise<number>;
  /** Size and time of an object or prefix; undefined if there is neither. */
  stat(path: string): Promise<FileInfo | undefined>;
  /** Names (not paths) of the direct children of a prefix, sorted; [] if there are none. */
  list(path: string): Promise<string[]>;
  /** Moves a finished object to its final path atomically and durably, replacing what is there. */
  move(from: string, to: string): Promise<void>;
  /** Deletes an object or everything below a prefix; absent paths are not an error. */
  delete(path: string): Promise<void>;
}
