// The units the docker CLI takes in its flags, so the form reads as `docker service create` does:
// Go durations (1m30s), memory with binary suffixes (512M = 512 MiB), CPUs as a decimal.

const DURATION = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g;
const NS: Record<string, number> = { ns: 1, us: 1e3, µs: 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };

/** parseDuration reads "10s", "1m30s", "500ms" into nanoseconds; undefined when empty; throws when malformed. */
export function parseDuration(s: string): number | undefined {
  const t = s.trim();
  if (!t) return undefined;
  if (t === '0') return 0;
  let total = 0;
  let matched = '';
  for (const m of t.matchAll(DURATION)) {
    total += Number(m[1]) * NS[m[2]!]!;
    matched += m[0];
  }
  if (matched !== t) throw new Error(`"${s}" is not a duration: use a number with a unit, e.g. 10s, 1m30s or 500ms`);
  return Math.round(total);
}

export function formatDuration(ns: number | undefined): string {
  if (!ns) return '';
  const parts: string[] = [];
  let rest = ns;
  for (const [unit, size] of [['h', 3600e9], ['m', 60e9], ['s', 1e9], ['ms', 1e6]] as const) {
    if (rest >= size) {
      parts.push(`${Math.floor(rest / size)}${unit}`);
      rest %= size;
    }
  }
  return parts.join('') || `${ns}ns`;
}

const MEMORY = /^(\d+(?:\.\d+)?)\s*([kmgt]?)i?b?$/i;
const POWER: Record<string, number> = { '': 0, k: 1, m: 2, g: 3, t: 4 };

export function parseMemory(s: string): number | undefined {
  const t = s.trim();
  if (!t) return undefined;
  const m = MEMORY.exec(t);
  if (!m) throw new Error(`"${s}" is not a size: use a number with an optional unit, e.g. 512M or 1G`);
  return Math.round(Number(m[1]) * 1024 ** POWER[m[2]!.toLowerCase()]!);
}

export function formatMemory(n: number | undefined): string {
  if (!n) return '';
  for (const [unit, size] of [['G', 1024 ** 3], ['M', 1024 ** 2], ['K', 1024]] as const) if (n % size === 0) return `${n / size}${unit}`;
  return String(n);
}

export function parseCpus(s: string): number | undefined {
  const t = s.trim();
  if (!t) return undefined;
  const n = Number(t);
  if (!Number.isFinite(n) || n < 0) throw new Error(`"${s}" is not a number of CPUs: e.g. 0.5 or 2`);
  return Math.round(n * 1e9);
}

/** splitWords splits a command line as a POSIX shell would for plain words and quotes (no expansion). */
export function splitWords(s: string): string[] {
  const words: string[] = [];
  let word: string | undefined;
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (quote) {
      if (c === quote) quote = undefined;
      else if (c === '\\' && quote === '"' && i + 1 < s.length) word += s[++i]!;
      else word += c;
    } else if (c === '"' || c === "'") {
      quote = c;
      word ??= '';
    } else if (c === '\\' && i + 1 < s.length) word = (word ?? '') + s[++i]!;
    else if (/\s/.test(c)) {
      if (word !== undefined) words.push(word);
      word = undefined;
    } else word = (word ?? '') + c;
  }
  if (quote) throw new Error(`unterminated ${quote} quote`);
  if (word !== undefined) words.push(word);
  return words;
}

export function joinWords(words: string[] | undefined): string {
  return (words ?? []).map((w) => (/^[\w@%+=:,./-]+$/.test(w) ? w : `'${w.replace(/'/g, `'\\''`)}'`)).join(' ');
}
