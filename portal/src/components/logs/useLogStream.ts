// Follows one or more log streams at once (a service's, or every service of a stack) and merges
// them into one list ordered by time. Lines arrive in bursts: they are added once per frame, and
// only the newest MAX are kept.

import { useEffect, useRef, useState } from 'react';
import { authHeaders } from '../../api/client';
import { FrameReader, type LogLine } from './parse';

export interface LogSource {
  /** /services/ID/logs or /tasks/ID/logs */
  path: string;
  /** false for a service with a TTY: its stream is raw text. */
  mux: boolean;
}

export const MAX_LINES = 5000;

export function useLogStream(sources: LogSource[], tail: number): { lines: LogLine[]; error?: string; paused: boolean; setPaused: (p: boolean) => void } {
  const [lines, setLines] = useState<LogLine[]>([]);
  const [error, setError] = useState<string>();
  const [paused, setPaused] = useState(false);
  const pausedRef = useRef(paused);
  pausedRef.current = paused;
  const key = sources.map((s) => s.path).join('|');

  useEffect(() => {
    const abort = new AbortController();
    let incoming: LogLine[] = [];
    let frame = 0;
    let first = true;
    setLines([]);
    setError(undefined);
    const flush = () => {
      frame = 0;
      if (pausedRef.current) return void (frame = requestAnimationFrame(flush));
      const batch = incoming;
      incoming = [];
      setLines((old) => {
        const merged = old.concat(batch);
        // The first answers of several streams interleave: order them once by time; later lines arrive in order.
        if (first || sources.length > 1) merged.sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : 0));
        first = false;
        return merged.length > MAX_LINES ? merged.slice(merged.length - MAX_LINES) : merged;
      });
    };
    for (const source of sources) {
      void (async () => {
        try {
          const res = await fetch(`${source.path}?follow=1&stdout=1&stderr=1&timestamps=1&details=1&tail=${tail}`, { headers: authHeaders(), signal: abort.signal });
          if (!res.ok || !res.body) throw new Error(((await res.json().catch(() => ({}))) as { message?: string }).message ?? `logs: ${res.status}`);
          const reader = new FrameReader(source.mux);
          const body = res.body.getReader();
          for (;;) {
            const { value, done } = await body.read();
            if (done) break;
            incoming.push(...reader.push(value));
            frame ||= requestAnimationFrame(flush);
          }
        } catch (err) {
          if (!abort.signal.aborted) setError((err as Error).message);
        }
      })();
    }
    return () => {
      abort.abort();
      cancelAnimationFrame(frame);
    };
  }, [key, tail]);

  return { lines, error, paused, setPaused };
}
