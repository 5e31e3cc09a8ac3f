// Checking Berth's OpenAPI descriptions (docs/openapi/) without an OpenAPI toolchain: the
// structure OpenAPI 3.1 requires of what the files use, $refs that resolve, schemas that compile
// as JSON Schema 2020-12 (OpenAPI 3.1's dialect) in ajv's strict mode, and the routes a
// description lists beside those a fastify server registered.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { FastifyInstance } from 'fastify';
import { parse } from 'yaml';

// A parsed YAML document is walked field by field.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Doc = any;

const OPENAPI_DIR = join(import.meta.dirname, '..', '..', 'docs', 'openapi');

export function loadDescription(name: string): { text: string; doc: Doc } {
  const text = readFileSync(join(OPENAPI_DIR, `${name}.yaml`), 'utf8');
  return { text, doc: parse(text) };
}

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];
const PATH_ITEM_FIELDS = new Set(['summary', 'description', 'servers', 'parameters', ...METHODS]);
const PARAMETER_IN = new Set(['query', 'header', 'path', 'cookie']);
const SCHEME_TYPES = new Set(['apiKey', 'http', 'mutualTLS', 'oauth2', 'openIdConnect']);
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
/** isMapping checks without narrowing: a parsed document's fields stay loosely typed. */
const isMapping = (v: Doc): boolean => isObject(v);

/** resolve follows a local $ref (a JSON pointer into the document); undefined when it leads nowhere. */
function resolve(doc: Doc, ref: string): unknown {
  if (!ref.startsWith('#/')) return undefined;
  let at: unknown = doc;
  for (const raw of ref.slice(2).split('/')) {
    const key = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
    if (!isObject(at) && !Array.isArray(at)) return undefined;
    at = (at as Record<string, unknown>)[key];
  }
  return at;
}

/** deref gives the object a Reference Object points at, or the object itself. */
const deref = (doc: Doc, v: unknown): Doc => (isObject(v) && typeof v.$ref === 'string' ? resolve(doc, v.$ref) : v);

/** checkOpenApi lists what is wrong with a description; [] when nothing is. */
export function checkOpenApi(doc: Doc): string[] {
  const problems: string[] = [];
  const fail = (where: string, what: string): void => void problems.push(`${where}: ${what}`);
  if (!isMapping(doc)) return ['the document is not a YAML mapping'];
  if (typeof doc.openapi !== 'string' || !/^3\.1\.\d+$/.test(doc.openapi)) fail('openapi', `must be 3.1.x, is ${JSON.stringify(doc.openapi)}`);
  if (!isObject(doc.info) || typeof doc.info.title !== 'string' || typeof doc.info.version !== 'string') fail('info', 'needs a title and a version (strings)');
  if (!isObject(doc.paths) || Object.keys(doc.paths).length === 0) fail('paths', 'must list the paths');

  // Every $ref anywhere resolves.
  const walk = (v: unknown, where: string): void => {
    if (Array.isArray(v)) v.forEach((x, i) => walk(x, `${where}/${i}`));
    if (!isObject(v)) return;
    if (typeof v.$ref === 'string' && resolve(doc, v.$ref) === undefined) fail(where, `$ref ${v.$ref} resolves to nothing`);
    for (const [k, x] of Object.entries(v)) walk(x, `${where}/${k}`);
  };
  walk(doc, '#');

  const schemes = isObject(doc.components?.securitySchemes) ? doc.components.securitySchemes : {};
  for (const [name, scheme] of Object.entries<Doc>(schemes)) {
    if (!SCHEME_TYPES.has(scheme?.type)) fail(`securitySchemes.${name}`, `type must be one of ${[...SCHEME_TYPES].join(', ')}`);
    if (scheme?.type === 'http' && typeof scheme.scheme !== 'string') fail(`securitySchemes.${name}`, 'an http scheme needs `scheme`');
  }
  const checkSecurity = (security: unknown, where: string): void => {
    if (security === undefined) return;
    if (!Array.isArray(security)) return fail(where, 'security must be a list of requirements');
    for (const requirement of security) for (const name of Object.keys(requirement ?? {})) if (!(name in schemes)) fail(where, `security names ${name}, which components.securitySchemes lacks`);
  };
  checkSecurity(doc.security, 'security');

  const operationIds = new Set<string>();
  for (const [path, rawItem] of Object.entries<Doc>(isObject(doc.paths) ? doc.paths : {})) {
    const item = deref(doc, rawItem);
    if (!path.startsWith('/')) fail(path, 'a path must start with /');
    if (!isMapping(item)) {
      fail(path, 'not a Path Item Object');
      continue;
    }
    for (const field of Object.keys(item)) if (!PATH_ITEM_FIELDS.has(field) && !field.startsWith('x-')) fail(path, `unknown field ${field}`);
    const operations = METHODS.filter((m) => m in item);
    if (operations.length === 0) fail(path, 'no operation');
    const templated = new Set([...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]!));
    for (const method of operations) {
      const where = `${method.toUpperCase()} ${path}`;
      const op = item[method] as Doc;
      if (!isMapping(op)) {
        fail(where, 'not an Operation Object');
        continue;
      }
      if (typeof op.operationId === 'string') {
        if (operationIds.has(op.operationId)) fail(where, `operationId ${op.operationId} is used twice`);
        operationIds.add(op.operationId);
      }
      checkSecurity(op.security, where);
      // Parameters: the path item's, overridden by the operation's (by name and location).
      const params = new Map<string, Doc>();
      for (const raw of [...(item.parameters ?? []), ...(op.parameters ?? [])]) {
        const p = deref(doc, raw);
        if (!isObject(p) || typeof p.name !== 'string' || !PARAMETER_IN.has(p.in as string)) {
          fail(where, `a parameter needs a name and an \`in\` of ${[...PARAMETER_IN].join(', ')}`);
          continue;
        }
        if (!('schema' in p) && !('content' in p)) fail(where, `parameter ${p.name} needs a schema or content`);
        params.set(`${p.in} ${p.name}`, p);
      }
      for (const name of templated) {
        const p = params.get(`path ${name}`);
        if (!p) fail(where, `path parameter {${name}} is not declared`);
        else if (p.required !== true) fail(where, `path parameter {${name}} must be required: true`);
      }
      for (const key of params.keys()) if (key.startsWith('path ') && !templated.has(key.slice(5))) fail(where, `path parameter ${key.slice(5)} is not in the path`);
      if (op.requestBody !== undefined) {
        const body = deref(doc, op.requestBody);
        if (!isObject(body?.content) || Object.keys(body.content).length === 0) fail(where, 'requestBody needs content');
      }
      if (!isObject(op.responses) || Object.keys(op.responses).length === 0) {
        fail(where, 'an operation needs responses');
        continue;
      }
      for (const [status, raw] of Object.entries(op.responses)) {
        if (!/^([1-5]\d\d|[1-5]XX|default)$/.test(status)) fail(where, `response key ${status} is not a status code`);
        const response = deref(doc, raw);
        if (typeof response?.description !== 'string') fail(`${where} ${status}`, 'a response needs a description');
      }
    }
  }
  problems.push(...checkSchemas(doc));
  return problems;
}

const LOCAL_SCHEMAS = 'urn:berth:openapi:schemas';

/** checkSchemas compiles every schema of the document with ajv (JSON Schema 2020-12, strict). */
function checkSchemas(doc: Doc): string[] {
  const problems: string[] = [];
  // Refs to components point into the document; ajv gets the component schemas as $defs of one schema.
  const relink = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(relink);
    if (!isObject(v)) return v;
    return Object.fromEntries(
      Object.entries(v).map(([k, x]) => [k, k === '$ref' && typeof x === 'string' && x.startsWith('#/components/schemas/') ? `${LOCAL_SCHEMAS}#/$defs/${x.slice(21)}` : relink(x)]),
    );
  };
  const ajv = new Ajv2020({ strict: true, allErrors: true });
  // OpenAPI 3.0's `nullable` (which ajv knows) is not in 3.1: there it is `type: [T, 'null']`.
  ajv.removeKeyword('nullable');
  for (const format of ['date-time', 'uri']) ajv.addFormat(format, true);
  try {
    ajv.addSchema({ $id: LOCAL_SCHEMAS, $defs: relink(doc.components?.schemas ?? {}) as object });
    for (const name of Object.keys(doc.components?.schemas ?? {})) ajv.getSchema(`${LOCAL_SCHEMAS}#/$defs/${name}`);
  } catch (err) {
    problems.push(`components.schemas: ${(err as Error).message}`);
  }
  // Every other schema: under parameters, request bodies, responses and headers.
  const visit = (v: unknown, where: string): void => {
    if (Array.isArray(v)) v.forEach((x, i) => visit(x, `${where}/${i}`));
    if (!isObject(v)) return;
    for (const [k, x] of Object.entries(v)) {
      if (k === 'schema' && isObject(x)) {
        try {
          ajv.compile(relink(x) as object);
        } catch (err) {
          problems.push(`${where}/schema: ${(err as Error).message}`);
        }
      } else visit(x, `${where}/${k}`);
    }
  };
  visit(doc.paths, '#/paths');
  visit({ parameters: doc.components?.parameters, responses: doc.components?.responses, requestBodies: doc.components?.requestBodies }, '#/components');
  return problems;
}

/**
 * documentedRoutes lists a description's operations as "METHOD /path/{param}": HTTP routes, and
 * WebSocket upgrades (marked x-berth-websocket), which are served before any route.
 */
export function documentedRoutes(doc: Doc): { http: string[]; websocket: string[] } {
  const http: string[] = [];
  const websocket: string[] = [];
  for (const [path, item] of Object.entries<Doc>(doc.paths)) {
    for (const method of METHODS.filter((m) => m in item)) {
      (item[method]['x-berth-websocket'] === true ? websocket : http).push(`${method.toUpperCase()} ${path}`);
    }
  }
  return { http: http.sort(), websocket: websocket.sort() };
}

/**
 * registeredRoutes lists the routes a ready fastify server has under `prefix`, as
 * "METHOD /path/{param}", from fastify's route tree (printRoutes: each line adds its segment to
 * its parent's). The HEAD fastify adds beside each GET is left out.
 */
export function registeredRoutes(app: FastifyInstance, prefix: string): string[] {
  const routes = new Set<string>();
  const stack: string[] = [];
  for (const line of app.printRoutes().split('\n')) {
    const m = /^((?:│ {3}| {4})*)(?:├── |└── )(.+?)(?: \(([A-Z, ]+)\))?$/.exec(line);
    if (!m) continue;
    stack.length = m[1]!.length / 4;
    stack.push(m[2]!);
    const path = stack.join('').replace(/:(\w+)/g, '{$1}');
    for (const method of m[3]?.split(', ') ?? []) if (path.startsWith(prefix)) routes.add(`${method} ${path}`);
  }
  return [...routes].filter((r) => !(r.startsWith('HEAD ') && routes.has(`GET ${r.slice(5)}`))).sort();
}
