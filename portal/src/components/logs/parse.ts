// Reads the Engine's log stream as `docker service logs` does: 8-byte frame headers (stream,
// size) unless the service has a TTY, then per line "<timestamp> <details> <text>" with the
// task's node, service and task IDs in the details (timestamps=1&details=1).

export interface LogLine {
  /** RFC 3339 with nanoseconds, as the Engine sends it: sorts as text. */
  time: string;
  stream: 'stdout' | 'stderr';
  node: string;
  service: string;
  task: string;
  text: string;
}

/** FrameReader turns chunks of a multiplexed (or raw) stream into complete lines. */
export class FrameReader {
  private pending = new Uint8Array(0);
  private partial: Record<'stdout' | 'stderr', string> = { stdout: '', stderr: '' };
  private readonly decoder = new TextDecoder();

  constructor(private readonly mux: boolean) {}

  push(chunk: Uint8Array): LogLine[] {
    if (!this.mux) return this.text('stdout', this.decoder.decode(chunk, { stream: true }));
    const joined = new Uint8Array(this.pending.length + chunk.length);
    joined.set(this.pending);
    joined.set(chunk, this.pending.length);
    const out: LogLine[] = [];
    let at = 0;
    while (joined.length - at >= 8) {
      const size = new DataView(joined.buffer, joined.byteOffset + at + 4, 4).getUint32(0);
      if (joined.length - at - 8 < size) break;
      const kind = joined[at];
      const payload = new TextDecoder().decode(joined.subarray(at + 8, at + 8 + size));
      // Stream 3 is the daemon's own error ("Error grabbing logs: ..."): shown as stderr.
      out.push(...this.text(kind === 1 ? 'stdout' : 'stderr', payload));
      at += 8 + size;
    }
    this.pending = joined.slice(at);
    return out;
  }

  private text(stream: 'stdout' | 'stderr', s: string): LogLine[] {
    const parts = (this.partial[stream] + s).split('\n');
    this.partial[stream] = parts.pop() ?? '';
    return parts.map((l) => parseLine(l, stream));
  }
}

export function parseLine(raw: string, stream: 'stdout' | 'stderr'): LogLine {
  const line: LogLine = { time: '', stream, node: '', service: '', task: '', text: raw };
  const sp = raw.indexOf(' ');
  if (sp > 0 && /^\d{4}-\d\d-\d\dT/.test(raw)) {
    line.time = raw.slice(0, sp);
    line.text = raw.slice(sp + 1);
  }
  // The details come first when asked for: k=v pairs, comma-separated, query-escaped.
  const m = /^(com\.docker\.swarm\.[^ ]*) /.exec(line.text);
  if (m) {
    for (const pair of m[1]!.split(',')) {
      const [k, v = ''] = pair.split('=');
      const value = decodeURIComponent(v.replace(/\+/g, ' '));
      if (k === 'com.docker.swarm.node.id') line.node = value;
      else if (k === 'com.docker.swarm.service.id') line.service = value;
      else if (k === 'com.docker.swarm.task.id') line.task = value;
    }
    line.text = line.text.slice(m[0].length);
  }
  return line;
}
