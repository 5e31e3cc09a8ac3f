// Hashing and counting bytes as they stream to storage, so a blob's digest is known the moment
// its last byte lands, without a second read and without holding the blob in memory.

import { createHash, type Hash } from 'node:crypto';
import { finished, Transform, type Readable, type TransformCallback } from 'node:stream';
import { RegistryError } from '../distribution/errors.js';
import type { Algorithm } from '../distribution/names.js';

/** A running digest of the bytes of an upload so far. */
export interface HashState {
  algorithm: Algorithm;
  hash: Hash;
  bytes: number;
}

export const newHashState = (algorithm: Algorithm): HashState => ({ algorithm, hash: createHash(algorithm), bytes: 0 });

/** Passes bytes through, adding them to `state` (if any) and failing once more than `limit` arrive. */
export class Tally extends Transform {
  bytes = 0;

  constructor(
    private readonly state: HashState | undefined,
    private readonly limit?: number,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.limit !== undefined && this.bytes > this.limit) {
      done(new RegistryError('SIZE_INVALID', 400, `the body is longer than the ${this.limit} bytes its Content-Range declares`));
      return;
    }
    this.state?.hash.update(chunk);
    done(null, chunk);
  }
}

/**
 * through pipes `source` into `transform`, passing the source's failure along, including a
 * client that hangs up (its request closes without an error event).
 */
export function through<T extends Transform>(source: Readable, transform: T): T {
  finished(source, (err) => {
    if (err) transform.destroy(err);
  });
  source.pipe(transform);
  return transform;
}

/** digestOf hashes a whole stream (a stored upload whose running digest was lost or of another algorithm). */
export async function digestOf(stream: Readable, algorithm: Algorithm): Promise<string> {
  const hash = createHash(algorithm);
  for await (const chunk of stream) hash.update(chunk as Buffer);
  return `${algorithm}:${hash.digest('hex')}`;
}
