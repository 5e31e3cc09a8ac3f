// One task's recent log lines, numbered: line n of the container's log (as the engine returns it)
// has seq n. The ring holds the newest lines within a line and a byte bound; older ones are
// evicted, never blocking the writer. A reader that asks for evicted lines is told how many it
// lost, so nothing disappears unannounced.

import type { LogWireLine } from '../../types/index.js';

export interface RingRead {
  /** Lines the reader asked for that the ring no longer holds (they were before `lines`). */
  dropped: number;
  lines: LogWireLine[];
}

export class LogRing {
  #slots: (LogWireLine | undefined)[];
  #first = 1;
  #last = 0;
  #bytes = 0;

  constructor(
    readonly maxLines: number,
    readonly maxBytes: number,
  ) {
    this.#slots = new Array<LogWireLine | undefined>(maxLines);
  }

  /** The oldest seq held; lastSeq + 1 when the ring is empty. */
  get firstSeq(): number {
    return this.#first;
  }

  /** The newest seq ever pushed (0 before the first line). */
  get lastSeq(): number {
    return this.#last;
  }

  get size(): number {
    return this.#last - this.#first + 1;
  }

  get bytes(): number {
    return this.#bytes;
  }

  /** The timestamp of the oldest line held. */
  get firstTs(): string | undefined {
    return this.size > 0 ? this.#at(this.#first).ts : undefined;
  }

  /** push appends the next line (seq lastSeq + 1), evicting the oldest ones beyond the bounds. */
  push(ts: string, stream: 1 | 2, data: string): LogWireLine {
    if (this.size >= this.maxLines) this.#evict(); // frees the slot the new line takes
    const line: LogWireLine = { seq: this.#last + 1, ts, stream, data };
    this.#last = line.seq;
    this.#slots[line.seq % this.maxLines] = line;
    this.#bytes += data.length;
    while (this.#bytes > this.maxBytes && this.size > 1) this.#evict();
    return line;
  }

  /**
   * read returns lines from seq `from` on, at most up to seq `until`, stopping once `maxBytes`
   * of data are taken (at least one line is, however long).
   */
  read(from: number, maxBytes: number, until = Infinity): RingRead {
    const start = Math.max(from, this.#first);
    const dropped = Math.max(0, Math.min(this.#first, until + 1) - from);
    const lines: LogWireLine[] = [];
    let taken = 0;
    for (let seq = start; seq <= Math.min(this.#last, until) && (lines.length === 0 || taken < maxBytes); seq++) {
      const line = this.#at(seq);
      lines.push(line);
      taken += line.data.length;
    }
    return { dropped, lines };
  }

  /** release frees every line; numbering goes on from lastSeq. */
  release(): void {
    this.#slots = new Array<LogWireLine | undefined>(this.maxLines);
    this.#first = this.#last + 1;
    this.#bytes = 0;
  }

  #at(seq: number): LogWireLine {
    return this.#slots[seq % this.maxLines]!;
  }

  #evict(): void {
    this.#bytes -= this.#at(this.#first).data.length;
    this.#slots[this.#first % this.maxLines] = undefined;
    this.#first++;
  }
}
