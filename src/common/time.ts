// Durations in the Engine API are integers in nanoseconds; Berth computes in milliseconds.

export const NS_PER_MS = 1_000_000;

export function nsToMs(ns: number | undefined, fallbackMs: number): number {
  return ns === undefined || ns === null ? fallbackMs : Math.floor(ns / NS_PER_MS);
}

export function msToNs(ms: number): number {
  return ms * NS_PER_MS;
}

/** RFC 3339 timestamp with nanosecond precision as Docker writes it (zero-filled below ms). */
export function now(): string {
  return new Date().toISOString().replace(/\.(\d{3})Z$/, '.$1000000Z');
}

/** Parses "10s", "1m30s", "500ms", "2h" (Go duration syntax) into milliseconds. */
export function parseDuration(text: string): number {
  const re = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g;
  const units: Record<string, number> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  let total = 0;
  let consumed = 0;
  for (const m of text.matchAll(re)) {
    total += parseFloat(m[1]!) * units[m[2]!]!;
    consumed += m[0].length;
  }
  if (consumed !== text.length || consumed === 0) {
    throw new Error(`invalid duration "${text}": use a number with a unit, e.g. 5s, 1m30s, 500ms`);
  }
  return total;
}
