// Unit parsing for service options and compose files, with the docker CLI's rules: memory sizes in binary units
// (go-units RAMInBytes), CPUs as a decimal count (opts.NanoCPUs), durations in Go syntax.
// Each parser throws InvalidArgumentError with a message that shows an accepted form.

import { parseDuration } from './time.js';
import { InvalidArgumentError } from '../types/index.js';

const MEMORY_UNITS: Record<string, number> = { '': 1, k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40, p: 2 ** 50 };

/** parseMemoryBytes reads "512M", "1g", "1.5GiB", "64mb" or a plain byte count. */
export function parseMemoryBytes(text: string): number {
  const m = /^(\d+(?:\.\d+)?) ?([kmgtp])?i?b?$/i.exec(text.trim());
  if (!m) throw new InvalidArgumentError(`invalid size "${text}": use a number with an optional unit b, k, m, g, t or p, e.g. 512M or 1G`);
  return Math.floor(parseFloat(m[1]!) * MEMORY_UNITS[(m[2] ?? '').toLowerCase()]!);
}

/** parseNanoCPUs reads a CPU count such as "0.5" or "2" as the Engine API's NanoCPUs. */
export function parseNanoCPUs(text: string): number {
  const m = /^(\d+)(?:\.(\d+))?$/.exec(text.trim());
  if (!m) throw new InvalidArgumentError(`invalid CPU count "${text}": use a decimal number of CPUs, e.g. 0.5 or 2`);
  const fraction = m[2] ?? '';
  if (fraction.length > 9) throw new InvalidArgumentError(`invalid CPU count "${text}": at most 9 decimal places`);
  return Number(m[1]) * 1e9 + Number(fraction.padEnd(9, '0'));
}

/** parseDurationNs reads a Go duration ("10s", "1m30s", "500ms", "0") as nanoseconds. */
export function parseDurationNs(text: string): number {
  const trimmed = text.trim();
  if (/^0+$/.test(trimmed)) return 0;
  try {
    return Math.round(parseDuration(trimmed) * 1e6);
  } catch {
    throw new InvalidArgumentError(`invalid duration "${text}": use a number with a unit (ns, us, ms, s, m, h), e.g. 5s, 1m30s, 500ms`);
  }
}

/** parseCount reads a non-negative integer such as a replica count. */
export function parseCount(text: string): number {
  if (!/^\d+$/.test(text.trim())) throw new InvalidArgumentError(`invalid number "${text}": use a whole number, e.g. 3`);
  const n = Number(text);
  if (!Number.isSafeInteger(n)) throw new InvalidArgumentError(`invalid number "${text}": too large`);
  return n;
}
