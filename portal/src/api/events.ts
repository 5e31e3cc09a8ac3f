// Live state: the Engine API's event stream (GET /events, swarm scope), read with fetch so that
// it carries the session like every other call. Each event marks the queries that show its
// object stale (keys.ts); TanStack Query refetches those on screen. The stream reconnects with
// `since` so nothing between two connections is missed.

import type { QueryClient } from '@tanstack/react-query';
import { authHeaders } from './client';
import { staleBy } from './keys';
import type { EngineEvent } from './types';

type Listener = (e: EngineEvent) => void;
const RECENT = 50;

export class EventStream {
  private readonly listeners = new Set<Listener>();
  /** The latest events, newest first (a new array on each event, for React's external stores). */
  recent: readonly EngineEvent[] = [];
  private abort: AbortController | undefined;
  private last = 0;
  private lastNano = 0;
  private pending = new Set<string>();
  private flushTimer: number | undefined;

  constructor(private readonly queries: QueryClient) {}

  subscribe(l: Listener): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }

  start(): void {
    if (this.abort) return;
    this.abort = new AbortController();
    void this.run(this.abort.signal);
  }

  stop(): void {
    this.abort?.abort();
    this.abort = undefined;
  }

  private async run(signal: AbortSignal): Promise<void> {
    let delay = 500;
    while (!signal.aborted) {
      try {
        // The first connection replays the manager's recent history for the dashboard.
        const since = `&since=${this.last || Math.floor(Date.now() / 1000) - 3600}`;
        const res = await fetch(`/events?filters=${encodeURIComponent(JSON.stringify({ scope: ['swarm'] }))}${since}`, { headers: authHeaders(), signal });
        if (!res.ok || !res.body) throw new Error(`events: ${res.status}`);
        delay = 500;
        // What changed while the stream was down is refetched once.
        if (this.last) void this.queries.invalidateQueries();
        await this.read(res.body, signal);
      } catch {
        if (signal.aborted) return;
      }
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, 10_000);
    }
  }

  private async read(body: ReadableStream<Uint8Array>, signal: AbortSignal): Promise<void> {
    const reader = body.getReader();
    const decoder = new TextDecoder();
    let buffered = '';
    while (!signal.aborted) {
      const { value, done } = await reader.read();
      if (done) return;
      buffered += decoder.decode(value, { stream: true });
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl).trim();
        buffered = buffered.slice(nl + 1);
        if (line) this.deliver(JSON.parse(line) as EngineEvent);
      }
    }
  }

  private deliver(e: EngineEvent): void {
    // A reconnection asks from the last second seen: what was delivered already is skipped.
    if (e.timeNano <= this.lastNano) return;
    this.lastNano = e.timeNano;
    this.last = e.time;
    this.recent = [e, ...this.recent.slice(0, RECENT - 1)];
    for (const l of this.listeners) l(e);
    this.pending.add(e.Type);
    // A burst (a stack deploy, a scale to 1,000) refetches once, at most every 100 ms.
    this.flushTimer ??= window.setTimeout(() => {
      this.flushTimer = undefined;
      const types = [...this.pending];
      this.pending.clear();
      for (const key of new Set(types.flatMap((t) => staleBy(t)))) void this.queries.invalidateQueries({ queryKey: key });
    }, 100);
  }
}
