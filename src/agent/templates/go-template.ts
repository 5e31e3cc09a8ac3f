// The subset of Go's text/template that Swarm's secret and config templates use, executed the
// way swarmkit's template package does (missingkey=error): actions with field chains
// ({{.Service.Name}}, map keys such as {{.Service.Labels.tier}}), string and number literals,
// function calls and pipelines, `{{- -}}` trimming and comments; values print as Go's fmt does.
//
// Written here rather than taken from npm: the packages there either wrap a Go binary or only
// substitute fields, and Berth needs Go's semantics (its parse-time and run-time errors, the
// template line in every error, Go's printing of maps and structs) with a closed set of
// functions, so that a template can read nothing but what the task may see.

import { TemplateError, parseTemplate, type Command, type Operand, type Pipeline } from './go-template-parse.js';

export { TemplateError } from './go-template-parse.js';

/** A Go struct: its fields in declaration order (Go prints them in that order). */
export class TemplateStruct {
  constructor(readonly fields: ReadonlyArray<readonly [string, TemplateValue]>) {}

  get(name: string): TemplateValue | undefined {
    return this.fields.find(([k]) => k === name)?.[1];
  }
}

export type TemplateValue = string | number | boolean | null | ReadonlyMap<string, string> | TemplateStruct;

/** A function templates may call; it throws an Error whose message is the reason. */
export interface TemplateFunction {
  /** How many arguments it takes (at most `max`, or any number from `min` when max is undefined). */
  min: number;
  max?: number;
  call(args: TemplateValue[]): TemplateValue;
}

export type TemplateFunctions = Readonly<Record<string, TemplateFunction>>;

/**
 * renderTemplate parses and executes `src` against `data`; throws TemplateError with the line
 * and the reason. Nothing is rendered when the template fails, as in Swarm.
 */
export function renderTemplate(src: string, data: TemplateValue, funcs: TemplateFunctions = {}): string {
  const all: TemplateFunctions = { ...BUILTINS, ...funcs };
  const nodes = parseTemplate(src, (name) => Object.hasOwn(all, name));
  let out = '';
  for (const node of nodes) {
    if (node.kind === 'text') out += node.text;
    else out += printed(new Exec(data, all, node.line).pipeline(node.pipeline));
  }
  return out;
}

class Exec {
  constructor(
    private readonly data: TemplateValue,
    private readonly funcs: TemplateFunctions,
    private readonly line: number,
  ) {}

  private fail(reason: string): never {
    throw new TemplateError(this.line, reason);
  }

  pipeline(p: Pipeline): TemplateValue {
    let piped: TemplateValue | undefined;
    for (const cmd of p) piped = this.command(cmd, piped);
    return piped ?? null;
  }

  private command(cmd: Command, piped: TemplateValue | undefined): TemplateValue {
    const [first, ...rest] = cmd;
    if (first!.kind === 'func') {
      const args = rest.map((o) => this.operand(o));
      if (piped !== undefined) args.push(piped);
      return this.call(first!.name, args);
    }
    if (rest.length > 0 || piped !== undefined) this.fail(`can't give argument to non-function ${describe(first!)}`);
    return this.operand(first!);
  }

  private call(name: string, args: TemplateValue[]): TemplateValue {
    const f = this.funcs[name]!;
    if (args.length < f.min || (f.max !== undefined && args.length > f.max)) {
      const want = f.max === undefined ? `at least ${f.min}` : f.min === f.max ? String(f.min) : `${f.min} to ${f.max}`;
      this.fail(`wrong number of args for ${name}: want ${want} got ${args.length}`);
    }
    try {
      return f.call(args);
    } catch (err) {
      return this.fail(`error calling ${name}: ${(err as Error).message}`);
    }
  }

  private operand(o: Operand): TemplateValue {
    switch (o.kind) {
      case 'dot':
        return this.data;
      case 'string':
      case 'number':
      case 'bool':
        return o.value;
      case 'pipeline':
        return this.pipeline(o.pipeline);
      case 'func':
        return this.call(o.name, []);
      case 'field':
        return this.field(o.chain, o.text);
    }
  }

  /** field follows a chain from the data: struct fields, then map keys (a missing key is an error). */
  private field(chain: string[], text: string): TemplateValue {
    let v: TemplateValue = this.data;
    let at = '';
    for (const name of chain) {
      if (v instanceof TemplateStruct) {
        const next = v.get(name);
        if (next === undefined) {
          this.fail(`at <${text}>: can't evaluate field ${name} in ${at || 'the template data'}: its fields are ${v.fields.map(([k]) => k).join(', ')}`);
        }
        v = next;
      } else if (v instanceof Map) {
        const next = (v as ReadonlyMap<string, string>).get(name);
        if (next === undefined) this.fail(`at <${text}>: map has no entry for key "${name}"`);
        v = next;
      } else {
        this.fail(`at <${text}>: can't evaluate field ${name} in type ${typeName(v)}`);
      }
      at += `.${name}`;
    }
    return v;
  }
}

/** Go's fmt.Sprint of one value. */
function sprint(v: TemplateValue): string {
  if (v === null) return '<nil>';
  if (v instanceof TemplateStruct) return `{${v.fields.map(([, f]) => sprint(f)).join(' ')}}`;
  if (v instanceof Map) {
    const entries = [...(v as ReadonlyMap<string, string>)].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `map[${entries.map(([k, x]) => `${k}:${x}`).join(' ')}]`;
  }
  return String(v);
}

/** What an action prints: text/template shows a missing value as <no value>. */
function printed(v: TemplateValue): string {
  return v === null ? '<no value>' : sprint(v);
}

function typeName(v: TemplateValue): string {
  if (v === null) return 'nil';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float64';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'string') return 'string';
  return v instanceof Map ? 'map[string]string' : 'struct';
}

function describe(o: Operand): string {
  switch (o.kind) {
    case 'field':
      return o.text;
    case 'string':
      return JSON.stringify(o.value);
    case 'dot':
      return '.';
    case 'pipeline':
      return '(...)';
    default:
      return String((o as { value?: unknown }).value);
  }
}

function str(v: TemplateValue, what: string): string {
  if (typeof v !== 'string') throw new Error(`${what} must be a string, not ${typeName(v)}`);
  return v;
}

/** Go's fmt.Sprint: a space between operands when neither side is a string. */
function goSprint(args: TemplateValue[]): string {
  let out = '';
  args.forEach((a, i) => {
    if (i > 0 && typeof a !== 'string' && typeof args[i - 1] !== 'string') out += ' ';
    out += sprint(a);
  });
  return out;
}

/** Go's fmt.Sprintf for the verbs templates use: %s %v %d %q %%. */
function goSprintf(format: string, args: TemplateValue[]): string {
  let n = 0;
  const out = format.replace(/%([%svdq])|%(.?)/g, (_m, verb: string | undefined, other: string | undefined) => {
    if (verb === '%') return '%';
    if (verb === undefined) throw new Error(`printf verb %${other ?? ''} is not supported: use %s, %v, %d, %q or %%`);
    if (n >= args.length) return `%!${verb}(MISSING)`;
    const a = args[n++]!;
    if (verb === 'd') return typeof a === 'number' && Number.isInteger(a) ? String(a) : `%!d(${typeName(a)}=${sprint(a)})`;
    if (verb === 'q') return typeof a === 'string' ? JSON.stringify(a) : `%!q(${typeName(a)}=${sprint(a)})`;
    return sprint(a);
  });
  return n < args.length ? `${out}%!(EXTRA ${args.slice(n).map((a) => `${typeName(a)}=${sprint(a)}`).join(', ')})` : out;
}

/** The text/template builtins these templates need, and swarmkit's own `join`. */
const BUILTINS: TemplateFunctions = {
  print: { min: 0, call: goSprint },
  println: { min: 0, call: (args) => args.map(sprint).join(' ') + '\n' },
  printf: { min: 1, call: ([format, ...rest]) => goSprintf(str(format!, 'the format'), rest) },
  len: {
    min: 1,
    max: 1,
    call: ([v]) => {
      if (typeof v === 'string') return Buffer.byteLength(v);
      if (v instanceof Map) return v.size;
      throw new Error(`len of type ${typeName(v!)}`);
    },
  },
  /** index of a map by key; a missing key gives "" (Go's zero value), unlike a field. */
  index: {
    min: 1,
    call: ([v, ...keys]) => {
      let cur = v!;
      for (const k of keys) {
        if (!(cur instanceof Map)) throw new Error(`can't index item of type ${typeName(cur)}`);
        cur = (cur as ReadonlyMap<string, string>).get(str(k, 'a map key')) ?? '';
      }
      return cur;
    },
  },
  /** swarmkit's join: the first argument is the separator. */
  join: { min: 1, call: ([sep, ...parts]) => parts.map((p, i) => str(p, `argument ${i + 2}`)).join(str(sep!, 'the separator')) },
};
