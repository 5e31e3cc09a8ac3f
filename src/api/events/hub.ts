// The manager's event stream: one store watch turned into events (event.ts), the last RING_SIZE
// kept for `since` (in memory, this manager's own: like dockerd's 256, not durable), and handed
// to each subscriber. On a follower the watch carries the leader's commits, so every manager
// streams the whole cluster's events from its own copy.

import { nodeNames, type Store, type Watcher } from '../../store/index.js';
import type { FastifyBaseLogger } from 'fastify';
import { toEvent, type ClusterEvent } from './event.js';

/** How many recent events each manager keeps for `since` (dockerd keeps 256; task events are many). */
export const RING_SIZE = 1024;
/** How many events a subscriber may fall behind before its stream is ended (what is queued is still sent). */
export const MAX_BACKLOG = 10_000;

export interface SubscribeOptions {
  /** Replay the kept events this subscription accepts, oldest first. */
  replay: boolean;
  accepts(e: ClusterEvent): boolean;
  /** Called once when the subscriber fell MAX_BACKLOG events behind. */
  onOverflow?(): void;
}

/** One client's events, in order; next() resolves undefined once the stream is over. */
export class Subscription {
  readonly #queue: string[] = [];
  #wake: (() => void) | undefined;
  #ended = false;

  constructor(
    private readonly opts: SubscribeOptions,
    private readonly onClose: (s: Subscription) => void,
  ) {}

  offer(e: ClusterEvent): void {
    if (this.#ended || !this.opts.accepts(e)) return;
    if (this.#queue.length >= MAX_BACKLOG) {
      this.opts.onOverflow?.();
      return this.end();
    }
    this.#queue.push(e.line);
    this.#wake?.();
  }

  /** next gives every line queued so far (waiting for one), or undefined once ended and drained. */
  async next(): Promise<string[] | undefined> {
    while (this.#queue.length === 0) {
      if (this.#ended) return undefined;
      await new Promise<void>((resolve) => (this.#wake = resolve));
      this.#wake = undefined;
    }
    return this.#queue.splice(0);
  }

  /** end takes no more events: the stream ends once what is queued is sent. */
  end(): void {
    if (this.#ended) return;
    this.#ended = true;
    this.onClose(this);
    this.#wake?.();
  }

  /** close ends the stream now (the client went away): what is queued is dropped. */
  close(): void {
    this.#queue.length = 0;
    this.end();
  }
}

export class EventHub {
  readonly #ring: ClusterEvent[] = [];
  readonly #subscribers = new Set<Subscription>();
  readonly #watcher: Watcher;

  constructor(
    private readonly store: Store,
    private readonly log: FastifyBaseLogger,
  ) {
    this.#watcher = store.watch();
    void this.#run();
  }

  /** subscribe replays (if asked) and then follows, atomically: no event is missed or seen twice. */
  subscribe(opts: SubscribeOptions): Subscription {
    const sub = new Subscription(opts, (s) => this.#subscribers.delete(s));
    if (opts.replay) for (const e of this.#ring.slice(-RING_SIZE)) sub.offer(e);
    this.#subscribers.add(sub);
    return sub;
  }

  /** close ends every stream (the API is closing). */
  close(): void {
    this.#watcher.close();
    for (const s of [...this.#subscribers]) s.end();
  }

  async #run(): Promise<void> {
    for (let commit = await this.#watcher.next(); commit; commit = await this.#watcher.next()) {
      for (const c of [commit, ...this.#watcher.drain()]) {
        try {
          this.store.view((tx) => {
            const nowNano = BigInt(Date.now()) * 1_000_000n;
            for (const change of c.changes) {
              const e = toEvent(change, nowNano, (id) => {
                const node = tx.nodes.get(id);
                return node ? nodeNames(node) : [];
              });
              if (e) this.#publish(e);
            }
          });
        } catch (err) {
          this.log.error({ err, index: c.index }, 'events of a commit were lost');
        }
      }
    }
    for (const s of [...this.#subscribers]) s.end();
  }

  #publish(e: ClusterEvent): void {
    this.#ring.push(e);
    // Trimmed in batches: a commit of thousands of tasks must not shift the ring once per event.
    if (this.#ring.length >= 2 * RING_SIZE) this.#ring.splice(0, this.#ring.length - RING_SIZE);
    for (const s of this.#subscribers) s.offer(e);
  }
}
