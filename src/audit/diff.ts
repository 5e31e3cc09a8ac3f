// The change an audited request made to an object, field by field, with whatever could hold a
// secret left out: a secret's or a credential's data, passwords, registry logins.

import type { AuditChange } from './kinds.js';

export const REDACTED = '<redacted>';
/** Keys whose values are never recorded, wherever they appear. */
const SECRET_KEYS = new Set(['Data', 'Password', 'Auth', 'BerthRegistryAuth', 'IdentityToken', 'RegistryToken', 'PasswordHash', 'JoinTokens', 'UnlockKey', 'Key']);
/** Bookkeeping that changes with every write and says nothing about what was done. */
const IGNORED = new Set(['Version', 'UpdatedAt']);
/** At most this many changes are kept per entry (a stack deploy can touch a great many fields). */
export const MAX_CHANGES = 200;
/**
 * Bytes of recorded values per entry: the log outlives the objects (30 days, 100,000 entries,
 * all in memory), so a 1 MiB spec must not make a 1 MiB entry each time it is sent.
 */
export const MAX_VALUE_BYTES = 16 * 1024;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** changes lists what differs between `before` and `after` (either may be undefined: a create or a delete). */
export function changes(before: unknown, after: unknown): AuditChange[] {
  const out: AuditChange[] = [];
  walk(before, after, '', out);
  let budget = MAX_VALUE_BYTES;
  return out.slice(0, MAX_CHANGES).map((c) => {
    const size = JSON.stringify([c.Old, c.New]).length;
    if (size <= budget) {
      budget -= size;
      return c;
    }
    // Too large to keep whole: say that it changed, and how big it was.
    const note = (v: unknown) => `<${JSON.stringify(v).length} bytes, not recorded>`;
    return { Path: c.Path, ...('Old' in c && { Old: note(c.Old) }), ...('New' in c && { New: note(c.New) }) };
  });
}

function walk(a: unknown, b: unknown, path: string, out: AuditChange[]): void {
  if (out.length >= MAX_CHANGES) return;
  const key = path.slice(path.lastIndexOf('.') + 1);
  if (SECRET_KEYS.has(key)) {
    if (JSON.stringify(a) !== JSON.stringify(b)) out.push({ Path: path, ...(a !== undefined && { Old: REDACTED }), ...(b !== undefined && { New: REDACTED }) });
    return;
  }
  if (isObject(a) && isObject(b)) {
    for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) {
      if (!path && IGNORED.has(k)) continue;
      walk(a[k], b[k], path ? `${path}.${k}` : k, out);
    }
    return;
  }
  if (JSON.stringify(a) === JSON.stringify(b)) return;
  // Arrays and values of different shapes are recorded whole, each side cleaned of secrets.
  out.push({ Path: path || '.', ...(a !== undefined && { Old: clean(a) }), ...(b !== undefined && { New: clean(b) }) });
}

/** clean copies a value with every secret-bearing key redacted. */
function clean(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(clean);
  if (!isObject(v)) return v;
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, SECRET_KEYS.has(k) ? REDACTED : clean(x)]));
}
