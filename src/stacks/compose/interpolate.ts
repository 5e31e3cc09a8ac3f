// Variable interpolation in a compose file's values, with the docker CLI's rules (compose
// template.Substitute): $VAR and ${VAR}, ${VAR:-default} (unset or empty), ${VAR-default}
// (unset), ${VAR:?message} and ${VAR?message} (required), $$ for a literal $. An unset variable
// is empty. Values come from the deploy's variables only, never from the manager's environment.

import { InvalidArgumentError } from '../../types/index.js';
import { isObj } from '../../common/is-object.js';
import { pathText, type Path } from './source.js';

const SUBST = '[_a-z][_a-z0-9]*(?::?[-?][^}]*)?';
const PATTERN = new RegExp(`\\$(?:(?<escaped>\\$)|(?<named>${SUBST})|\\{(?<braced>${SUBST})\\}|(?<invalid>))`, 'gi');

export type Variables = Readonly<Record<string, string>>;

/** interpolate gives a copy of value with every string substituted; errors name the path. */
export function interpolate(value: unknown, vars: Variables, path: Path = []): unknown {
  if (typeof value === 'string') return substitute(value, vars, path);
  if (Array.isArray(value)) return value.map((v, i) => interpolate(v, vars, [...path, i]));
  if (isObj(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, interpolate(v, vars, [...path, k])]));
  return value;
}

function substitute(text: string, vars: Variables, path: Path): string {
  const lookup = (name: string): string | undefined => (Object.hasOwn(vars, name) ? vars[name] : undefined);
  return text.replace(PATTERN, (...args) => {
    const groups = args[args.length - 1] as Record<string, string | undefined>;
    if (groups.escaped) return '$';
    const expr = groups.named ?? groups.braced;
    if (!expr) throw new InvalidArgumentError(`invalid interpolation format for ${pathText(path)}: "${text}"; you may need to escape any $ with another $`);
    for (const [sep, kind] of [[':-', 'soft'], ['-', 'hard'], [':?', 'required-non-empty'], ['?', 'required']] as const) {
      const at = expr.indexOf(sep);
      if (at === -1) continue;
      const name = expr.slice(0, at);
      const rest = expr.slice(at + sep.length);
      const v = lookup(name);
      switch (kind) {
        case 'soft':
          return v === undefined || v === '' ? rest : v;
        case 'hard':
          return v === undefined ? rest : v;
        default:
          if (v === undefined || (kind === 'required-non-empty' && v === '')) {
            throw new InvalidArgumentError(`invalid interpolation format for ${pathText(path)}: required variable ${name} is missing a value: ${rest}; send it in Env`);
          }
          return v;
      }
    }
    return lookup(expr) ?? '';
  });
}
