// What the editor marks as you type: YAML errors, then the Compose Specification's schema errors
// (the server checks the same schema, src/stacks/compose/schema.ts), each at its place in the
// text with its line and the field's path. YAML 1.1, as the server and the docker CLI read it.

import { isMap, isScalar, LineCounter, parseDocument, type Node } from 'yaml';

export interface ErrorLike {
  instancePath: string;
  keyword: string;
  params: Record<string, unknown>;
  message?: string;
}

export type Validate = ((data: unknown) => boolean) & { errors?: ErrorLike[] | null };

export interface Diagnostic {
  from: number;
  to: number;
  /** 1-based. */
  line: number;
  message: string;
}

/** At most this many marks: one typo can break a whole section. */
const MAX = 20;

export function diagnose(text: string, validate: Validate): Diagnostic[] {
  const lines = new LineCounter();
  const doc = parseDocument(text, { version: '1.1', lineCounter: lines, uniqueKeys: true, prettyErrors: false });
  const at = (from: number, to: number, message: string): Diagnostic => ({ from, to: Math.max(to, from), line: lines.linePos(from).line, message });
  if (doc.errors.length > 0) return doc.errors.slice(0, MAX).map((e) => at(e.pos[0], e.pos[1], e.message.split('\n')[0]!));
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    return [at(0, 0, (err as Error).message)];
  }
  if (data === null || data === undefined) return [];
  if (validate(data)) return [];
  const seen = new Set<string>();
  const out: Diagnostic[] = [];
  for (const e of specific(validate.errors ?? [])) {
    const path = e.instancePath.split('/').slice(1).map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
    let node = (path.length ? doc.getIn(path, true) : doc.contents) as Node | undefined;
    let message: string;
    if (e.keyword === 'additionalProperties') {
      const key = String(e.params.additionalProperty);
      path.push(key);
      // Mark the key itself.
      const pair = isMap(node) ? node.items.find((p) => isScalar(p.key) && String(p.key.value) === key) : undefined;
      node = (pair?.key as Node | undefined) ?? node;
      message = 'is not allowed here (the Compose Specification has no such key)';
    } else if (e.keyword === 'type') message = `must be ${String(e.params.type).split(',').map((t) => (/^[aeiou]/.test(t) ? `an ${t}` : `a ${t}`)).join(' or ')}`;
    else if (e.keyword === 'required') message = `${String(e.params.missingProperty)} is required`;
    else if (e.keyword === 'enum') message = `must be one of ${(e.params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
    else message = e.message ?? 'is not valid';
    const text = `${path.map((p, i) => (/^\d+$/.test(p) ? `[${p}]` : i === 0 ? p : `.${p}`)).join('') || 'compose file'}: ${message}`;
    if (seen.has(text)) continue;
    seen.add(text);
    const [from, to] = node?.range ?? [0, 0];
    out.push(at(from, to, text));
    if (out.length === MAX) break;
  }
  return out.sort((a, b) => a.from - b.from);
}

/** The errors that say something: "does not match any of" only where nothing more precise was found at or below its path. */
function specific(errors: readonly ErrorLike[]): ErrorLike[] {
  const vague = (e: ErrorLike) => e.keyword === 'oneOf' || e.keyword === 'anyOf' || e.keyword === 'if';
  const precise = errors.filter((e) => !vague(e));
  return [...precise, ...errors.filter((e) => vague(e) && !precise.some((p) => p.instancePath.startsWith(e.instancePath)))];
}
