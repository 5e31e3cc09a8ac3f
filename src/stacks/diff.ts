// The fields a deploy changes in a service, for the plan: dotted paths to each changed value
// (Mode.Replicated.Replicas), lists compared whole.

import { isObj } from '../common/is-object.js';

export interface FieldChange {
  Field: string;
  Old?: unknown;
  New?: unknown;
}

/** At most this many fields per object: a plan stays readable, and small. */
const MAX_FIELDS = 50;

export function fieldChanges(before: unknown, after: unknown): FieldChange[] {
  const out: FieldChange[] = [];
  walk(before, after, '', out);
  return out.slice(0, MAX_FIELDS);
}

function walk(a: unknown, b: unknown, path: string, out: FieldChange[]): void {
  if (isObj(a) && isObj(b)) {
    for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) walk(a[k], b[k], path ? `${path}.${k}` : k, out);
    return;
  }
  if (JSON.stringify(a) === JSON.stringify(b)) return;
  out.push({ Field: path || '.', ...(a !== undefined && { Old: a }), ...(b !== undefined && { New: b }) });
}
