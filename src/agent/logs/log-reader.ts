// One task's part of a log subscription on the agent: sends the task's history (the lines that
// existed when the subscription came: from the ring, or from the engine for older ones), then,
// when following, new lines from the ring as they come. At most LOG_WINDOW_BYTES are sent
// before the manager acknowledges them, so a slow reader never makes the agent or the manager
// hold more. History is always complete; a follower slower than the container loses the lines
// that scroll out of the ring, and is told how many.

import type { Logger } from '../../common/log.js';
import { LOG_MAX_BATCH_LINES, LOG_WINDOW_BYTES, logLineCost } from '../../types/index.js';
import type { LogSubscriptionOptions, LogWireLine, LogsMessage } from '../../types/index.js';
import type { LogCollector } from './log-collector.js';
import { Wakeup } from '../tasks/wakeup.js';

/** Where a reader finds its task's collector; it may appear later (a task not started yet). */
export interface CollectorSource {
  current(): LogCollector | undefined;
  onChange(fn: () => void): () => void;
}

export interface LogReaderOptions {
  sub: string;
  taskId: string;
  options: LogSubscriptionOptions;
  /** Resume after this seq (a re-subscription after a reconnect) instead of tail/since. */
  after?: number;
  source: CollectorSource;
  send(msg: LogsMessage): void;
  /** Called once the reader has sent its end or was cancelled. */
  onEnd(): void;
  log: Logger;
}

const BATCH_BYTES = 32 * 1024;
const DROP_LOG_EVERY_MS = 10_000;

export class LogReader {
  readonly #wake = new Wakeup();
  readonly #abort = new AbortController();
  #credit = LOG_WINDOW_BYTES;
  #batch: LogWireLine[] = [];
  #batchCost = 0;
  #dropped = 0;
  #historyDone = false;
  #ended = false;
  #silent = false;
  #unlisten: (() => void)[] = [];
  #droppedUnlogged = 0;
  #lastDropLog = 0;

  constructor(private readonly opts: LogReaderOptions) {
    this.#unlisten.push(opts.source.onChange(() => this.#wake.kick()));
    void this.#run();
  }

  /** ack returns window the manager has passed on. */
  ack(bytes: number): void {
    this.#credit = Math.min(LOG_WINDOW_BYTES, this.#credit + bytes);
    this.#wake.kick();
  }

  /** cancel stops at once and sends nothing more (the manager has gone away from it). */
  cancel(): void {
    this.#silent = true;
    this.#abort.abort();
    this.#wake.kick();
    this.#end();
  }

  /** close stops and tells the manager that nothing more comes for the task (it was removed). */
  close(): void {
    this.#abort.abort();
    this.#wake.kick();
    this.#end();
  }

  get #cancelled(): boolean {
    return this.#abort.signal.aborted;
  }

  async #run(): Promise<void> {
    try {
      const { follow, tail } = this.opts.options;
      let c = this.opts.source.current();
      if (!c) {
        if (!follow) return this.#end();
        // Nothing existed yet, so there is no history: every line to come is live.
        this.#flush({ historyDone: true });
        c = await this.#collector();
        if (!c) return this.#end();
        this.#unlisten.push(c.onChange(() => this.#wake.kick()));
        return await this.#follow(c, (this.opts.after ?? 0) + 1);
      }
      this.#unlisten.push(c.onChange(() => this.#wake.kick()));
      await Promise.race([c.caughtUp, this.#cancelledPromise()]);
      if (this.#cancelled) return this.#end();
      if (c.error) return this.#end(c.error);
      const until = c.lastSeq;
      const from = this.opts.after !== undefined ? this.opts.after + 1 : tail !== undefined ? Math.max(1, until - tail + 1) : 1;
      const next = await this.#history(c, from, until);
      this.#flush({ historyDone: true });
      if (!follow) return this.#end();
      await this.#follow(c, next);
    } catch (err) {
      if (!this.#cancelled) this.opts.log.warn({ task: this.opts.taskId, err: (err as Error).message }, 'reading task logs failed');
      this.#end(`reading the logs failed: ${(err as Error).message}`);
    }
  }

  /** #history sends lines from..until: from the ring when it still holds them, else from the engine. */
  async #history(c: LogCollector, from: number, until: number): Promise<number> {
    let next = from;
    const since = this.opts.options.since;
    while (next <= until && !this.#cancelled) {
      if (next >= c.ring.firstSeq) next = await this.#fromRing(c, next, until);
      else if (since !== undefined && c.ring.firstTs !== undefined && since > c.ring.firstTs) {
        // Engine timestamps only grow: lines older than the ring's oldest cannot pass `since`.
        next = c.ring.firstSeq;
      } else next = await this.#fromEngine(c, next, until);
    }
    return next;
  }

  /** #follow sends new lines as the collector reads them, until it is done or the reader is cancelled. */
  async #follow(c: LogCollector, from: number): Promise<void> {
    let next = from;
    while (!this.#cancelled) {
      if (c.error) return this.#end(c.error);
      if (next < c.ring.firstSeq) {
        // A finished log is whole in the engine; a running one has moved on: those lines are lost.
        if (c.done) {
          next = await this.#fromEngine(c, next, c.lastSeq);
        } else {
          this.#drop(c.ring.firstSeq - next);
          next = c.ring.firstSeq;
        }
        this.#flush();
        continue;
      }
      next = await this.#fromRing(c, next);
      this.#flush();
      if (next < c.ring.firstSeq || this.#cancelled) continue;
      if (c.done && next > c.lastSeq) return this.#end();
      if (next > c.lastSeq) await this.#wake.wait();
    }
    this.#end();
  }

  /** #fromRing sends lines from `from` while the ring holds them and the window allows. */
  async #fromRing(c: LogCollector, from: number, until = Infinity): Promise<number> {
    let next = from;
    while (await this.#hasCredit()) {
      const { dropped, lines } = c.ring.read(next, Math.min(BATCH_BYTES, this.#credit), until);
      if (dropped > 0 || lines.length === 0) break; // evicted while waiting: the caller decides
      for (const l of lines) this.#add(l);
      next = lines[lines.length - 1]!.seq + 1;
    }
    return next;
  }

  /**
   * #fromEngine reads lines from..until from the engine, handing over to the ring once it holds
   * them. Lines the engine no longer has either (a rotated log) are reported as dropped.
   */
  async #fromEngine(c: LogCollector, from: number, until: number): Promise<number> {
    let next = from;
    const signal = this.#abort.signal;
    read: for await (const batch of c.lines(signal)) {
      for (const l of batch) {
        if (l.seq < next) continue;
        if (l.seq > until || (!c.done && l.seq >= c.ring.firstSeq)) break read;
        this.#add(l);
        next = l.seq + 1;
        if (!(await this.#hasCredit())) return next;
      }
    }
    if (next === from && !this.#cancelled) {
      const lost = Math.min(c.done ? until + 1 : c.ring.firstSeq, until + 1) - next;
      if (lost > 0) this.#drop(lost);
      return next + Math.max(0, lost);
    }
    return next;
  }

  /** #collector waits for the task's container to start. */
  async #collector(): Promise<LogCollector | undefined> {
    for (;;) {
      const c = this.opts.source.current();
      if (c || this.#cancelled) return c;
      await this.#wake.wait();
    }
  }

  #add(l: LogWireLine): void {
    const { stdout, stderr, since } = this.opts.options;
    if (l.stream === 1 ? !stdout : !stderr) return;
    if (since !== undefined && l.ts < since) return;
    this.#batch.push(l);
    this.#batchCost += logLineCost(l);
    if (this.#batchCost >= Math.min(BATCH_BYTES, this.#credit) || this.#batch.length >= LOG_MAX_BATCH_LINES) this.#flush();
  }

  /** #drop records lines lost just after the ones already batched. */
  #drop(n: number): void {
    if (n <= 0) return;
    this.#flush();
    this.#dropped += n;
    this.#droppedUnlogged += n;
    const now = Date.now();
    if (now - this.#lastDropLog >= DROP_LOG_EVERY_MS) {
      this.opts.log.warn(
        { task: this.opts.taskId, sub: this.opts.sub, dropped: this.#droppedUnlogged },
        'log reader fell behind the task\'s log buffer: lines dropped for it',
      );
      this.#droppedUnlogged = 0;
      this.#lastDropLog = now;
    }
  }

  /** #hasCredit waits until the manager lets more through; false once cancelled. */
  async #hasCredit(): Promise<boolean> {
    while (this.#credit - this.#batchCost <= 0 && !this.#cancelled) {
      this.#flush();
      await this.#wake.wait();
    }
    return !this.#cancelled;
  }

  #flush(flags: { historyDone?: boolean; end?: boolean; error?: string } = {}): void {
    if (this.#silent || (this.#cancelled && !flags.end)) return;
    if (flags.historyDone) this.#historyDone = true;
    if (this.#batch.length === 0 && this.#dropped === 0 && !flags.historyDone && !flags.end) return;
    const msg: LogsMessage = { type: 'logs', sub: this.opts.sub, taskId: this.opts.taskId, lines: this.#batch };
    if (this.#dropped > 0) msg.dropped = this.#dropped;
    if (flags.historyDone || (flags.end && !this.#historyDone)) msg.historyDone = true;
    if (flags.end) msg.end = true;
    if (flags.error) msg.error = flags.error;
    this.#credit -= this.#batchCost;
    this.#batch = [];
    this.#batchCost = 0;
    this.#dropped = 0;
    this.opts.send(msg);
  }

  #end(error?: string): void {
    if (this.#ended) return;
    this.#ended = true;
    if (this.#droppedUnlogged > 0) {
      this.opts.log.warn({ task: this.opts.taskId, sub: this.opts.sub, dropped: this.#droppedUnlogged }, 'log lines dropped for a slow reader');
      this.#droppedUnlogged = 0;
    }
    this.#flush({ end: true, ...(error !== undefined && { error }) });
    for (const off of this.#unlisten) off();
    this.#unlisten = [];
    this.opts.onEnd();
  }

  #cancelledPromise(): Promise<void> {
    return new Promise((resolve) => {
      if (this.#cancelled) resolve();
      else this.#abort.signal.addEventListener('abort', () => resolve(), { once: true });
    });
  }
}
