// Merges the log lines of a subscription's tasks into one stream (pure). Per task, lines keep
// the agent's seq order and repeats are dropped (an agent resumes after a reconnect from the
// last seq received). Across tasks, history — what existed when the subscription started — is
// merged by timestamp: a line waits until every task still sending history has a line queued
// or has finished its history, so no older line can come after it. Live lines (following) go
// out in arrival order, once all history has. Lines the agent lost are announced in place.

import { nowFixed } from '../common/log-time.js';
import { logLineCost, type LogWireLine } from '../types/index.js';

export interface MergedLine {
  taskId: string;
  ts: string;
  stream: 1 | 2;
  data: string;
  /** What the line counted against its task's window (0 for lines the manager made). */
  cost: number;
}

interface Item extends MergedLine {
  live: boolean;
  arrival: number;
}

interface TaskQueue {
  state: 'history' | 'live' | 'ended';
  items: Item[];
  /** Index of the next item to emit (items before it are spent). */
  head: number;
  lastSeq: number;
}

export interface MergeInput {
  lines: LogWireLine[];
  dropped?: number;
  historyDone?: boolean;
  end?: boolean;
}

export function droppedNotice(n: number): string {
  return `berth: ${n} log line${n === 1 ? '' : 's'} dropped (buffer full)\n`;
}

export class LogMerge {
  readonly #tasks = new Map<string, TaskQueue>();
  #arrival = 0;

  /** add starts (or, after a reconnect, restarts) a task's stream: history first. */
  add(taskId: string): void {
    const q = this.#tasks.get(taskId);
    if (q) q.state = 'history';
    else this.#tasks.set(taskId, { state: 'history', items: [], head: 0, lastSeq: 0 });
  }

  has(taskId: string): boolean {
    return this.#tasks.has(taskId);
  }

  /** The newest seq received for a task: where a resumed stream starts after. */
  lastSeq(taskId: string): number {
    return this.#tasks.get(taskId)?.lastSeq ?? 0;
  }

  push(taskId: string, input: MergeInput): void {
    const q = this.#tasks.get(taskId);
    if (!q || q.state === 'ended') return;
    const live = q.state === 'live';
    const fresh = input.lines.filter((l) => l.seq > q.lastSeq);
    if (input.dropped && input.dropped > 0) {
      const ts = fresh[0]?.ts ?? nowFixed();
      this.#append(q, { taskId, ts, stream: 2, data: droppedNotice(input.dropped), cost: 0 }, live);
    }
    for (const l of fresh) {
      this.#append(q, { taskId, ts: l.ts, stream: l.stream, data: l.data, cost: logLineCost(l) }, live);
      q.lastSeq = l.seq;
    }
    if (input.end) q.state = 'ended';
    else if (input.historyDone) q.state = 'live';
  }

  /** notice queues a line the manager writes itself into a task's stream (e.g. its node is down). */
  notice(taskId: string, data: string): void {
    const q = this.#tasks.get(taskId);
    if (q) this.#append(q, { taskId, ts: nowFixed(), stream: 2, data, cost: 0 }, true);
  }

  /**
   * release stops holding the other tasks' lines for a task whose history is slow to come (its
   * engine may be down): its lines from now on count as live.
   */
  release(taskId: string): void {
    const q = this.#tasks.get(taskId);
    if (q?.state === 'history') q.state = 'live';
  }

  /** end marks a task's stream finished (its node went away); what is queued still goes out. */
  end(taskId: string): void {
    const q = this.#tasks.get(taskId);
    if (q) q.state = 'ended';
  }

  /** Every task has ended and every line has gone out. */
  get finished(): boolean {
    for (const q of this.#tasks.values()) if (q.state !== 'ended' || q.head < q.items.length) return false;
    return true;
  }

  /** take returns up to `max` lines that may go out now, in order. */
  take(max: number): MergedLine[] {
    const out: MergedLine[] = [];
    while (out.length < max) {
      const item = this.#next();
      if (!item) break;
      const { live: _live, arrival: _arrival, ...line } = item;
      out.push(line);
    }
    return out;
  }

  #next(): Item | undefined {
    let waiting = false;
    let history: { q: TaskQueue; item: Item } | undefined;
    let live: { q: TaskQueue; item: Item } | undefined;
    for (const q of this.#tasks.values()) {
      const item = q.items[q.head];
      if (!item) {
        // A task still sending history may yet send a line older than any queued.
        if (q.state === 'history') waiting = true;
        continue;
      }
      if (!item.live) {
        if (!history || item.ts < history.item.ts) history = { q, item };
      } else if (!live || item.arrival < live.item.arrival) {
        live = { q, item };
      }
    }
    const pick = waiting ? undefined : (history ?? live);
    if (!pick) return undefined;
    pick.q.head++;
    // Spent items are dropped in chunks, keeping shifts rare.
    if (pick.q.head >= 1024 || pick.q.head === pick.q.items.length) {
      pick.q.items.splice(0, pick.q.head);
      pick.q.head = 0;
    }
    return pick.item;
  }

  #append(q: TaskQueue, line: MergedLine, live: boolean): void {
    q.items.push({ ...line, live, arrival: this.#arrival++ });
  }
}
