// A container's log as the engine returns it (GET /containers/{id}/logs with timestamps): a
// multiplexed stream of one frame per line, or for a TTY container a raw stream of lines, each
// line prefixed with its RFC 3339 timestamp. The parser is pure; engineLogs streams a response.

import type Dockerode from 'dockerode';
import { fixedTimestamp, nowFixed } from '../common/log-time.js';
import { StdcopyDecoder } from '../common/stdcopy.js';
import { LOG_MAX_LINE_BYTES } from '../types/index.js';

export interface EngineLine {
  ts: string;
  stream: 1 | 2;
  data: string;
}

/** EngineLogParser splits engine log chunks, cut anywhere, into lines. */
export class EngineLogParser {
  readonly #decoder = new StdcopyDecoder();
  #raw: Buffer = Buffer.alloc(0);

  constructor(private readonly tty: boolean) {}

  push(chunk: Buffer): EngineLine[] {
    if (!this.tty) return this.#decoder.push(chunk).map((f) => line(f.payload, f.stream === 1 ? 1 : 2));
    this.#raw = this.#raw.length === 0 ? chunk : Buffer.concat([this.#raw, chunk]);
    const lines: EngineLine[] = [];
    let at = 0;
    for (let nl = this.#raw.indexOf(10, at); nl >= 0; nl = this.#raw.indexOf(10, at)) {
      lines.push(line(this.#raw.subarray(at, nl + 1), 1));
      at = nl + 1;
    }
    this.#raw = this.#raw.subarray(at);
    // A TTY line without its newline yet is held; one longer than the limit is let out as is.
    if (this.#raw.length > LOG_MAX_LINE_BYTES) lines.push(...this.end());
    return lines;
  }

  /** end returns a last, unterminated TTY line, if any. */
  end(): EngineLine[] {
    const rest = this.#raw;
    this.#raw = Buffer.alloc(0);
    return rest.length > 0 ? [line(rest, 1)] : [];
  }
}

/** line reads "<timestamp> <text>"; text beyond LOG_MAX_LINE_BYTES is cut. */
function line(payload: Buffer, stream: 1 | 2): EngineLine {
  const space = payload.indexOf(32);
  const ts = space > 0 ? fixedTimestamp(payload.toString('latin1', 0, space)) : undefined;
  const body = ts ? payload.subarray(space + 1) : payload;
  const data = body.length > LOG_MAX_LINE_BYTES ? body.subarray(0, LOG_MAX_LINE_BYTES).toString() + '\n' : body.toString();
  return { ts: ts ?? nowFixed(), stream, data };
}

export interface EngineLogOptions {
  tty: boolean;
  follow: boolean;
  /** Only the last `tail` lines. */
  tail?: number;
  signal: AbortSignal;
}

/**
 * engineLogs yields a container's log lines in the engine's order, a batch per chunk read; with
 * follow it goes on until the container stops. Breaking out of the loop closes the request.
 */
export async function* engineLogs(docker: Dockerode, containerId: string, opts: EngineLogOptions): AsyncGenerator<EngineLine[]> {
  const res = await new Promise<NodeJS.ReadableStream & { destroy(): void }>((resolve, reject) =>
    docker.modem.dial(
      {
        path: `/containers/${encodeURIComponent(containerId)}/logs?`,
        method: 'GET',
        isStream: true,
        abortSignal: opts.signal,
        options: { follow: opts.follow, stdout: true, stderr: true, timestamps: true, ...(opts.tail !== undefined && { tail: opts.tail }) },
        statusCodes: { 200: true, 404: 'no such container', 500: 'server error' },
      },
      (err, res) => (err ? reject(err) : resolve(res as NodeJS.ReadableStream & { destroy(): void })),
    ),
  );
  const parser = new EngineLogParser(opts.tty);
  try {
    for await (const chunk of res) {
      const lines = parser.push(chunk as Buffer);
      if (lines.length > 0) yield lines;
    }
    const last = parser.end();
    if (last.length > 0) yield last;
  } finally {
    res.destroy();
  }
}
