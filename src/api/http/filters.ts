// The Engine API `filters` query parameter: JSON map[string]map[string]bool (what the CLI
// sends) or the legacy map[string][]string. Values of one key are alternatives (OR), except
// `label`, where every value must match; different keys must all match (AND).

import { InvalidArgumentError } from '../../types/index.js';
import type { Labels } from '../../types/index.js';

export type Filters = ReadonlyMap<string, readonly string[]>;

/** parseFilters decodes the query value and rejects keys outside `accepted`. */
export function parseFilters(raw: unknown, accepted: readonly string[]): Filters {
  const filters = new Map<string, string[]>();
  if (raw === undefined || raw === '') return filters;
  if (typeof raw !== 'string') throw new InvalidArgumentError('invalid filters: give the filters parameter once, as one JSON object');
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (err) {
    throw new InvalidArgumentError(`invalid filters: not valid JSON (${(err as Error).message}); expected e.g. {"name":{"web":true}}`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new InvalidArgumentError('invalid filters: expected a JSON object such as {"name":{"web":true}}');
  }
  for (const [key, value] of Object.entries(parsed)) {
    if (!accepted.includes(key)) throw new InvalidArgumentError(`invalid filter '${key}'`);
    filters.set(key, filterValues(key, value));
  }
  return filters;
}

function filterValues(key: string, value: unknown): string[] {
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return value;
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) return Object.keys(value);
  throw new InvalidArgumentError(`invalid filters: the value of '${key}' must be an object like {"x":true} or a list of strings`);
}

/** checkValues rejects a filter value outside `allowed`, naming the filter. */
export function checkValues(filters: Filters, key: string, allowed: readonly string[]): void {
  for (const v of filters.get(key) ?? []) {
    if (!allowed.includes(v)) {
      throw new InvalidArgumentError(`invalid filter '${key}=${v}': use one of ${allowed.join(', ')}`);
    }
  }
}

/** anyPrefix is true when the filter is absent or one of its values starts one of the candidates. */
export function anyPrefix(values: readonly string[] | undefined, ...candidates: (string | undefined)[]): boolean {
  if (!values) return true;
  return values.some((v) => candidates.some((c) => c !== undefined && c.startsWith(v)));
}

/** anyExact is true when the filter is absent or one of its values equals the candidate. */
export function anyExact(values: readonly string[] | undefined, candidate: string | undefined): boolean {
  return !values || (candidate !== undefined && values.includes(candidate));
}

/** allLabels is true when every `key` or `key=value` in the filter matches the labels. */
export function allLabels(values: readonly string[] | undefined, labels: Labels | undefined): boolean {
  if (!values) return true;
  return values.every((v) => {
    const eq = v.indexOf('=');
    const key = eq < 0 ? v : v.slice(0, eq);
    if (!labels || !Object.hasOwn(labels, key)) return false;
    return eq < 0 || labels[key] === v.slice(eq + 1);
  });
}
