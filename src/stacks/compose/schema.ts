// The shape of a compose file, checked against the Compose Specification's JSON schema
// (compose-spec.json beside this file; the portal's editor checks the same file as you type).
// The first error is the deepest one, named by its path: services.web.deploy.replicas: ...

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { packageRoot } from '../../common/package-root.js';
import { InvalidArgumentError } from '../../types/index.js';
import { pathText, type ComposeSource, type Path } from './source.js';

let compiled: ValidateFunction | undefined;

/** The schema is compiled on the first deploy, not at every manager start. */
function validator(): ValidateFunction {
  if (!compiled) {
    const root = packageRoot();
    if (!root) throw new Error('stacks: the package root (and its compose-spec.json) was not found');
    const { $schema: _draft, ...schema } = JSON.parse(readFileSync(join(root.dir, 'src', 'stacks', 'compose', 'compose-spec.json'), 'utf8')) as Record<string, unknown>;
    // Not strict: the schema uses annotations (deprecated) that draft-07 does not define.
    compiled = new Ajv({ strict: false, allErrors: true, validateSchema: false }).compile(schema);
  }
  return compiled;
}

/** checkSchema throws InvalidArgumentError naming the first bad field of an (interpolated) file and its line. */
export function checkSchema(dict: unknown, source: ComposeSource): void {
  const validate = validator();
  if (validate(dict)) return;
  const { path, message } = describe(firstError(validate.errors ?? []));
  const line = source.lineOf(path);
  throw new InvalidArgumentError(`${pathText(path) || 'compose file'}: ${message}${line ? ` (line ${line})` : ''}`);
}

/** The most specific error: the deepest path, a concrete check before "does not match any of". */
export function firstError(errors: readonly ErrorObject[]): ErrorObject {
  const depth = (e: ErrorObject) => e.instancePath.split('/').length + (e.keyword === 'additionalProperties' ? 1 : 0);
  const vague = (e: ErrorObject) => e.keyword === 'oneOf' || e.keyword === 'anyOf' || e.keyword === 'if';
  return [...errors].sort((a, b) => Number(vague(a)) - Number(vague(b)) || depth(b) - depth(a))[0]!;
}

/** describe turns an ajv error into a compose path and a message. */
export function describe(e: ErrorObject): { path: Path; message: string } {
  const path: (string | number)[] = e.instancePath
    .split('/')
    .slice(1)
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((p) => (/^\d+$/.test(p) ? Number(p) : p));
  const params = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'additionalProperties':
      return { path: [...path, String(params.additionalProperty)], message: 'is not allowed here (the Compose Specification has no such key)' };
    case 'required':
      return { path, message: `${String(params.missingProperty)} is required` };
    case 'type':
      return { path, message: `must be ${String(params.type).split(',').map(article).join(' or ')}` };
    case 'enum':
      return { path, message: `must be one of ${(params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}` };
    default:
      return { path, message: e.message ?? 'is not valid' };
  }
}

const article = (type: string): string => (/^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`);
