// Structural checks of request bodies with ajv, turned into one message that names the field
// path, what the field must be, and what was sent:
//   invalid ServiceSpec: Mode.Replicated.Replicas must be an integer between 0 and 100000 (got "three")
//   invalid ServiceSpec: Mode.Replicated.Replicas must be at most 100000 (got 1e+300)

import { Ajv, type ErrorObject, type SchemaObject } from 'ajv';
import { InvalidArgumentError } from '../../types/index.js';

// verbose puts the failing schema and value on each error; removeAdditional drops the fields
// a struct schema does not list (see spec-schemas.ts).
const ajv = new Ajv({ verbose: true, removeAdditional: true });

/**
 * schemaChecker compiles schema once and returns a function that checks a parsed JSON body,
 * returning a cleaned copy (nulls and unknown struct fields removed) or throwing
 * InvalidArgumentError naming the first bad field.
 */
export function schemaChecker<T>(what: string, schema: SchemaObject): (body: unknown) => T {
  const validate = ajv.compile(schema);
  return (body) => {
    const data = matchCase(withoutNulls(body), schema);
    if (!validate(data)) {
      const first = validate.errors?.[0];
      throw new InvalidArgumentError(`invalid ${what}: ${first ? explain(first) : 'the request body is not valid'}`);
    }
    return data as T;
  };
}

/**
 * Go's decoder treats a JSON null like an absent field; dropping them up front keeps the schema
 * simple. Only objects and arrays that hold a null are copied: a body is walked once, and a large
 * map without nulls (a secret's labels) is not rebuilt key by key.
 */
function withoutNulls(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) {
    let out: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const v = withoutNulls(value[i]);
      if (v !== value[i]) (out ??= value.slice())[i] = v;
    }
    return out ?? value;
  }
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj);
  let out: Record<string, unknown> | undefined;
  for (let i = 0; i < keys.length; i++) {
    const v = obj[keys[i]!];
    const clean = withoutNulls(v);
    if (clean === v && v !== null) {
      if (out) out[keys[i]!] = v;
      continue;
    }
    if (!out) {
      out = {};
      for (let j = 0; j < i; j++) out[keys[j]!] = obj[keys[j]!];
    }
    if (v !== null) out[keys[i]!] = clean;
  }
  return out ?? value;
}

/**
 * matchCase renames struct fields to the schema's spelling when they differ only in case, as Go's
 * JSON decoder matches them (the Engine's yaml documents ContainerSpec.HealthCheck; dockerd, the
 * CLI and the SDKs spell it Healthcheck, which is what Berth stores and shows), and leaves out the
 * fields a struct does not have (ajv would drop them). Map keys
 * (additionalProperties) are left alone.
 */
function matchCase(value: unknown, schema: SchemaObject | undefined): unknown {
  if (!schema || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => matchCase(v, schema.items as SchemaObject | undefined));
  const props = schema.properties as Record<string, SchemaObject> | undefined;
  if (!props) return value;
  const byLower = new Map(Object.keys(props).map((k) => [k.toLowerCase(), k]));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    const name = Object.hasOwn(props, k) ? k : byLower.get(k.toLowerCase());
    if (name === undefined) {
      if (schema.additionalProperties !== false) out[k] = v;
      continue;
    }
    // An exact spelling wins over a case-insensitive match of the same field.
    if (name !== k && Object.hasOwn(value, name)) continue;
    out[name] = matchCase(v, props[name]);
  }
  return out;
}

function explain(e: ErrorObject): string {
  const path = fieldPath(e.instancePath) || 'the request body';
  const schema = (e.parentSchema ?? {}) as SchemaObject;
  return `${path} must be ${e.keyword === 'maximum' || e.keyword === 'minimum' ? limit(e.keyword, schema) : describe(schema)} (got ${show(e.data)})`;
}

/** "at most 100000", "at least 0 nanoseconds": a range schema's description is its unit. */
function limit(keyword: 'maximum' | 'minimum', s: SchemaObject): string {
  const unit = typeof s.description === 'string' ? ` ${s.description}` : '';
  return keyword === 'maximum' ? `at most ${s.maximum}${unit}` : `at least ${s.minimum}${unit}`;
}

/** "/TaskTemplate/ContainerSpec/Env/0" -> "TaskTemplate.ContainerSpec.Env[0]". */
export function fieldPath(pointer: string): string {
  let out = '';
  for (const raw of pointer.split('/').slice(1)) {
    const seg = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (/^\d+$/.test(seg)) out += `[${seg}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(seg)) out += out ? `.${seg}` : seg;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}

function describe(s: SchemaObject): string {
  if (Array.isArray(s.enum)) return `one of ${s.enum.map((v) => JSON.stringify(v)).join(', ')}`;
  switch (s.type) {
    case 'integer':
    case 'number': {
      const noun = typeof s.description === 'string' ? `a whole number of ${s.description}` : s.type === 'integer' ? 'an integer' : 'a number';
      return s.minimum !== undefined && s.maximum !== undefined ? `${noun} between ${s.minimum} and ${s.maximum}` : noun;
    }
    case 'string':
      return 'a string';
    case 'boolean':
      return 'true or false';
    case 'array':
      return `an array of ${plural(s.items as SchemaObject | undefined)}`;
    case 'object':
      return s.properties === undefined && s.additionalProperties
        ? `an object of ${plural(s.additionalProperties as SchemaObject)}`
        : 'an object';
    default:
      return 'valid';
  }
}

function plural(items: SchemaObject | undefined): string {
  switch (items?.type) {
    case 'string':
      return 'strings';
    case 'integer':
      return 'integers';
    case 'object':
      return 'objects';
    default:
      return 'values';
  }
}

function show(value: unknown): string {
  if (value === undefined) return 'nothing';
  // JSON would show 1e400 (parsed as Infinity) as null.
  if (typeof value === 'number') return String(value);
  const text = JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
