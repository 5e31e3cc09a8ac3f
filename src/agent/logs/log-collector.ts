// Follows one task container's log from the engine into a LogRing, numbering the lines in the
// engine's order. Every pass reads the log from its start and skips the lines already numbered,
// so numbers stay the same across reconnects and agent restarts (seq n is line n of the log).
// For a running container the first pass does not follow: when it ends, every line that existed
// is numbered ("caught up"); then passes follow while it runs, and a last pass after it stops
// picks up anything a follow missed. A stopped container's log is read once. Reading never
// slows the container: the engine keeps its log, and the ring drops its oldest lines.

import { setTimeout as delay } from 'node:timers/promises';
import type Dockerode from 'dockerode';
import type { Logger } from '../../common/log.js';
import type { LogWireLine } from '../../types/index.js';
import { engineMessage, isGone, isTemporary } from '../engine/engine-errors.js';
import { ENGINE_IDLE_MS, EngineTimeout, engineLogs } from './engine-logs.js';
import { LogRing } from './log-ring.js';

export interface LogCollectorOptions {
  docker: Dockerode;
  containerId: string;
  tty: boolean;
  log: Logger;
  ringLines?: number;
  ringBytes?: number;
}

const RING_LINES = 10_000;
const RING_BYTES = 2 * 2 ** 20;
const RETRY_MIN_MS = 250;
const RETRY_MAX_MS = 4_000;
/** Consecutive failures after which the log counts as unreadable (about 12 s of retries). */
const MAX_ATTEMPTS = 6;
/** An engine's answer for a log driver that keeps nothing to read (Docker's, then Podman's words). */
const NOT_READABLE = /does not support reading|cannot read logs/i;

export class LogCollector {
  readonly ring: LogRing;
  /** Set once the container has stopped and its whole log is numbered, or the log is unreadable. */
  done = false;
  /** Why the log cannot be read (the container is gone, the engine keeps failing), once done. */
  error: string | undefined;
  readonly #abort = new AbortController();
  readonly #listeners = new Set<() => void>();
  readonly caughtUp: Promise<void>;
  #caughtUp!: () => void;
  readonly #running: Promise<void>;
  /** When the last line was read (retries count afresh after progress). */
  #progressAt = 0;

  constructor(private readonly opts: LogCollectorOptions) {
    this.ring = new LogRing(opts.ringLines ?? RING_LINES, opts.ringBytes ?? RING_BYTES);
    this.caughtUp = new Promise((resolve) => (this.#caughtUp = resolve));
    // An error ends the collector; the task's next reader gets a new one (see TaskLogs).
    this.#running = this.#run().catch((err: unknown) => this.#finish(`reading the log failed: ${engineMessage(err)}`));
  }

  /** The number of the newest line read so far. */
  get lastSeq(): number {
    return this.ring.lastSeq;
  }

  /** onChange calls `fn` after new lines or when the collector is done; returns the unsubscribe. */
  onChange(fn: () => void): () => void {
    this.#listeners.add(fn);
    return () => this.#listeners.delete(fn);
  }

  /**
   * lines streams the container's numbered log from its start to the newest line the engine
   * has, for lines the ring no longer holds (the caller skips those it does not want). From the
   * start, because engines cut lines into records and count records when asked for a tail.
   */
  async *lines(signal: AbortSignal): AsyncGenerator<LogWireLine[]> {
    let seq = 0;
    const opts = { tty: this.opts.tty, follow: false, final: this.done, signal };
    for await (const batch of engineLogs(this.opts.docker, this.opts.containerId, opts)) {
      yield batch.map((l) => ({ seq: ++seq, ...l }));
    }
  }

  async stop(): Promise<void> {
    this.#abort.abort();
    await this.#running;
  }

  async #run(): Promise<void> {
    // A container that has stopped already (an ended task read after an agent restart) is read once.
    if ((await this.#retrying(() => this.#isRunning())) === true) {
      await this.#pass('caught-up');
      this.#caughtUp();
    }
    while (!this.done) {
      const running = await this.#retrying(() => this.#isRunning());
      if (running === undefined) return this.#finish();
      if (running) {
        await this.#pass('follow');
        continue;
      }
      if ((await this.#pass('final')) === undefined) return this.#finish();
      // The log is complete: readers take it from the engine now, the ring's memory is freed.
      this.ring.release();
      this.#finish();
    }
  }

  /**
   * #pass reads the log from its start, numbering the lines after the ones already read: up to
   * now, following it while the container runs, or — once it stopped — all of it.
   */
  #pass(kind: 'caught-up' | 'follow' | 'final'): Promise<true | undefined> {
    return this.#retrying(async () => {
      let seen = 0;
      const opts = { tty: this.opts.tty, follow: kind === 'follow', final: kind === 'final', signal: this.#abort.signal };
      for await (const batch of engineLogs(this.opts.docker, this.opts.containerId, opts)) {
        let added = false;
        for (const l of batch) {
          if (++seen <= this.ring.lastSeq) continue;
          this.ring.push(l.ts, l.stream, l.data);
          added = true;
        }
        if (added) {
          this.#progressAt = Date.now();
          this.#notify();
        }
      }
      return true as const;
    });
  }

  /** #retrying runs an engine job until it succeeds; undefined once stopped or the container is gone. */
  async #retrying<T>(job: () => Promise<T>): Promise<T | undefined> {
    for (let attempt = 0; ; attempt++) {
      if (this.#abort.signal.aborted) return undefined;
      const started = Date.now();
      try {
        return await job();
      } catch (err) {
        if (this.#abort.signal.aborted) return undefined;
        if (isGone(err)) {
          this.#finish('the container is gone');
          return undefined;
        }
        if (NOT_READABLE.test(engineMessage(err))) {
          this.#finish(`the task's log driver keeps no log the engine can read (${engineMessage(err)})`);
          return undefined;
        }
        if (this.#progressAt >= started) attempt = 0; // it failed after reading on: a new outage
        if (!isTemporary(err) || attempt >= MAX_ATTEMPTS) throw err;
        const retryInMs = Math.min(RETRY_MAX_MS, RETRY_MIN_MS * 2 ** attempt);
        this.opts.log.warn({ container: this.opts.containerId, err: engineMessage(err), retryInMs }, 'reading the container log failed; will retry');
        await delay(retryInMs, undefined, { signal: this.#abort.signal }).catch(() => {});
      }
    }
  }

  async #isRunning(): Promise<boolean> {
    const signal = AbortSignal.any([this.#abort.signal, AbortSignal.timeout(ENGINE_IDLE_MS)]);
    try {
      const info = await this.opts.docker.getContainer(this.opts.containerId).inspect({ abortSignal: signal } as object);
      return info.State.Running || info.State.Status === 'running' || info.State.Status === 'paused';
    } catch (err) {
      if (signal.aborted && !this.#abort.signal.aborted) throw new EngineTimeout('the container engine did not answer an inspect');
      throw err;
    }
  }

  #finish(error?: string): void {
    if (this.done) return;
    this.done = true;
    this.error = error;
    if (error) this.ring.release();
    this.#caughtUp();
    this.#notify();
  }

  #notify(): void {
    for (const fn of this.#listeners) fn();
  }
}
