// A container's log as the engine returns it (GET /containers/{id}/logs with timestamps): a
// multiplexed stream of one frame per record, or for a TTY container a raw stream of lines, each
// record prefixed with its RFC 3339 timestamp. Engines cut lines into several records (Podman
// where a pipe read ended, Docker at 16 KiB): a record without its newline is joined with the
// next ones of its stream, so a line is what the container wrote. The line still open at the
// end of a read is held back unless the log is final (the container stopped): the next read
// then counts it once, whole, which keeps line numbers the same from one read to the next.
// A line longer than LOG_MAX_LINE_BYTES comes out in pieces of that size.

import type Dockerode from 'dockerode';
import { fixedTimestamp, nowFixed } from '../../common/log-time.js';
import { StdcopyDecoder } from '../../common/stdcopy.js';
import { LOG_MAX_LINE_BYTES } from '../../types/index.js';

export interface EngineLine {
  ts: string;
  stream: 1 | 2;
  data: string;
}

/** Longest timestamp prefix looked for at the start of a TTY line. */
const MAX_PREFIX = 40;

/** EngineLogParser splits engine log chunks, cut anywhere, into lines. */
export class EngineLogParser {
  readonly #decoder = new StdcopyDecoder();
  /** TTY bytes not yet part of a line (a timestamp prefix still incomplete). */
  #raw: Buffer = Buffer.alloc(0);
  /** A line still open, per stream: its timestamp and the text so far. */
  readonly #open = new Map<1 | 2, { ts: string; parts: Buffer[]; size: number }>();

  constructor(private readonly tty: boolean) {}

  push(chunk: Buffer): EngineLine[] {
    const lines: EngineLine[] = [];
    if (!this.tty) {
      for (const f of this.#decoder.push(chunk)) {
        const { ts, body } = record(f.payload);
        this.#append(f.stream === 1 ? 1 : 2, ts, body, lines);
      }
      return lines;
    }
    // A TTY log is raw text: each line starts with its timestamp.
    this.#raw = this.#raw.length === 0 ? chunk : Buffer.concat([this.#raw, chunk]);
    while (this.#raw.length > 0) {
      let ts = this.#open.get(1)?.ts;
      if (ts === undefined) {
        const space = this.#raw.subarray(0, MAX_PREFIX).indexOf(32);
        if (space < 0 && this.#raw.length < MAX_PREFIX) break;
        const r = record(this.#raw);
        ts = r.ts;
        this.#raw = r.body;
      }
      const nl = this.#raw.indexOf(10);
      const end = nl < 0 ? this.#raw.length : nl + 1;
      this.#append(1, ts, this.#raw.subarray(0, end), lines);
      this.#raw = this.#raw.subarray(end);
    }
    return lines;
  }

  /** end returns the lines still open: call it only when the log is final. */
  end(): EngineLine[] {
    const lines: EngineLine[] = [];
    if (this.#raw.length > 0) {
      const { ts, body } = record(this.#raw);
      this.#raw = Buffer.alloc(0);
      this.#append(1, ts, body, lines);
    }
    for (const stream of [...this.#open.keys()]) lines.push(this.#close(stream));
    return lines;
  }

  /**
   * #append adds text to the stream's open line: a newline closes it, and a line beyond the
   * limit goes out in pieces of the limit (cut by offset from its start, so every read cuts it
   * the same way).
   */
  #append(stream: 1 | 2, ts: string, body: Buffer, lines: EngineLine[]): void {
    const open = this.#open.get(stream) ?? { ts, parts: [], size: 0 };
    open.parts.push(body);
    open.size += body.length;
    this.#open.set(stream, open);
    while (open.size > LOG_MAX_LINE_BYTES) {
      const all = Buffer.concat(open.parts);
      lines.push({ ts: open.ts, stream, data: all.subarray(0, LOG_MAX_LINE_BYTES).toString() });
      open.parts = [all.subarray(LOG_MAX_LINE_BYTES)];
      open.size = all.length - LOG_MAX_LINE_BYTES;
    }
    if (body[body.length - 1] === 10) lines.push(this.#close(stream));
  }

  #close(stream: 1 | 2): EngineLine {
    const open = this.#open.get(stream)!;
    this.#open.delete(stream);
    return { ts: open.ts, stream, data: Buffer.concat(open.parts).toString() };
  }
}

/** record splits "<timestamp> <text>" (a record without a timestamp is stamped now). */
function record(payload: Buffer): { ts: string; body: Buffer } {
  const space = payload.subarray(0, MAX_PREFIX).indexOf(32);
  const ts = space > 0 ? fixedTimestamp(payload.toString('latin1', 0, space)) : undefined;
  return { ts: ts ?? nowFixed(), body: ts ? payload.subarray(space + 1) : payload };
}

export interface EngineLogOptions {
  tty: boolean;
  follow: boolean;
  /** The log is final (the container has stopped): a last line without newline is a line. */
  final: boolean;
  signal: AbortSignal;
  /** Without follow: how long the engine may stay silent (default ENGINE_IDLE_MS). */
  idleMs?: number;
}

/** How long a read that does not follow may wait for the engine's next bytes. */
export const ENGINE_IDLE_MS = 30_000;

/** The engine stopped answering a log read; retried like a dropped connection. */
export class EngineTimeout extends Error {
  readonly code = 'ETIMEDOUT';
}

type Response = AsyncIterable<Buffer> & { destroy(): void };

/**
 * engineLogs yields a container's log lines in the engine's order, a batch per chunk read; with
 * follow it goes on until the container stops. Without follow, an engine silent for
 * ENGINE_IDLE_MS fails the read (EngineTimeout), so a stuck engine cannot hang readers; time
 * spent by the caller between batches does not count. Breaking out of the loop closes the request.
 */
export async function* engineLogs(docker: Dockerode, containerId: string, opts: EngineLogOptions): AsyncGenerator<EngineLine[]> {
  const request = new AbortController();
  const abort = (): void => request.abort();
  opts.signal.addEventListener('abort', abort, { once: true });
  const idle = opts.follow ? undefined : (opts.idleMs ?? ENGINE_IDLE_MS);
  let res: Response | undefined;
  try {
    const dial = new Promise<Response>((resolve, reject) =>
      docker.modem.dial(
        {
          path: `/containers/${encodeURIComponent(containerId)}/logs?`,
          method: 'GET',
          isStream: true,
          abortSignal: request.signal,
          options: { follow: opts.follow, stdout: true, stderr: true, timestamps: true },
          statusCodes: { 200: true, 404: 'no such container', 500: 'server error' },
        },
        (err, r) => (err ? reject(err) : resolve(r as Response)),
      ),
    );
    res = await within(dial, idle, abort);
    const chunks = res[Symbol.asyncIterator]();
    const parser = new EngineLogParser(opts.tty);
    const destroy = (): void => res?.destroy();
    for (;;) {
      const next = await within(chunks.next(), idle, destroy);
      if (next.done) break;
      const lines = parser.push(next.value);
      if (lines.length > 0) yield lines;
    }
    if (opts.final) {
      const last = parser.end();
      if (last.length > 0) yield last;
    }
  } finally {
    opts.signal.removeEventListener('abort', abort);
    res?.destroy();
  }
}

/** within settles like `p`, or fails with EngineTimeout (after calling onTimeout) once `ms` pass. */
function within<T>(p: Promise<T>, ms: number | undefined, onTimeout: () => void): Promise<T> {
  if (ms === undefined) return p;
  p.catch(() => {}); // settles after a timeout too; nobody waits for it then
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      onTimeout();
      reject(new EngineTimeout(`the container engine sent nothing for ${ms / 1000} s`));
    }, ms);
  });
  return Promise.race([p, expired]).finally(() => clearTimeout(timer));
}
