// The default storage driver: objects are files under a root directory. Whole-object writes go to
// a temporary file that is fsynced and renamed into place, so a crash leaves the old object or
// the new one. Empty directories are pruned after deletes, so a prefix exists exactly while it
// has objects below it, as on an object store.

import { randomUUID } from 'node:crypto';
import { closeSync, createReadStream, fstat as fstatCallback, open as openCallback, type WriteStream } from 'node:fs';
import { mkdir, open, readFile, readdir, rename, rm, rmdir, stat, type FileHandle } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import { fileSource } from './file-source.js';
import { PathNotFoundError, type FileInfo, type ObjectSource, type StorageDriver } from './storage-driver.js';

// Streamed reads (digests of uploads) go in 2 MiB pieces through callback-style fs reads: per-piece
// overhead dominates below that size. Blobs sent to clients go through source() (file-source.ts).
const READ_CHUNK = 2 * 1024 * 1024;
const openFd = promisify(openCallback);
const fstat = promisify(fstatCallback);

/** Temporary files of whole-object writes; left-overs of a crash are removed at the next open. */
const TMP = '.tmp';
const STALE_TMP_MS = 60 * 60 * 1000;

const errCode = (err: unknown): string | undefined => (err as NodeJS.ErrnoException).code;
const missing = (err: unknown): boolean => ['ENOENT', 'ENOTDIR', 'EISDIR'].includes(errCode(err) ?? '');

export class FilesystemDriver implements StorageDriver {
  private constructor(readonly root: string) {}

  static async open(root: string): Promise<FilesystemDriver> {
    await mkdir(join(root, TMP), { recursive: true, mode: 0o700 });
    const driver = new FilesystemDriver(root);
    await driver.#sweepTmp();
    return driver;
  }

  async getContent(path: string): Promise<Buffer> {
    try {
      return await readFile(this.#abs(path));
    } catch (err) {
      if (missing(err)) throw new PathNotFoundError(path);
      throw err;
    }
  }

  async putContent(path: string, content: Buffer, opts: { durable?: boolean } = {}): Promise<void> {
    const durable = opts.durable ?? true;
    const target = this.#abs(path);
    const tmp = join(this.root, TMP, randomUUID());
    const fh = await open(tmp, 'w', 0o600);
    try {
      await fh.writeFile(content);
      if (durable) await fh.sync();
    } finally {
      await fh.close();
    }
    try {
      await this.#withParent(target, () => rename(tmp, target));
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
    if (durable) await syncDir(dirname(target));
  }

  async reader(path: string, offset = 0, length?: number): Promise<Readable> {
    // createReadStream has no empty range: it would read to the end.
    if (length === 0) return (await this.stat(path)) ? Readable.from([]) : Promise.reject(new PathNotFoundError(path));
    const fd = await this.#openRead(path);
    const end = length === undefined ? undefined : offset + length - 1;
    return createReadStream('', { fd, start: offset, end, highWaterMark: READ_CHUNK });
  }

  async #openRead(path: string): Promise<number> {
    try {
      return await openFd(this.#abs(path), 'r');
    } catch (err) {
      if (missing(err)) throw new PathNotFoundError(path);
      throw err;
    }
  }

  async source(path: string, offset = 0, length?: number): Promise<ObjectSource> {
    const fd = await this.#openRead(path);
    if (length !== undefined) return fileSource(fd, offset, offset + length);
    try {
      return fileSource(fd, offset, (await fstat(fd)).size);
    } catch (err) {
      closeSync(fd);
      throw err;
    }
  }

  async append(path: string, source: Readable): Promise<number> {
    const target = this.#abs(path);
    // The source may fail (a client hanging up) while the file is being opened.
    let early: unknown;
    const onError = (err: unknown): void => {
      early ??= err;
    };
    source.on('error', onError);
    let file: { out: WriteStream; fh: FileHandle };
    try {
      file = await this.#withParent(target, () => openAppend(target));
    } finally {
      source.off('error', onError);
    }
    if (early !== undefined || source.errored) {
      file.out.destroy();
      throw early ?? source.errored;
    }
    await pipeline(source, writeBehind(file.fh), file.out);
    return (await stat(target)).size;
  }

  async stat(path: string): Promise<FileInfo | undefined> {
    try {
      const s = await stat(this.#abs(path));
      return { size: s.isDirectory() ? 0 : s.size, modifiedAt: s.mtime, isDirectory: s.isDirectory() };
    } catch (err) {
      if (missing(err)) return undefined;
      throw err;
    }
  }

  async list(path: string): Promise<string[]> {
    try {
      return (await readdir(this.#abs(path))).filter((n) => n !== TMP).sort();
    } catch (err) {
      if (missing(err)) return [];
      throw err;
    }
  }

  async move(from: string, to: string): Promise<void> {
    const source = this.#abs(from);
    const target = this.#abs(to);
    try {
      const fh = await open(source, 'r');
      try {
        await fh.sync();
      } finally {
        await fh.close();
      }
    } catch (err) {
      if (missing(err)) throw new PathNotFoundError(from);
      throw err;
    }
    await this.#withParent(target, () => rename(source, target));
    await syncDir(dirname(target));
    await this.#prune(dirname(source));
  }

  async delete(path: string): Promise<void> {
    const target = this.#abs(path);
    await rm(target, { recursive: true, force: true });
    await this.#prune(dirname(target));
  }

  #abs(path: string): string {
    const parts = path.split('/');
    if (path === '' || parts.some((p) => p === '' || p === '.' || p === '..' || p.includes('\0')) || parts[0] === TMP) {
      throw new Error(`storage: invalid path "${path}"`);
    }
    return join(this.root, ...parts);
  }

  /** Runs a write whose parent directory must exist; a concurrent prune may remove it between mkdir and the write. */
  async #withParent<T>(target: string, write: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      await mkdir(dirname(target), { recursive: true });
      try {
        return await write();
      } catch (err) {
        if (errCode(err) !== 'ENOENT' || attempt >= 5) throw err;
      }
    }
  }

  /** Removes empty directories from `dir` up to the root. */
  async #prune(dir: string): Promise<void> {
    while (dir.startsWith(this.root) && dir !== this.root) {
      try {
        await rmdir(dir);
      } catch {
        return; // not empty (or already gone): parents are not empty either
      }
      dir = dirname(dir);
    }
  }

  async #sweepTmp(): Promise<void> {
    const dir = join(this.root, TMP);
    for (const name of await readdir(dir)) {
      const s = await stat(join(dir, name)).catch(() => undefined);
      if (s && Date.now() - s.mtimeMs > STALE_TMP_MS) await rm(join(dir, name), { force: true });
    }
  }
}

async function openAppend(path: string): Promise<{ out: WriteStream; fh: FileHandle }> {
  const fh = await open(path, 'a', 0o600);
  return { out: fh.createWriteStream({ highWaterMark: 256 * 1024 }), fh };
}

/** Bytes appended before the first background flush, doubling after each up to the maximum (see writeBehind). */
const FIRST_FLUSH_BYTES = 1024 * 1024;
const MAX_FLUSH_BYTES = 16 * 1024 * 1024;

/**
 * writeBehind passes an upload's bytes through and starts flushing what the file holds so far to
 * disk in the background (one flush at a time), so the fsync that commits the finished upload
 * (move) finds little left to write, instead of the client waiting for the whole blob to reach the
 * disk after its last byte. The gap between flushes doubles from 1 MiB to 16 MiB: a small layer
 * is nearly on disk when it ends (the commit of an 8 MiB layer went from 13 to 7 ms here), and a
 * big one is not slowed by a flush every few MiB.
 */
function writeBehind(fh: FileHandle): Transform {
  let sinceFlush = 0;
  let gap = FIRST_FLUSH_BYTES;
  let flushing = false;
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      sinceFlush += chunk.length;
      if (sinceFlush >= gap && !flushing) {
        sinceFlush = 0;
        gap = Math.min(gap * 2, MAX_FLUSH_BYTES);
        flushing = true;
        // Failures surface at the committing fsync; this one only gets ahead of it.
        fh.datasync().then(
          () => (flushing = false),
          () => (flushing = false),
        );
      }
      done(null, chunk);
    },
  });
}

async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}
