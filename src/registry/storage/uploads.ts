// Blob upload sessions. An upload's bytes go to uploads/<id>/data, apart from all content; only a
// verified upload is committed (moved) into the blob store, so a failed, mismatching or abandoned
// upload never becomes visible. uploads/<id>/info records the repository and the start time, so
// the garbage collector can sweep sessions that were never finished.
//
// The running digest of each session is kept in memory while its bytes stream in. It is only a
// shortcut: when it is missing (after a restart), of another algorithm, or out of step with the
// stored bytes, the stored upload is hashed again at the end.

import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import type { BlobStore } from './blob-store.js';
import { digestOf, newHashState, Tally, through, type HashState } from './digest-stream.js';
import { RegistryError, uploadUnknown } from '../distribution/errors.js';
import type { Digest } from '../distribution/names.js';
import { paths } from './paths.js';
import { PathNotFoundError, type StorageDriver } from './storage-driver.js';
import { SweepFence } from './sweep-fence.js';

const UPLOAD_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export interface UploadInfo {
  repository: string;
  startedAt: string;
}

/** An inclusive byte range of a chunk, from its Content-Range header. */
export interface ChunkRange {
  start: number;
  end: number;
}

export interface UploadStatus {
  id: string;
  /** Bytes received so far. */
  size: number;
}

export class Uploads {
  readonly #hashes = new Map<string, HashState>();

  constructor(
    private readonly driver: StorageDriver,
    private readonly blobs: BlobStore,
    /** Shared with the garbage collector, which holds a session while it removes it. */
    private readonly fence: SweepFence = new SweepFence(),
  ) {}

  async start(repository: string): Promise<UploadStatus> {
    const id = randomUUID();
    const info: UploadInfo = { repository, startedAt: new Date().toISOString() };
    // Not flushed to disk: the upload's bytes are not either until it completes.
    await this.driver.putContent(paths.uploadInfo(id), Buffer.from(JSON.stringify(info)), { durable: false });
    return { id, size: 0 };
  }

  async status(repository: string, id: string): Promise<UploadStatus> {
    await this.#info(repository, id);
    return { id, size: await this.#size(id) };
  }

  /** write appends a chunk (PATCH); a chunk with a range must start where the upload ends. */
  write(repository: string, id: string, body: Readable, range?: ChunkRange): Promise<UploadStatus> {
    return this.#exclusive(id, async () => {
      await this.#info(repository, id);
      return { id, size: await this.#append(repository, id, body, range) };
    });
  }

  /**
   * finish appends the last chunk, if there is a body (PUT), checks the whole upload against `digest` and
   * commits it. On a mismatch the upload is discarded.
   */
  finish(repository: string, id: string, digest: Digest, body: Readable | undefined, range?: ChunkRange): Promise<number> {
    return this.#exclusive(id, async () => {
      await this.#info(repository, id);
      const stored = await this.#size(id);
      // A one-request upload: hash with the algorithm the client names, as the bytes stream in.
      if (stored === 0) this.#hashes.set(id, newHashState(digest.algorithm));
      // The usual close after PATCHes has no body: nothing to append. An empty upload still gets its (empty) file.
      const size = body === undefined && stored > 0 ? stored : await this.#append(repository, id, body ?? Readable.from([]), range);
      const actual = await this.#digest(id, digest, size);
      if (actual !== digest.text) {
        await this.#discard(id);
        throw new RegistryError('DIGEST_INVALID', 400, `the upload's digest is ${actual}, not ${digest.text}; the upload was discarded`, {
          expected: digest.text,
          actual,
        });
      }
      try {
        await this.blobs.commit(repository, paths.uploadData(id), digest, size);
      } catch (err) {
        // A policy refused it (a quota): the client must push again once allowed, so keep nothing.
        if (err instanceof RegistryError) await this.#discard(id);
        throw err;
      }
      await this.#discard(id);
      return size;
    });
  }

  /** cancel discards an upload in progress. */
  cancel(repository: string, id: string): Promise<void> {
    return this.#exclusive(id, async () => {
      await this.#info(repository, id);
      await this.#discard(id);
    });
  }

  async #append(repository: string, id: string, body: Readable, range?: ChunkRange): Promise<number> {
    const size = await this.#size(id);
    if (range && range.start !== size) {
      // Nothing is written; the Range header tells the client where to resume.
      throw new RegistryError(
        'BLOB_UPLOAD_INVALID',
        416,
        `chunk ${range.start}-${range.end} is out of order: the upload has ${size} bytes, so the next chunk starts at ${size}`,
        { received: size },
        [],
        uploadHeaders(repository, { id, size }),
      );
    }
    let state = this.#hashes.get(id);
    if (state && state.bytes !== size) state = undefined;
    if (!state && size === 0) state = newHashState('sha256');
    this.#hashes.delete(id);
    const declared = range ? range.end - range.start + 1 : undefined;
    const tally = through(body, new Tally(state, declared));
    let newSize: number;
    try {
      newSize = await this.driver.append(paths.uploadData(id), tally);
    } catch (err) {
      if (err instanceof RegistryError) {
        await this.#discard(id);
        throw err;
      }
      // The client hung up: the bytes that landed stay, and it may resume. Storage failures are the server's (500).
      if (!body.destroyed || body.readableEnded) throw err;
      throw new RegistryError('BLOB_UPLOAD_INVALID', 400, `the upload was interrupted after ${tally.bytes} bytes: ${(err as Error).message}`);
    }
    if (declared !== undefined && tally.bytes !== declared) {
      await this.#discard(id);
      throw new RegistryError('SIZE_INVALID', 400, `the chunk has ${tally.bytes} bytes but its Content-Range declares ${declared}; the upload was discarded`);
    }
    if (state && (state.bytes += tally.bytes) === newSize) this.#hashes.set(id, state);
    return newSize;
  }

  async #digest(id: string, digest: Digest, size: number): Promise<string> {
    const state = this.#hashes.get(id);
    // A finished hash cannot take more bytes: it is used once.
    this.#hashes.delete(id);
    if (state && state.algorithm === digest.algorithm && state.bytes === size) return `${state.algorithm}:${state.hash.digest('hex')}`;
    return digestOf(await this.driver.reader(paths.uploadData(id)), digest.algorithm);
  }

  async #info(repository: string, id: string): Promise<UploadInfo> {
    if (!UPLOAD_ID.test(id)) throw uploadUnknown(id.slice(0, 100));
    let info: UploadInfo;
    try {
      info = JSON.parse((await this.driver.getContent(paths.uploadInfo(id))).toString()) as UploadInfo;
    } catch (err) {
      if (err instanceof PathNotFoundError) throw uploadUnknown(id);
      throw err;
    }
    if (info.repository !== repository) throw uploadUnknown(id);
    return info;
  }

  async #size(id: string): Promise<number> {
    return (await this.driver.stat(paths.uploadData(id)))?.size ?? 0;
  }

  async #discard(id: string): Promise<void> {
    this.#hashes.delete(id);
    await this.driver.delete(paths.upload(id));
  }

  /** One request at a time per upload: interleaved appends would corrupt it. */
  async #exclusive<T>(id: string, work: () => Promise<T>): Promise<T> {
    if (!this.fence.holdUpload(id)) {
      throw new RegistryError('BLOB_UPLOAD_INVALID', 409, `another request is writing to upload ${id}; wait for it to finish`);
    }
    try {
      return await work();
    } finally {
      this.fence.releaseUpload(id);
    }
  }
}

/** The headers that tell a client where an upload stands: its URL and the bytes received. */
export function uploadHeaders(repository: string, status: UploadStatus): Record<string, string> {
  return {
    Location: `/v2/${repository}/blobs/uploads/${status.id}`,
    // The spec's Range is inclusive; with nothing received, "0-0" is what clients expect.
    Range: `0-${Math.max(status.size - 1, 0)}`,
    'Docker-Upload-UUID': status.id,
  };
}
