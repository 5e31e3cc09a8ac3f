// Docker's multiplexed stream ("stdcopy"): each frame is an 8-byte header — the stream (0 stdin,
// 1 stdout, 2 stderr, 3 the daemon's own error), three zero bytes, the payload length as a
// big-endian uint32 — then the payload. Engines send container logs this way unless the
// container has a TTY; the Engine API sends service logs the same way to the docker CLI.

export type StdStream = 0 | 1 | 2 | 3;

export const STDOUT: StdStream = 1;
export const STDERR: StdStream = 2;
export const SYSTEMERR: StdStream = 3;

const HEADER = 8;

/** frame encodes one payload as a frame of the given stream. */
export function frame(stream: StdStream, payload: Buffer | string): Buffer {
  const body = typeof payload === 'string' ? Buffer.from(payload) : payload;
  const header = Buffer.alloc(HEADER);
  header[0] = stream;
  header.writeUInt32BE(body.length, 4);
  return Buffer.concat([header, body]);
}

export interface Frame {
  stream: StdStream;
  payload: Buffer;
}

/** StdcopyDecoder turns chunks of a multiplexed stream, cut anywhere, into whole frames. */
export class StdcopyDecoder {
  #pending: Buffer = Buffer.alloc(0);

  constructor(private readonly maxPayload = 16 * 2 ** 20) {}

  /** push adds a chunk and returns the frames it completes. */
  push(chunk: Buffer): Frame[] {
    this.#pending = this.#pending.length === 0 ? chunk : Buffer.concat([this.#pending, chunk]);
    const frames: Frame[] = [];
    let at = 0;
    while (this.#pending.length - at >= HEADER) {
      const stream = this.#pending[at]!;
      if (stream > 3) throw new Error(`not a multiplexed stream: frame header names stream ${stream}`);
      const size = this.#pending.readUInt32BE(at + 4);
      if (size > this.maxPayload) throw new Error(`log frame of ${size} bytes exceeds the ${this.maxPayload}-byte limit`);
      if (this.#pending.length - at < HEADER + size) break;
      frames.push({ stream: stream as StdStream, payload: this.#pending.subarray(at + HEADER, at + HEADER + size) });
      at += HEADER + size;
    }
    this.#pending = this.#pending.subarray(at);
    return frames;
  }

  /** Bytes of an incomplete frame still held (a stream that ends with some is truncated). */
  get buffered(): number {
    return this.#pending.length;
  }
}
