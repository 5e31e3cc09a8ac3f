// The container's usage as it happens: the Engine's stats stream (one JSON sample a second,
// GET /containers/{id}/stats), summed up as `docker stats` does, the last WINDOW samples kept.

import { useEffect, useState } from 'react';
import { authHeaders } from '../../api/client';
import type { ContainerStats } from '../../api/container-types';
import { summarize } from './stats';

export const WINDOW = 60;

export interface Usage {
  /** Seconds since the epoch, one per sample. */
  times: number[];
  cpu: Array<number | null>;
  memoryMiB: Array<number | null>;
}

export function useStatsStream(id: string): { usage: Usage; error?: string } {
  const [usage, setUsage] = useState<Usage>({ times: [], cpu: [], memoryMiB: [] });
  const [error, setError] = useState<string>();
  useEffect(() => {
    const abort = new AbortController();
    void (async () => {
      try {
        const res = await fetch(`/containers/${encodeURIComponent(id)}/stats?stream=1`, { headers: authHeaders(), signal: abort.signal });
        if (!res.ok || !res.body) throw new Error(((await res.json().catch(() => ({}))) as { message?: string }).message ?? `stats: ${res.status}`);
        const reader = res.body.getReader();
        const decoder = new TextDecoder();
        let buffered = '';
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffered += decoder.decode(value, { stream: true });
          const lines = buffered.split('\n');
          buffered = lines.pop() ?? '';
          for (const line of lines.filter((l) => l.trim())) {
            const s = summarize(JSON.parse(line) as ContainerStats);
            setUsage((u) => ({
              times: [...u.times, Date.now() / 1000].slice(-WINDOW),
              cpu: [...u.cpu, s.cpu ?? null].slice(-WINDOW),
              memoryMiB: [...u.memoryMiB, s.memory === undefined ? null : s.memory / 2 ** 20].slice(-WINDOW),
            }));
          }
        }
      } catch (err) {
        if (!abort.signal.aborted) setError((err as Error).message);
      }
    })();
    return () => abort.abort();
  }, [id]);
  return { usage, error };
}
