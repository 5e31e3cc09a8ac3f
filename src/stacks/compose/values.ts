// Typed reads of a compose file's values once interpolated: where the Compose Specification
// allows a string (for ${VAR}), the value must still read as what the field is. Every error
// names the field's path.

import { InvalidArgumentError } from '../../types/index.js';
import { isObj } from '../../common/is-object.js';
import { parseDurationNs, parseMemoryBytes, parseNanoCPUs } from '../../common/units.js';
import { pathText, type Dict, type Path } from './source.js';

export function fail(path: Path, message: string): never {
  throw new InvalidArgumentError(`${pathText(path)}: ${message}`);
}

/** within rethrows a unit parser's error with the field's path. */
function within<T>(path: Path, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    return fail(path, (err as Error).message);
  }
}

/** clean drops undefined fields, so a spec holds only what the file says. */
export function clean<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

export const dict = (v: unknown): Dict => (isObj(v) ? v : {});

export function str(v: unknown, path: Path): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return fail(path, `must be a string (got ${JSON.stringify(v)})`);
}

export function int(v: unknown, path: Path, min = 0): number | undefined {
  if (v === undefined || v === null) return undefined;
  const n = typeof v === 'string' && /^-?\d+$/.test(v.trim()) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < min) return fail(path, `must be an integer${min === 0 ? ' of 0 or more' : ''} (got ${JSON.stringify(v)})`);
  return n;
}

export function num(v: unknown, path: Path): number | undefined {
  if (v === undefined || v === null) return undefined;
  const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isFinite(n)) return fail(path, `must be a number (got ${JSON.stringify(v)})`);
  return n;
}

export function bool(v: unknown, path: Path): boolean | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'boolean') return v;
  if (typeof v === 'string' && /^(true|false)$/i.test(v)) return v.toLowerCase() === 'true';
  return fail(path, `must be true or false (got ${JSON.stringify(v)})`);
}

export const duration = (v: unknown, path: Path): number | undefined => {
  const s = str(v, path);
  return s === undefined ? undefined : within(path, () => parseDurationNs(s));
};

export const bytes = (v: unknown, path: Path): number | undefined => {
  if (typeof v === 'number') return int(v, path);
  const s = str(v, path);
  return s === undefined ? undefined : within(path, () => parseMemoryBytes(s));
};

export const cpus = (v: unknown, path: Path): number | undefined => {
  const s = str(v, path);
  return s === undefined ? undefined : within(path, () => parseNanoCPUs(s));
};

export function list(v: unknown, path: Path): string[] | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string') return [v];
  if (!Array.isArray(v)) return fail(path, 'must be a string or a list of strings');
  return v.map((x, i) => str(x, [...path, i]) ?? '');
}

/** listOrDict reads `[K=V, K]` or `{K: V, K: null}`; a key without a value maps to undefined. */
export function listOrDict(v: unknown, path: Path, sep = '='): Record<string, string | undefined> {
  if (v === undefined || v === null) return {};
  if (Array.isArray(v)) {
    const out: Record<string, string | undefined> = {};
    v.forEach((item, i) => {
      const s = str(item, [...path, i]) ?? '';
      const at = s.indexOf(sep);
      if (at === -1) out[s] = undefined;
      else out[s.slice(0, at)] = s.slice(at + sep.length);
    });
    return out;
  }
  if (!isObj(v)) return fail(path, 'must be a list of KEY=VALUE or a mapping');
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, str(x, [...path, k])]));
}

/** labels reads a label list or mapping (a label without a value is empty). */
export function labels(v: unknown, path: Path): Record<string, string> {
  return Object.fromEntries(Object.entries(listOrDict(v, path)).map(([k, x]) => [k, x ?? '']));
}

/**
 * shellSplit splits a command line as the docker CLI's compose loader does (go-shellwords):
 * whitespace separates words, quotes group them, a backslash escapes the next character.
 */
export function shellSplit(text: string, path: Path): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quote) {
      if (c === quote) quote = undefined;
      else if (c === '\\' && quote === '"' && i + 1 < text.length && '"\\$`'.includes(text[i + 1]!)) word += text[++i];
      else word += c;
    } else if (c === '"' || c === "'") {
      quote = c;
      inWord = true;
    } else if (c === '\\' && i + 1 < text.length) {
      word += text[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else {
      word += c;
      inWord = true;
    }
  }
  if (quote) fail(path, `unterminated ${quote} quote in ${JSON.stringify(text)}`);
  if (inWord) words.push(word);
  return words;
}
